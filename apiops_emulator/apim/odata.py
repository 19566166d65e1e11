"""The OData ``$filter`` subset APIM list operations document.

Supported: comparisons ``eq ne gt ge lt le``, functions ``contains``, ``startswith``,
``endswith`` and ``substringof`` (argument order reversed, as in OData v2), ``and``/``or``/``not``
and parentheses. Fields are ``name`` or a property name (with or without the ``properties/``
prefix, nested with ``/``). String comparisons are case-insensitive like the service.

``$orderby`` (documented on the policy-fragment lists only): comma-separated ``field [asc|desc]``
over the same fields; strings compare case-insensitively, missing values sort first, ties keep
the store's order.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .errors import bad_request

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))")
_COMPARATORS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"contains", "startswith", "endswith", "substringof"}


class _Literal:
    def __init__(self, value: Any) -> None:
        self.value = value


def _tokenize(text: str) -> list[str | _Literal]:
    tokens: list[str | _Literal] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip() == "":
                break
            raise bad_request(f"Invalid filter clause near '{text[position:]}'.", "InvalidFilter")
        position = match.end()
        if match.group("str") is not None:
            tokens.append(_Literal(match.group("str")[1:-1].replace("''", "'")))
        elif match.group("punct"):
            tokens.append(match.group("punct"))
        elif match.group("word"):
            tokens.append(match.group("word"))
    return tokens


def _field_value(item: dict[str, Any], path: str) -> Any:
    if path.lower() == "name":
        return item.get("name")
    parts = path.split("/")
    if parts[0].lower() == "properties":
        parts = parts[1:]
    current: Any = item.get("properties", item)
    for part in parts:
        if not isinstance(current, dict):
            return None
        lowered = {key.lower(): value for key, value in current.items()}
        current = lowered.get(part.lower())
    return current


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _norm(left), _norm(right)
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    except TypeError:
        return False


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda item: a(item) or b(item)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda item: a(item) and b(item)


def _constant(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda item: value


def _field(path: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: _field_value(item, path)


def _sort_key_of(path: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda item: _sort_key(_field_value(item, path))


class _Parser:
    def __init__(self, tokens: list[str | _Literal]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | _Literal | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str | _Literal:
        token = self.peek()
        if token is None:
            raise bad_request("Unexpected end of filter expression.", "InvalidFilter")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token != text:
            raise bad_request(f"Expected '{text}' in filter expression.", "InvalidFilter")

    def parse_or(self) -> Predicate:
        left = self.parse_and()
        while isinstance(self.peek(), str) and str(self.peek()).lower() == "or":
            self.take()
            right, first = self.parse_and(), left
            left = _either(first, right)
        return left

    def parse_and(self) -> Predicate:
        left = self.parse_unary()
        while isinstance(self.peek(), str) and str(self.peek()).lower() == "and":
            self.take()
            right, first = self.parse_unary(), left
            left = _both(first, right)
        return left

    def parse_unary(self) -> Predicate:
        token = self.peek()
        if isinstance(token, str) and token.lower() == "not":
            self.take()
            inner = self.parse_unary()
            return lambda item: not inner(item)
        if token == "(":
            self.take()
            inner = self.parse_or()
            self.expect(")")
            return inner
        return self.parse_term()

    def operand(self) -> Callable[[dict[str, Any]], Any]:
        token = self.take()
        if isinstance(token, _Literal):
            return _constant(token.value)
        lowered = token.lower()
        if lowered in ("true", "false"):
            return _constant(lowered == "true")
        if lowered == "null":
            return _constant(None)
        if re.fullmatch(r"-?\d+(\.\d+)?", token):
            return _constant(float(token) if "." in token else int(token))
        return _field(token)

    def parse_term(self) -> Predicate:
        token = self.peek()
        if isinstance(token, str) and token.lower() in _FUNCTIONS:
            function = str(self.take()).lower()
            self.expect("(")
            first = self.operand()
            self.expect(",")
            second = self.operand()
            self.expect(")")
            if function == "substringof":
                first, second = second, first
            predicate = _function(function, first, second)
            nxt = self.peek()
            if isinstance(nxt, str) and nxt.lower() in ("eq", "ne"):
                op = str(self.take()).lower()
                expected = self.operand()({})
                return lambda item: (predicate(item) == expected) == (op == "eq")
            return predicate
        left = self.operand()
        op_token = self.take()
        op = op_token.lower() if isinstance(op_token, str) else ""
        if op not in _COMPARATORS:
            raise bad_request(f"Unsupported filter operator '{op_token}'.", "InvalidFilter")
        right = self.operand()
        return lambda item: _compare(op, left(item), right(item))


def _function(name: str, haystack: Callable[[dict[str, Any]], Any], needle: Callable[[dict[str, Any]], Any]) -> Predicate:
    def predicate(item: dict[str, Any]) -> bool:
        text, part = haystack(item), needle(item)
        if not isinstance(text, str) or not isinstance(part, str):
            return False
        text, part = text.lower(), part.lower()
        if name in ("contains", "substringof"):
            return part in text
        if name == "startswith":
            return text.startswith(part)
        return text.endswith(part)
    return predicate


def compile_filter(expression: str | None) -> Predicate | None:
    """Compile a ``$filter`` expression into a predicate over ARM bodies ({name, properties})."""
    if not expression or not expression.strip():
        return None
    parser = _Parser(_tokenize(expression))
    predicate = parser.parse_or()
    if parser.peek() is not None:
        raise bad_request(f"Unexpected token '{parser.peek()}' in filter expression.", "InvalidFilter")
    return predicate


_ORDER_ITEM = re.compile(r"^\s*(?P<field>[^\s,]+)(?:\s+(?P<dir>asc|desc))?\s*$", re.IGNORECASE)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    return (3, str(value).lower())


def order_items(items: list[dict[str, Any]], expression: str | None) -> list[dict[str, Any]]:
    """``items`` sorted by an OData ``$orderby`` expression (a new list; stable)."""
    if not expression or not expression.strip():
        return items
    clauses = []
    for part in expression.split(","):
        match = _ORDER_ITEM.match(part)
        if match is None:
            raise bad_request(f"Invalid $orderby clause '{part.strip()}'.", "InvalidOrderBy")
        clauses.append((match.group("field"), (match.group("dir") or "asc").lower() == "desc"))
    ordered = list(items)
    for field, descending in reversed(clauses):       # stable sorts, last key first
        ordered.sort(key=_sort_key_of(field), reverse=descending)
    return ordered
