"""The publish pipeline as a library: desired state, current state, plan, safety checks.

Why a library module and not the ``plan`` command: ``plan``, ``publish``, ``apply`` and ``demo``
(and the benchmarks) run the same stages, so they cannot disagree about what "desired" means:
artifacts tree (working directory, or the commit for ``--since``) + overrides + ``{#tokens#}``,
validated in full (every file, every reference) before anything talks to the instance; then
the instance (or the tree at ``--since``) is read and the plan is made and observed.
Commands stay thin: they parse arguments, call these functions and print.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ApiOpsError, ArtifactError, ConfigError, ReferenceError_
from .model import Action, Plan, Resource, ResourceKey, State

__all__ = [
    "Desired",
    "load_desired",
    "make_plan",
    "substitute_state_tokens",
    "refuse_dangling_references",
    "refuse_missing_secrets",
    "connect",
    "children_needed",
    "read_current_specifications",
    "git_root",
]


# -- desired state -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Desired:
    """The desired state and where it was read from (``commit`` for --since, else None)."""

    state: State
    commit: str | None
    service_name: str | None
    lint_config: Any = None
    selection: Any = None
    notes: tuple[str, ...] = ()
    layout: str | None = None
    #: read and lint refusals kept for ``make_plan`` (``load_desired(defer_refusals=True)``)
    refusals: Any = None


def git_root(path: Path) -> tuple[Path, str]:
    completed = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if completed.returncode != 0:
        raise ConfigError(f"{path} is not inside a Git work tree (needed for --since)")
    root = Path(completed.stdout.strip()).resolve()
    subdir = path.resolve().relative_to(root).as_posix()
    return root, "" if subdir == "." else subdir


def substitute_state_tokens(state: State, environ: Mapping[str, str]) -> State:
    """Replace ``{#NAME#}`` in every body string and content with environment values (missing = error)."""
    from .config import substitute_tokens

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, str):
            return substitute_tokens(value, environ, where) if "{#" in value else value
        if isinstance(value, Mapping):
            return {k: walk(v, where) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, where) for v in value]
        return value

    result = State()
    for resource in state:
        where = resource.source.path if resource.source else str(resource.key)
        body = walk(resource.body, where) if "{#" in json.dumps(resource.body) else resource.body
        content = resource.content
        if content and "{#" in content:
            content = substitute_tokens(content, environ, where)
        result.add(replace(resource, body=body, content=content))
    return result


def load_desired(artifacts: str, overrides: str | None, environ: Mapping[str, str], *, commit: str | None = None,
                 selection: Any = None, defer_refusals: bool = False) -> Desired:
    """Artifacts (directory, or the tree of ``commit``) + overrides + tokens, all validated first.

    References the target instance could supply (AO301-AO307) are checked by ``make_plan``
    once the target is known; everything else that lint calls an error stops here, read
    problems and lint errors together. With ``defer_refusals`` they are kept in
    ``Desired.refusals`` instead, so ``make_plan`` can add the target's findings and raise
    them all at once (one run shows every refusal); a tree that cannot be planned at all
    (nothing readable, bad overrides or tokens) still stops here.
    """
    from .artifacts import read_tree, report_read
    from .refusals import Refusals
    from .lint import check_publishable
    from .lint.config import LintConfig
    from .selection import Selection, skip_auto_subscriptions
    from .target import require_artifacts
    from .treesource import DirectorySource, GitCommitSource

    path = Path(artifacts)
    if not path.is_dir():
        raise ConfigError(f"artifacts folder {artifacts} does not exist")
    if commit is not None:
        repo, subdir = git_root(path)
        from .gitdiff import resolve_revision

        commit = resolve_revision(repo, commit)
        source: Any = GitCommitSource(repo, commit, subdir)
    else:
        source = DirectorySource(path)
    refusals = Refusals()
    # --exclude applies before parsing: an excluded file is never read (so it may be broken)
    read = read_tree(source, skip=selection.skips_file if selection is not None and selection.excludes else None)
    report_read(read, source)
    if read.problems:
        refusals.add("reading the artifacts tree", _read_error(read.problems))
    state = read.state
    service_name = None
    try:
        require_artifacts(state, artifacts, commit=commit)
        if overrides:
            from .config import Overrides

            loaded = Overrides.load(overrides, environ)
            state = loaded.apply(state)
            service_name = loaded.service_name
        state = substitute_state_tokens(state, environ)
    except ApiOpsError as error:
        if not refusals:
            raise
        refusals.add("overrides and tokens" if len(state) else "artifacts", error)
        refusals.notes.append("the tree could not be planned, so lint and the checks against the target did not run")
        refusals.raise_if_any()
    describe = getattr(source, "describe", None)
    probe = describe("x") if describe is not None else "x"
    root_prefix = probe[:-1] if probe.endswith("x") else ""
    selection = replace(selection or Selection(), root_prefix=root_prefix)
    state, selected_notes = selection.apply(state)
    if read.skipped:
        selected_notes = (f"--exclude: {len(read.skipped)} file(s) not read at all: "
                          + ", ".join(read.skipped[:5]) + (", ..." if len(read.skipped) > 5 else ""),) + selected_notes
    # APIM's own product subscriptions stay in the state (so nothing reads them as undeclared)
    # but are neither linted nor put: restrict_plan drops them with a note
    published, notes, skipped = skip_auto_subscriptions(state)
    selection = replace(selection, skipped=skipped)
    # pre-flight: nothing is published while lint reports an error (tunable in .apiops-lint.yaml)
    lint_config = LintConfig.discover(path, LintConfig.working_folder())
    refusals.run("lint", lambda: check_publishable(published, config=lint_config, defer_target_rules=True,
                                                   root_prefix=root_prefix))
    if refusals and not defer_refusals:
        raise refusals.error()
    return Desired(state, commit, service_name, lint_config, selection, notes + selected_notes, read.layout,
                   refusals if refusals else None)


