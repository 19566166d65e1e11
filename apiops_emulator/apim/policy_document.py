"""Reading a policy document the way the service does before it accepts a PUT: is it well-formed
XML, and which other entities does it name?

Why expressions are masked first: C# policy expressions (``@(...)``, ``@{...}``) may contain
``"``, ``<`` and ``&&`` unescaped, even inside attribute values, and the service accepts that
(``rawxml`` is exactly "the document with its expressions unescaped"). A strict XML parser would
reject about a third of real policy files, so every expression is replaced by an inert run of
``_`` (newlines kept, so line/column numbers in errors still point at the original text) before
parsing. An attribute whose value was an expression starts with ``@`` after masking and is
treated as dynamic: it names nothing that can be checked at save time.

Named values are found in the *unmasked* text: the service substitutes ``{{displayName}}``
textually before an expression is compiled, so ``@("{{key}}")`` does reference ``key``. Text
inside ``<set-body template="liquid">`` is Liquid, whose ``{{ body.x }}`` are template variables,
not named values, and Liquid's ``{{-``/``{%`` constructs are never references.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers import expat

from .policy_xml import expression_spans

# element -> attribute naming another entity, and that entity's kind.
ELEMENT_REFERENCES: dict[str, tuple[str, str]] = {
    "include-fragment": ("fragment-id", "fragment"),
    "set-backend-service": ("backend-id", "backend"),
    "log-to-eventhub": ("logger-id", "logger"),
}

# displayName is ``^[A-Za-z0-9-._]+$``; Liquid whitespace control (``{{-``, ``-}}``) is excluded.
_NAMED_VALUE = re.compile(r"\{\{\s*([A-Za-z0-9._][A-Za-z0-9._-]*?)\s*\}\}")
_LIQUID_BODY = re.compile(r"<set-body\b[^>]*\btemplate\s*=\s*(?:\"liquid\"|'liquid')[^>]*>.*?</set-body\s*>",
                          re.IGNORECASE | re.DOTALL)


class MalformedPolicy(ValueError):
    """The document is not well-formed XML (after masking expressions)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ElementReference:
    """One ``<element attribute="name">`` naming another entity (kind: fragment|backend|logger)."""

    kind: str
    name: str
    element: str
    line: int
    column: int


@dataclass(frozen=True)
class PolicyDocument:
    named_values: tuple[str, ...]            # display names, in order of first use
    elements: tuple[ElementReference, ...]


def mask_expressions(text: str, escaped: bool = False) -> str:
    """``text`` with every policy expression replaced by ``@`` + ``_``… (newlines kept)."""
    out: list[str] = []
    index = 0
    for start, end in expression_spans(text, escaped):
        out.append(text[index:start])
        body = text[start:end]
        out.append("@" + "".join("\n" if char == "\n" else "_" for char in body[1:]))
        index = end
    out.append(text[index:])
    return "".join(out)


def _parse(text: str) -> list[ElementReference]:
    """Parse with expat (no DTDs, no external entities); collect entity-naming elements."""
    found: list[ElementReference] = []
    parser = expat.ParserCreate()

    def start(name: str, attributes: dict[str, str]) -> None:
        spec = ELEMENT_REFERENCES.get(name.lower())
        if spec is None:
            return
        attribute, kind = spec
        value = next((v for k, v in attributes.items() if k.lower() == attribute), None)
        if value is None:
            return
        value = value.strip()
        if not value or value.startswith("@") or "{{" in value:
            return          # dynamic: an expression or a named value decides at run time
        found.append(ElementReference(kind, value, name, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1))

    def doctype(*_args: object) -> None:
        raise MalformedPolicy("DTDs are not allowed in policy documents.", parser.CurrentLineNumber,
                              parser.CurrentColumnNumber + 1)

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise MalformedPolicy(expat.ErrorString(error.code), error.lineno, error.offset + 1) from None
    return found


def _well_formed(text: str, fragment: bool) -> list[ElementReference]:
    """Try the text as sent, then with expressions masked (raw, then xml-escaped string rules);
    the first error is reported if none parses."""
    body = text.lstrip("\ufeff")
    if fragment and not body.lstrip().startswith("<fragment"):
        body = f"<fragment>{body}</fragment>"      # the xml GET of a fragment drops the wrapper
    errors: list[MalformedPolicy] = []
    for candidate in (body, mask_expressions(body, False), mask_expressions(body, True)):
        try:
            return _parse(candidate)
        except MalformedPolicy as error:
            errors.append(error)
    raise errors[1]          # positions are the same in every candidate; masking removed expression noise


def named_value_references(text: str) -> tuple[str, ...]:
    """``{{displayName}}`` references outside Liquid ``set-body`` templates, first use first."""
    outside_liquid = _LIQUID_BODY.sub("", text)
    seen: dict[str, str] = {}
    for match in _NAMED_VALUE.finditer(outside_liquid):
        name = match.group(1)
        if name.endswith("-"):
            continue
        seen.setdefault(name.lower(), name)
    return tuple(seen.values())


def read_policy(text: str, *, fragment: bool = False) -> PolicyDocument:
    """Check well-formedness (raises :class:`MalformedPolicy`) and list the references."""
    elements = _well_formed(text, fragment)
    return PolicyDocument(named_value_references(text), tuple(elements))
