"""Read policy XML the way the service does: safely, tolerating C# expressions and named values.

Why not just ``ElementTree.fromstring``? Three reasons, all from real trees:

1. About a third of real ``policy.xml`` files are not strict XML: policy expressions carry
   unescaped ``"``, ``<`` and ``&&`` (``value="@(ctx.Headers.GetValueOrDefault("x", ""))"``). The
   service accepts them, so we must. Before parsing, every expression body (``@(...)`` with
   balanced parentheses, ``@{...}`` with balanced braces, C# string/char literals and comments
   skipped) is *masked*: replaced by ``@`` and underscores of the same length, line breaks kept,
   so line and column numbers still point into the original file.
2. A policy file is untrusted input (it comes from a pull request): DOCTYPEs are refused outright,
   so no entity is ever declared, expanded or fetched (no XXE, no billion laughs).
3. Every finding needs a line and a column: the tree is built from expat events that record them.

Validation against ``policies.xsd`` (our own schema, package data) then reports unknown elements
with a "did you mean" and missing required attributes.
"""

from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterator, NoReturn
from xml.parsers import expat

__all__ = [
    "PolicyIssue",
    "ParsedPolicy",
    "PolicyRef",
    "PolicyValidator",
    "mask_expressions",
    "parse_policy",
    "parse_xml_safely",
    "named_value_refs",
    "element_refs",
    "line_col",
    "SECTIONS",
]

SECTIONS: tuple[str, ...] = ("inbound", "backend", "outbound", "on-error")

#: (element, attribute, kind of resource it names)
_ELEMENT_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("include-fragment", "fragment-id", "policy-fragment"),
    ("set-backend-service", "backend-id", "backend"),
    ("llm-content-safety", "backend-id", "backend"),
    ("azure-openai-semantic-cache-lookup", "embeddings-backend-id", "backend"),
    ("llm-semantic-cache-lookup", "embeddings-backend-id", "backend"),
    ("log-to-eventhub", "logger-id", "logger"),
)

#: named value names: letters, digits, '.', '-', '_' (the service's rule); ``{{ x }}`` with
#: spaces or ``{{- x }}`` is Liquid, not a named value
_PLACEHOLDER = re.compile(r"\{\{([A-Za-z0-9._-]+)\}\}")
_LIQUID_BODY = re.compile(
    r"<set-body\b[^>]*\btemplate\s*=\s*[\"']liquid[\"'][^>]*>(.*?)</set-body\s*>", re.DOTALL | re.IGNORECASE
)
_CHAR_LITERAL = re.compile(r"'(?:\\u[0-9A-Fa-f]{4}|\\.|[^\\'\r\n])'")


@dataclass(frozen=True)
class PolicyIssue:
    """A problem in one policy document; ``code`` is malformed | doctype | unknown-element | invalid."""

    code: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class PolicyRef:
    """A resource named by a policy element attribute (``include-fragment fragment-id="x"``)."""

    target_kind: str
    name: str
    element: str
    attribute: str
    line: int
    column: int


@dataclass
class ParsedPolicy:
    """The outcome of a safe parse: the element tree (``None`` when refused or malformed).

    ``positions`` maps ``id(element)`` to its 1-based (line, column); it lives as long as the tree.
    """

    text: str
    masked: str
    root: ET.Element | None
    positions: dict[int, tuple[int, int]] = field(default_factory=dict)
    issue: PolicyIssue | None = None

    def position(self, element: ET.Element | None) -> tuple[int, int]:
        if element is None:
            return (1, 1)
        return self.positions.get(id(element), (1, 1))

    def iter_elements(self) -> Iterator[ET.Element]:
        if self.root is not None:
            yield from self.root.iter()


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (a CRLF counts as one line break)."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


# --------------------------------------------------------------------------- masking
def _skip_string(text: str, index: int) -> int:
    """``index`` is at the opening quote of a C# string; return the index after its end."""
    verbatim = index > 0 and text[index - 1] == "@" or (index > 1 and text[index - 2 : index] in ("$@", "@$"))
    interpolated = index > 0 and text[index - 1] == "$" or (index > 1 and text[index - 2 : index] in ("$@", "@$"))
    i = index + 1
    while i < len(text):
        ch = text[i]
        if verbatim and ch == '"':
            if text.startswith('""', i):
                i += 2
                continue
            return i + 1
        if not verbatim and ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        if interpolated and ch == "{":
            if text.startswith("{{", i):
                i += 2
                continue
            end = _scan_code(text, i + 1, "{", "}")
            if end < 0:
                return -1
            i = end
            continue
        if not verbatim and ch in "\r\n":
            return -1  # a regular string never spans lines: this was not a string
        i += 1
    return -1


def _scan_code(text: str, index: int, opener: str, closer: str) -> int:
    """Scan C# code from ``index`` (just after ``opener``) to the matching ``closer``.

    Returns the index just past the closer, or -1 when the text ends first.
    """
    depth = 1
    i = index
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = _skip_string(text, i)
            if end < 0:
                return -1
            i = end
            continue
        if ch == "'":
            literal = _CHAR_LITERAL.match(text, i)
            if literal:
                i = literal.end()
                continue
        if ch == "/" and text.startswith("//", i):
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return -1
            i = end + 2
            continue
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _expression_spans(text: str) -> Iterator[tuple[int, int]]:
    index = 0
    while True:
        start = text.find("@", index)
        if start < 0 or start + 1 >= len(text):
            return
        opener = text[start + 1]
        if opener not in "({":
            index = start + 1
            continue
        end = _scan_code(text, start + 2, opener, ")" if opener == "(" else "}")
        if end < 0:
            index = start + 1  # unbalanced: leave it for the parser to report
            continue
        yield start, end
        index = end