def _read_error(problems: list[Any]) -> ApiOpsError:
    """The reader's problems as one ``ArtifactError`` (what ``load_tree`` raises)."""
    first = problems[0]
    lines = "\n".join(f"  {p}" for p in problems)
    count = len(problems)
    return ArtifactError(f"{count} problem{'s' if count > 1 else ''} in the artifacts tree:\n{lines}",
                         path=first.path, line=first.line)


def refuse_dangling_references(desired: Desired, arm: Any) -> None:
    """Stop before any write when a reference names what neither the tree nor the target has.

    The lint reference rules (AO301-AO307) run again with the target instance as a supplier,
    so ``{{shared-key}}`` that the target already has passes, as APIM would accept it; each
    rule can be lowered in ``.apiops-lint.yaml`` like any other.
    """
    from .lint import check_target_references
    from .target_refs import TargetSupplier

    skipped = desired.selection.skipped if desired.selection is not None else frozenset()
    state = State([r for r in desired.state if r.key not in skipped]) if skipped else desired.state
    check_target_references(state, TargetSupplier(arm), config=desired.lint_config,
                            root_prefix=desired.selection.root_prefix if desired.selection is not None else "",
                            target_name=f"the target {arm.service_name}")


def connect(args: argparse.Namespace, context: Any, desired: Desired) -> Any:
    """The ARM client for the target, once the target is proven to exist (``target.check_target``).

    Every command that plans or applies calls this before any other ARM call, so a wrong
    subscription, resource group or service stops with one message instead of a plan that
    creates everything (or a publish that fails half way).
    """
    from .target import check_target

    arm = context.make_arm(args, service_name=desired.service_name)
    from_overrides = bool(
        desired.service_name and not getattr(args, "service_name", None) and not context.env("API_MANAGEMENT_SERVICE_NAME")
    )
    setting = f"apimServiceName in {args.overrides}" if from_overrides and getattr(args, "overrides", None) else None
    try:
        check_target(arm, service_setting=setting)
    except BaseException:
        arm.close()
        raise
    return arm


# -- current state and planning ------------------------------------------------------------------

def _extractor_config(path: str | None) -> Any:
    """The extractor configuration --prune stays within (None: everything apiops extracts)."""
    if not path:
        return None
    from .config import ExtractorConfig

    return ExtractorConfig.load(path)


def _spec_recipe(resource: Resource) -> Any:
    """The export that matches a specification file (a v2 YAML file compares with a v2 export)."""
    from .specs import Specification

    return Specification(resource.content or "", resource.content_format).export_recipe()


def children_needed(desired: State) -> Any:
    """Which child collections the Creator must read: only those under which the tree has something.

    Without ``--prune`` nothing the tree lacks can change the plan, so an API's releases,
    diagnostics, schemas, tags or operations (listed to find operation policies) are read only
    when the tree has such a child for that API; link collections only when the tree has links
    of that kind.
    """
    pairs: set[tuple[str, ResourceKey]] = set()
    link_kinds: set[str] = set()
    for resource in desired:
        key = resource.key
        if key.row.is_link:
            link_kinds.add(key.kind)
            continue
        child_kind, parent = key.kind, key.parent
        while parent is not None:
            pairs.add((child_kind, parent))
            child_kind, parent = parent.kind, parent.parent
    def needed(row: Any, parent: ResourceKey) -> bool:
        if row.is_link:
            return row.name in link_kinds
        return (row.name, parent) in pairs

    return needed


