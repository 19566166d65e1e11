"""Conversion between the two policy text formats.

``rawxml`` keeps C# policy expressions (``@(...)``, ``@{...}``) unescaped, so it may not even be
well-formed XML; ``xml`` is the same document with the expressions XML-escaped. The emulator
stores exactly what was PUT and converts on GET, so a round trip in one format is byte-exact.
"""
from __future__ import annotations

import html

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def _expression_end(text: str, start: int, escaped: bool) -> int:
    """Index just past the expression that starts with ``@(`` or ``@{`` at ``start``."""
    opener = text[start + 1]
    closer = ")" if opener == "(" else "}"
    depth = 0
    index = start + 1
    quote_token = "&quot;" if escaped else '"'
    while index < len(text):
        if text.startswith(quote_token, index):       # skip C# string literals
            end = text.find(quote_token, index + len(quote_token))
            while end != -1 and not escaped and text[end - 1] == "\\":
                end = text.find(quote_token, end + 1)
            if end == -1:
                return len(text)
            index = end + len(quote_token)
            continue
        char = text[index]
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def expression_spans(text: str, escaped: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` of every ``@(...)``/``@{...}`` policy expression in ``text`` (balanced
    parentheses/braces, C# string literals skipped). ``escaped``: the text is in ``xml`` format,
    where string literals are delimited by ``&quot;``."""
    spans: list[tuple[int, int]] = []
    index = 0
    while True:
        start = min((pos for pos in (text.find("@(", index), text.find("@{", index)) if pos != -1), default=-1)
        if start == -1:
            return spans
        end = _expression_end(text, start, escaped)
        spans.append((start, end))
        index = end


def _transform(text: str, escaped_input: bool, convert) -> str:
    out: list[str] = []
    index = 0
    while True:
        start = min((pos for pos in (text.find("@(", index), text.find("@{", index)) if pos != -1), default=-1)
        if start == -1:
            out.append(text[index:])
            return "".join(out)
        end = _expression_end(text, start, escaped_input)
        out.append(text[index:start])
        out.append(convert(text[start:end]))
        index = end


def _escape(expression: str) -> str:
    for raw, entity in _ESCAPES:
        expression = expression.replace(raw, entity)
    return expression


def to_xml(raw: str) -> str:
    """rawxml → xml: escape the inside of every policy expression."""
    return _transform(raw, False, _escape)


def to_raw(xml: str) -> str:
    """xml → rawxml: unescape the inside of every policy expression."""
    return _transform(xml, True, html.unescape)


def convert(value: str, stored_format: str, wanted_format: str) -> str:
    stored = "rawxml" if stored_format.startswith("rawxml") else "xml"
    wanted = "rawxml" if wanted_format.startswith("rawxml") else "xml"
    if stored == wanted:
        return value
    return to_xml(value) if wanted == "xml" else to_raw(value)