def mask_expressions(text: str) -> str:
    """Replace every policy expression by ``@`` + underscores (same length, line breaks kept)."""
    out: list[str] = []
    index = 0
    for start, end in _expression_spans(text):
        out.append(text[index:start])
        out.append("@" + re.sub(r"[^\r\n]", "_", text[start + 1 : end]))
        index = end
    out.append(text[index:])
    return "".join(out)


# --------------------------------------------------------------------------- parsing
class _Refused(Exception):
    """Raised from expat handlers to stop at a DOCTYPE or entity declaration."""


def parse_policy(text: str) -> ParsedPolicy:
    """Parse policy text safely; never raises for bad input (the issue is in ``.issue``)."""
    return parse_xml_safely(text, mask=True)


def parse_xml_safely(text: str, *, mask: bool = False) -> ParsedPolicy:
    """Parse any XML text with DOCTYPEs refused and element positions recorded.

    ``mask`` first masks policy expressions (for policy documents; not for WSDL/WADL).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    masked = mask_expressions(text) if mask else text
    builder = ET.TreeBuilder()
    positions: dict[int, tuple[int, int]] = {}
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> NoReturn:
        raise _Refused()

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = builder.start(tag, attrs)
        positions[id(element)] = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(masked, True)
    except _Refused:
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        return ParsedPolicy(
            text,
            masked,
            None,
            issue=PolicyIssue(
                "doctype", line, column, "DOCTYPE and entity declarations are not allowed (refused unread: nothing was expanded or fetched)"
            ),
        )
    except expat.ExpatError as error:
        message = expat.errors.messages.get(error.code, str(error)) if hasattr(expat.errors, "messages") else str(error)
        return ParsedPolicy(
            text,
            masked,
            None,
            issue=PolicyIssue("malformed", error.lineno, error.offset + 1, f"not well-formed XML: {message}"),
        )
    root = builder.close()
    return ParsedPolicy(text, masked, root, positions)


# --------------------------------------------------------------------------- references
def named_value_refs(text: str) -> list[tuple[str, int, int]]:
    """``{{name}}`` placeholders with their positions, skipping Liquid ``set-body`` templates."""
    liquid = [(m.start(1), m.end(1)) for m in _LIQUID_BODY.finditer(text)]
    found = []
    for match in _PLACEHOLDER.finditer(text):
        if any(start <= match.start() < end for start, end in liquid):
            continue
        line, column = line_col(text, match.start())
        found.append((match.group(1), line, column))
    return found


def element_refs(parsed: ParsedPolicy) -> list[PolicyRef]:
    """Fragments, backends and loggers named by literal attribute values (expressions skipped)."""
    refs = []
    for element in parsed.iter_elements():
        for tag, attribute, target in _ELEMENT_REFERENCES:
            if element.tag != tag:
                continue
            value = (element.get(attribute) or "").strip()
            if not value or value.startswith("@") or "{{" in value:
                continue
            line, column = parsed.position(element)
            refs.append(PolicyRef(target, value, tag, attribute, line, column))
    return refs


# --------------------------------------------------------------------------- validation
class PolicyValidator:
    """Validates parsed policies against ``policies.xsd``; build one per lint run (loading costs ~0.1 s)."""

    def __init__(self) -> None:
        import xmlschema

        source = resources.files(__package__).joinpath("policies.xsd").read_text(encoding="utf-8")
        self._schema = xmlschema.XMLSchema(source)
        self.policy_names: tuple[str, ...] = tuple(
            sorted(name for name in self._schema.elements if name not in ("policies", "fragment"))
        )

    def validate(self, parsed: ParsedPolicy, *, fragment: bool) -> list[PolicyIssue]:
        if parsed.issue is not None:
            return [parsed.issue]
        root = parsed.root
        assert root is not None
        expected = "fragment" if fragment else "policies"
        if root.tag != expected:
            line, column = parsed.position(root)
            return [PolicyIssue("invalid", line, column, f"the root element must be <{expected}>, not <{root.tag}>")]
        issues: list[PolicyIssue] = []
        seen: set[tuple[int, str]] = set()
        for error in self._schema.iter_errors(root):
            issue = self._issue(parsed, error)
            marker = (issue.line, issue.message)
            if marker not in seen:
                seen.add(marker)
                issues.append(issue)
        return issues

    def _issue(self, parsed: ParsedPolicy, error: object) -> PolicyIssue:
        element = getattr(error, "elem", None)
        child = getattr(error, "invalid_child", None)
        tag = getattr(error, "invalid_tag", None)
        if tag is not None and child is not None and not isinstance(tag, str):
            tag = None
        if isinstance(tag, str):
            line, column = parsed.position(child if child is not None else element)
            parent = element.tag if element is not None else "?"
            known = SECTIONS if parent == "policies" else self.policy_names
            if tag == "base":
                return PolicyIssue("invalid", line, column, f"<base/> is not allowed inside <{parent}>")
            hint = difflib.get_close_matches(tag, known, n=1, cutoff=0.75)
            suggestion = f" (did you mean <{hint[0]}>?)" if hint else ""
            if tag in known:
                return PolicyIssue("invalid", line, column, f"<{tag}> is not allowed here, inside <{parent}>")
            return PolicyIssue("unknown-element", line, column, f"unknown element <{tag}> inside <{parent}>{suggestion}")
        line, column = parsed.position(element)
        reason = str(getattr(error, "reason", None) or getattr(error, "message", error))
        where = f"<{element.tag}>: " if element is not None else ""
        return PolicyIssue("invalid", line, column, f"{where}{reason}")