def read_current_specifications(arm: Any, desired: State, current: State, progress: Any = None) -> list[Resource]:
    """Export, concurrently, only the specifications the tree has, of APIs the instance has.

    Each is exported in its file's format (WSDL for SOAP, SDL for GraphQL), so the comparison
    never crosses formats; APIs without a specification file cost no export at all.
    """
    from .extract import read_specifications

    wanted: dict[ResourceKey, Any] = {}
    for spec in desired.of_kind("api-specification"):
        api_key = ResourceKey("api", spec.key.names, spec.key.workspace)
        api = current.get(api_key)
        if api is not None:
            wanted[api_key] = (api.body, _spec_recipe(spec))
    return read_specifications(arm, wanted, progress)


def _secret_values(arm: Any, desired: State, current: State) -> dict[ResourceKey, str | None]:
    """Secret named values' live values (listValue), only where the tree sets one to compare."""
    wanted = [
        r.key for r in desired.of_kind("named-value")
        if r.properties.get("secret") and r.properties.get("value") and r.key in current
    ]

    def one(key: ResourceKey) -> tuple[ResourceKey, str | None]:
        try:
            value = arm.post(f"{key.arm_path}/listValue").body.get("value")
        except Exception:  # noqa: BLE001 - unknown means "put it"
            value = None
        return key, value if isinstance(value, str) else None

    return dict(arm.map(one, wanted))


def _with_observations(plan: Plan, arm: Any) -> Plan:
    """Record each action's ETag as observed now (reads only), so apply can refuse drift."""
    from .apply import observe

    seen = observe(arm, [a.key for a in plan.actions if a.key.row.etag])

    def fix(action: Action) -> Action:
        exists, etag = seen.get(action.key, (None, None))
        reason = action.reason
        if action.verb == "put" and exists is not None and "(" in reason:
            # --since labels: the instance decides create vs update
            label = "update" if exists else "create"
            reason = label + reason[reason.index(" ("):] if reason.startswith(("create", "update")) else reason
        elif action.verb == "put" and exists and reason == "create":
            # a revision the extractor names ``a`` (current) that the tree now names ``a;rev=N``
            reason = "update"
        return replace(action, etag=etag if exists else None, reason=reason)

    return Plan(
        puts=tuple(fix(a) for a in plan.puts),
        deletes=tuple(fix(a) for a in plan.deletes),
        target=plan.target,
        warnings=plan.warnings,
    )


def make_plan(
    arm: Any,
    desired: Desired,
    *,
    artifacts: str,
    since: str | None,
    creator: bool,
    terminator: bool,
    prune: bool,
    max_deletions: int | None,
    config_path: str | None,
    log: Any,
    progress: Any = None,
) -> Plan:
    """Desired vs the instance (or vs the tree at ``since``) → an observed, ordered plan."""
    from .plan import plan_since

    target = {"subscription": arm.subscription_id, "resourceGroup": arm.resource_group, "service": arm.service_name}
    if desired.commit:
        target["commit"] = desired.commit
    from .refusals import Refusals

    # every refusal known before the first write is reported in one go (read, lint, target)
    refusals = Refusals(list(desired.refusals.entries) if desired.refusals else [])
    refusals.run("references the target cannot supply", lambda: refuse_dangling_references(desired, arm))
    if desired.selection is not None and desired.selection.active:
        target.update(desired.selection.to_target())  # so ``apply`` selects the same resources
    if since:
        from .artifacts import key_for_path, load_tree
        from .gitdiff import changed_paths
        from .treesource import GitCommitSource

        repo, subdir = git_root(Path(artifacts))
        prefix = f"{subdir}/" if subdir else ""
        keys: list[ResourceKey] = []
        for change in changed_paths(repo, since, desired.commit or "HEAD"):
            for path in (change.path, change.old_path):
                if path and path.startswith(prefix):
                    key = key_for_path(path[len(prefix):])
                    if key is not None:
                        keys.append(key)
        previous = load_tree(GitCommitSource(repo, since, subdir), report=False)
        log.info("--since %s: %d changed file(s) map to %d resource(s)", since, len(keys), len(set(keys)))
        plan = plan_since(
            desired.state, previous, keys, creator=creator, terminator=terminator,
            max_deletions=max_deletions, target=target, since=since, until=desired.commit or "HEAD",
        )
        if prune:
            pruned = _instance_plan(arm, desired, False, True, True, max_deletions, config_path, target, log, progress)
            plan = Plan(puts=plan.puts, deletes=pruned.deletes, target=target, warnings=plan.warnings + pruned.warnings)
    else:
        plan = refusals.joined("planning", lambda: _instance_plan(
            arm, desired, creator, terminator, prune, max_deletions, config_path, target, log, progress))
    refusals.run("secrets the target lacks", lambda: refuse_missing_secrets(plan, desired.state, arm))
    from .create_secrets import refuse_missing_create_secrets

    refusals.run("secrets required to create", lambda: refuse_missing_create_secrets(plan, desired.state, arm))
    from .soap_operations import refuse_unknown_soap_operations

    refusals.run("SOAP operations", lambda: refuse_unknown_soap_operations(plan, desired.state, arm))
    if len(refusals.entries) > 1 and refusals.entries[0][0] == "reading the artifacts tree":
        refusals.notes.append("the files that could not be read took no part in the later checks")
    refusals.raise_if_any()
    if desired.selection is not None:
        from .selection import restrict_plan

        plan = restrict_plan(plan, desired.selection, desired.state, desired.notes)
    from .contentdiff import mask_plan, secret_strings

    # a secret filled into a policy by a {#token#} must not reach the diff, the saved plan or a PR
    return mask_plan(_with_observations(plan, arm), secret_strings(desired.state))


