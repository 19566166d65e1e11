"""4xx checks: no credential sits in Git in plain text, and secret named values can be published.

Values are never echoed: messages carry ``secret_patterns.mask(value)`` only.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from ..references import json_strings
from .context import Hit, LintContext, content_path_of, info_path_of
from .policy_xml import line_col
from .secret_patterns import SECRET_NAME, find_secrets, looks_random, mask

__all__ = ["plain_named_value_secret", "inline_policy_secret", "secret_without_value", "committed_credential"]

#: headers/query parameters whose literal value is a credential
_CREDENTIAL_NAMES = re.compile(
    r"(?i)^(authorization|api-key|x-api-key|apikey|ocp-apim-subscription-key|x-functions-key|subscription-key|"
    r"code|sig|key|access[-_]token|client[-_]secret|x-ms-client-secret|password)$"
)
_SET_VALUE = re.compile(
    r"<(set-header|set-query-parameter)\b[^>]*?\bname\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*<value>([^<]*)</value>",
    re.DOTALL,
)
_BASIC_PASSWORD = re.compile(r"<authentication-basic\b[^>]*?\bpassword\s*=\s*[\"']([^\"']*)[\"']", re.DOTALL)


def _literal(value: str) -> bool:
    value = value.strip()
    return bool(value) and not value.startswith("@") and "{{" not in value


def plain_named_value_secret(ctx: LintContext) -> Iterator[Hit]:
    """A named value not marked ``secret`` whose value is a credential (it is shown to every reader)."""
    for resource in ctx.state.of_kind("named-value"):
        props = resource.properties
        value = props.get("value")
        if props.get("secret") is True or not isinstance(value, str) or not _literal(value):
            continue
        found = next(iter(find_secrets(value)), None)
        label = found.label if found else None
        if label is None:
            name = f"{resource.key.name} {props.get('displayName') or ''}"
            if SECRET_NAME.search(name) and looks_random(value):
                label = "credential-like value"
        if label:
            yield Hit(
                info_path_of(resource), None, None, str(resource.key),
                f"plain named value holds a {label} ({found.masked if found else mask(value)}): "
                "mark it secret and take the value from Key Vault or a pipeline secret",
            )


def inline_policy_secret(ctx: LintContext) -> Iterator[Hit]:
    """A credential written into policy XML instead of a ``{{secret named value}}``."""
    for resource in ctx.policies():
        text = resource.content or ""
        path = content_path_of(resource)
        reported: set[int] = set()
        for secret in find_secrets(text):
            line, column = line_col(text, secret.start)
            reported.add(line)
            yield Hit(path, line, column, str(resource.key),
                      f"{secret.label} written inline ({secret.masked}): use a secret named value {{{{name}}}}")
        for match in _SET_VALUE.finditer(text):
            element, name, value = match.groups()
            if not _CREDENTIAL_NAMES.match(name.strip()) or not _literal(value):
                continue
            literal = value.strip()
            if literal.lower().startswith(("basic ", "bearer ")):
                literal = literal.split(None, 1)[-1]
            if not looks_random(literal):
                continue
            line, column = line_col(text, match.start(3))
            if line in reported:
                continue
            yield Hit(path, line, column, str(resource.key),
                      f"<{element} name=\"{name}\"> sets a literal credential ({mask(literal)}): use a secret named value")
        for match in _BASIC_PASSWORD.finditer(text):
            if _literal(match.group(1)):
                line, column = line_col(text, match.start(1))
                yield Hit(path, line, column, str(resource.key),
                          f"<authentication-basic> has a literal password ({mask(match.group(1))}): use a secret named value")


def secret_without_value(ctx: LintContext) -> Iterator[Hit]:
    """A secret named value with neither a value (after overrides) nor a Key Vault reference cannot be published."""
    for resource in ctx.state.of_kind("named-value"):
        props = resource.properties
        if props.get("secret") is not True:
            continue
        key_vault = props.get("keyVault")
        has_vault = isinstance(key_vault, Mapping) and bool(key_vault.get("secretIdentifier"))
        if props.get("value") in (None, "") and not has_vault:
            yield Hit(
                info_path_of(resource), None, None, str(resource.key),
                "secret named value has no value and no keyVault.secretIdentifier: supply one in the "
                "environment's override file (e.g. from a pipeline secret {#token#}); publishing stops where the target does not have it yet",
            )


def committed_credential(ctx: LintContext) -> Iterator[Hit]:
    """Credentials in information files: subscription keys, backend credential headers, connection strings."""
    for resource in ctx.state:
        kind = resource.key.kind
        if kind == "named-value" or resource.key.row.is_policy or kind == "api-specification":
            continue
        path = info_path_of(resource)
        props = resource.properties
        if kind == "subscription":
            for field in ("primaryKey", "secondaryKey"):
                value = props.get(field)
                if isinstance(value, str) and _literal(value):
                    yield Hit(path, None, None, str(resource.key),
                              f"subscription {field} is committed ({mask(value)}): remove it, APIM generates keys")
            continue
        for where, value in json_strings(props, "properties"):
            if not _literal(value):
                continue
            found = next(iter(find_secrets(value)), None)
            leaf = re.sub(r"\[\d+\]$", "", where).rsplit(".", 1)[-1]
            if found is None and kind == "backend" and ".credentials." in where and (
                _CREDENTIAL_NAMES.match(leaf) or SECRET_NAME.search(leaf) or where.endswith("authorization.parameter")
            ) and looks_random(value.split(None, 1)[-1]):
                yield Hit(path, None, None, str(resource.key),
                          f"{where} is a literal credential ({mask(value)}): use a secret named value {{{{name}}}}")
            elif found is not None:
                yield Hit(path, None, None, str(resource.key),
                          f"{where} holds a {found.label} ({found.masked}): use a secret named value {{{{name}}}}")
