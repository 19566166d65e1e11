"""The table of lint rules: one frozen row per rule, the only place ids, severities and summaries live.

Adding a rule is adding a row (and its good/bad case in ``tests/lint/cases.py``: a test fails for
a row without one). Ids are ``AO`` + three digits grouped by hundreds:

    1xx  layout and parsing (unreadable files, specifications, revisions)
    2xx  policy XML
    3xx  references across the tree
    4xx  secrets
    5xx  API design and configuration habits

``check(ctx)`` yields ``Hit`` values; ``run_rules`` stamps them with the row's id and severity.
Severities are SARIF levels: error, warning, note.

Each row also says what the rule rests on (``basis``): ``service`` when APIM (or the publish
itself) would refuse the artifact, ``practice`` when it is advice the service does not enforce.
Only service rules default to error: a best practice must never stop a migration (it is a
warning that ``.apiops-lint.yaml`` can raise to error for a team that wants it). ``target``
marks the reference rules a publish re-checks against the target instance: a resource the
target already has satisfies them (``docs/LINT.md`` lists every id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from . import check_design as design
from . import check_layout as layout
from . import check_policies as policies
from . import check_references as references
from . import check_secrets as secrets
from .context import Hit, LintContext
from .findings import Finding

__all__ = ["Rule", "RULES", "RULE_BY_ID", "RULE_ID", "BASES", "TARGET_RULES", "rule", "run_rules"]

RULE_ID = re.compile(r"^AO[1-9]\d\d$")
#: ``service``: APIM or the publish refuses it; ``practice``: advice only (never an error by default)
BASES: tuple[str, ...] = ("service", "practice")


@dataclass(frozen=True)
class Rule:
    """One rule: stable id, kebab-case name, default severity, one-line summary, and its check."""

    id: str
    name: str
    severity: str
    summary: str
    check: Callable[[LintContext], Iterable[Hit]]
    help: str = ""
    basis: str = "service"
    target: bool = False

    @property
    def group(self) -> str:
        return {"1": "layout", "2": "policy", "3": "reference", "4": "secret", "5": "design"}[self.id[2]]


RULES: tuple[Rule, ...] = (
    # 1xx layout and parsing
    Rule("AO101", "artifact-unreadable", "error", "An artifact file cannot be read (bad JSON, bad name, encoding, duplicates)", layout.unreadable,
         "Fix the file: the publisher would stop on it."),
    Rule("AO102", "spec-syntax", "error", "A specification is not valid YAML/JSON, GraphQL SDL or XML", layout.spec_syntax,
         "APIM cannot import a specification it cannot parse."),
    Rule("AO103", "openapi-invalid", "warning", "An OpenAPI document does not validate against the OpenAPI 2/3 schema", layout.openapi_invalid,
         "APIM imports some invalid documents (and exports `type: ''` itself), but other tools will not.", basis="practice"),
    Rule("AO104", "graphql-schema-invalid", "warning", "A GraphQL SDL parses but does not build a valid schema", layout.graphql_invalid, basis="practice"),
    Rule("AO105", "revision-orphan", "error", "An `api;rev=N` folder has no current revision `api` in the tree", layout.revision_orphan,
         "A non-current revision cannot be created without its API."),
    Rule("AO106", "revision-duplicate", "error", "Two folders claim the same revision number of one API", layout.revision_duplicate,
         "Usually a stale folder left by an old extractor; delete it."),
    Rule("AO107", "required-property-missing", "error", "An information file lacks a property the service requires on PUT",
         layout.required_missing, "APIM refuses the PUT with 400 ValidationError; found before anything is published."),
    # 2xx policy XML
    Rule("AO201", "policy-malformed", "error", "A policy is not well-formed XML (after masking @(...)/@{...} expressions)", policies.malformed),
    Rule("AO202", "policy-doctype", "error", "A policy declares a DOCTYPE or entities (refused: possible XXE)", policies.doctype),
    Rule("AO203", "policy-unknown-element", "error", "A policy uses an element APIM does not know (typos get a suggestion)", policies.unknown_element),
    Rule("AO204", "policy-invalid", "error", "A policy element is misplaced or misses a required attribute", policies.invalid),
    Rule("AO205", "policy-missing-base", "warning", "A section of an API/operation/product policy has no <base/>", policies.missing_base,
         "Without <base/> the policies of the enclosing scope (e.g. the global rate limit) do not run.", basis="practice"),
    Rule("AO206", "policy-wrong-section", "warning", "A policy stands in a section it is not allowed in (e.g. rate-limit in outbound)",
         policies.wrong_section, "APIM refuses such a document; the policy reference lists each policy's sections."),
    # 3xx references
    Rule("AO301", "named-value-missing", "error", "A {{named value}} is referenced but not in the tree", references.named_value_missing, target=True),
    Rule("AO302", "fragment-missing", "error", "An include-fragment names a policy fragment that is not in the tree", references.fragment_missing, target=True),
    Rule("AO303", "backend-missing", "error", "A backend-id or pool member names a backend that is not in the tree", references.backend_missing, target=True),
    Rule("AO304", "logger-missing", "error", "A logger-id or diagnostic loggerId names a logger that is not in the tree", references.logger_missing, target=True),
    Rule("AO305", "version-set-missing", "error", "An API's apiVersionSetId names a version set that is not in the tree", references.version_set_missing, target=True),
    Rule("AO306", "link-end-missing", "error", "A product/tag/gateway link points at a resource that is not in the tree", references.link_end_missing, target=True),
    Rule("AO307", "reference-missing", "error", "Another reference (subscription scope, release apiId) points at nothing", references.other_reference_missing, target=True),
    Rule("AO308", "reference-id-malformed", "error", "An id-valued reference (apiVersionSetId, loggerId, scope...) holds a bare name instead of /<collection>/<name>",
         references.reference_id_malformed),
    # 4xx secrets
    Rule("AO401", "plain-named-value-secret", "warning", "A non-secret named value holds a credential", secrets.plain_named_value_secret, basis="practice"),
    Rule("AO402", "inline-policy-secret", "warning", "A policy contains a credential literal (token, key, SAS, password)", secrets.inline_policy_secret, basis="practice"),
    Rule("AO403", "secret-without-value", "warning", "A secret named value has no value and no Key Vault reference", secrets.secret_without_value,
         "The extractor cannot read secret values back; the override file must supply them.", basis="practice"),
    Rule("AO404", "committed-credential", "warning", "An information file holds a credential (subscription key, backend credential, connection string)", secrets.committed_credential, basis="practice"),
    # 5xx design
    Rule("AO501", "http-protocol", "warning", "An API accepts plain http (or ws)", design.http_protocol, basis="practice"),
    Rule("AO502", "subscription-not-required", "warning", "An API or product does not require a subscription key", design.subscription_not_required, basis="practice"),
    Rule("AO503", "plain-http-backend", "warning", "A backend is reached over plain http", design.plain_http_backend, basis="practice"),
    Rule("AO504", "display-name-missing", "warning", "A resource that is shown to people has no displayName", design.display_name_missing, basis="practice"),
    Rule("AO505", "description-missing", "note", "An API or product has no description", design.description_missing, basis="practice"),
    Rule("AO506", "api-path-naming", "warning", "An API path is not lowercase kebab-case or has a leading/trailing slash", design.api_path_naming, basis="practice"),
    Rule("AO507", "operation-path-naming", "note", "An OpenAPI path is not lowercase kebab-case, ends with a slash, or names a verb", design.spec_path_naming, basis="practice"),
)

RULE_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
#: reference rules a publish re-checks against the target instance (see ``Rule.target``)
TARGET_RULES: tuple[str, ...] = tuple(r.id for r in RULES if r.target)


def rule(rule_id: str) -> Rule:
    return RULE_BY_ID[rule_id]


def run_rules(ctx: LintContext, rules: Iterable[Rule] = RULES) -> Iterator[Finding]:
    """Run each rule's check and stamp its hits; a crashing check becomes a finding, never a crash."""
    for row in rules:
        try:
            for hit in row.check(ctx):
                yield Finding(row.id, row.severity, hit.path, hit.line, hit.column, hit.resource, hit.message)
        except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others' findings
            yield Finding(row.id, "error", None, None, None, None,
                          f"internal error in rule {row.id} ({row.name}): {type(error).__name__}: {error}")