def refuse_missing_secrets(plan: Plan, desired: State, arm: Any) -> None:
    """Stop before any write when a put uses a secret named value that cannot be published.

    A secret named value whose artifacts carry no value (the instance never returns secrets, so
    extracted secrets have none) is skipped. That is only safe if the target already has it: APIM
    refuses a policy naming a missing named value, which would leave a half-published instance.
    """
    from .plan import is_skipped_secret

    users: dict[ResourceKey, list[ResourceKey]] = {}
    for action in plan.puts:
        for dependency in action.depends_on:
            resource = desired.get(dependency)
            if dependency.kind == "named-value" and resource is not None and is_skipped_secret(resource):
                users.setdefault(dependency, []).append(action.key)
    missing = [key for key in sorted(users) if arm.get(key.arm_path) is None]
    if not missing:
        return
    lines = []
    for key in missing:
        resource = desired.get(key)
        where = resource.source.path if resource is not None and resource.source else key.arm_path
        used_by = ", ".join(str(user) for user in users[key][:5])
        lines.append(
            f"  {where}: secret named value {key.name!r} has no value or keyVault.secretIdentifier and does not "
            f"exist in {arm.service_name}; used by {used_by}"
        )
    first = desired.get(missing[0])
    raise ReferenceError_(
        "secret named values cannot be published without a value; nothing was published:\n"
        + "\n".join(lines)
        + "\nset each in the environment's override file (e.g. properties: {value: \"{#TOKEN#}\"} filled from a "
        "secret pipeline variable) or give it a keyVault.secretIdentifier",
        path=first.source.path if first is not None and first.source else None,
    )


def _instance_plan(arm: Any, desired: Desired, creator: bool, terminator: bool, prune: bool,
                   max_deletions: int | None, config_path: str | None, target: Mapping[str, str], log: Any,
                   progress: Any = None) -> Plan:
    from .extract import read_instance
    from .plan import plan_against_instance

    config = _extractor_config(config_path)
    # the command's progress display announces the phase; without one this is the only sign of it
    log.log(logging.DEBUG if progress is not None else logging.INFO, "reading the instance %s ...", arm.service_name)
    needed = None if (terminator and prune) else children_needed(desired.state)
    current = read_instance(arm, config, include_specifications=False, needed=needed, progress=progress,
                            verb="reading")
    if creator:
        for spec in read_current_specifications(arm, desired.state, current, progress):
            current.add(spec)
    secrets = _secret_values(arm, desired.state, current) if creator else {}
    def _live_body(key: ResourceKey) -> Any:
        live = current.get(key)
        return live.body if live is not None else None

    selects = (lambda key: bool(config.selects(key, _live_body(key)))) if config else None
    return plan_against_instance(
        desired.state, current, creator=creator, terminator=terminator, prune=prune,
        selects=selects, max_deletions=max_deletions, target=target, secret_values=secrets,
    )
