"""Reading files nobody here wrote: bounded, regular files only, strict JSON, bounded YAML.

Why one module: every reader (artifacts tree, Git commit source, extractor configuration,
override files, specification lint, breaking-change report, plan's spec comparison) meets the
same hostile input, and each of them used to fail differently: a ``policy.xml`` symlinked to a
file outside the tree was published, a FIFO hung the run, ``/dev/zero`` ate the memory, a YAML
alias bomb hung or ended in ``MemoryError``, duplicate JSON keys silently kept the last value,
``NaN`` was sent to ARM, and deep nesting, huge integers and lone surrogates ended in tracebacks.
Here each of those is one ``ApiOpsError`` (``ArtifactError`` unless the caller asks for
``ConfigError``) naming the file and, when there is one, the line.

Limits (documented in docs/ARCHITECTURE.md):

- ``LIMIT_DOCUMENT`` 4 MiB: information files, policies, fragments, configuration, overrides;
- ``LIMIT_SPECIFICATION`` 64 MiB: ``specification.*`` files;
- ``MAX_DEPTH`` 128 levels of nesting in information files / configuration, ``MAX_SPEC_DEPTH`` 512
  in specifications (libyaml stops at 1000 by itself, Python's JSON parser would overflow the stack);
- integers of at most ``MAX_INT_DIGITS`` (40) digits; ``NaN``/``Infinity`` and overflowing floats refused;
- YAML: ``MAX_YAML_NODES`` (1,000,000) nodes *after* alias expansion, counted on the event stream
  before anything is built, so a "billion laughs" document is refused in milliseconds.

This module imports only ``errors`` (it sits below ``treesource``, ``artifacts`` and ``config``).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

from .errors import ApiOpsError, ArtifactError

__all__ = [
    "LIMIT_DOCUMENT",
    "LIMIT_SPECIFICATION",
    "MAX_DEPTH",
    "MAX_SPEC_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_YAML_NODES",
    "limit_for",
    "read_file",
    "check_size",
    "decode_utf8",
    "load_json",
    "check_yaml",
    "load_yaml_plain",
    "check_depth",
    "value_error_message",
]

LIMIT_DOCUMENT = 4 * 1024 * 1024
LIMIT_SPECIFICATION = 64 * 1024 * 1024
MAX_DEPTH = 128
MAX_SPEC_DEPTH = 512
MAX_INT_DIGITS = 40
MAX_YAML_NODES = 1_000_000

ErrorType = Callable[..., ApiOpsError]

_BOM = b"\xef\xbb\xbf"


def limit_for(path: str) -> int:
    """The size bound for a tree file: specifications get the larger one."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return LIMIT_SPECIFICATION if name.startswith("specification.") else LIMIT_DOCUMENT


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def check_size(size: int, limit: int, where: str, error: ErrorType = ArtifactError) -> None:
    """Refuse content larger than ``limit`` (used for Git blobs, whose size is known before reading)."""
    if size > limit:
        raise error(f"file is larger than the {_mib(limit)} limit ({size} bytes); refusing to read it", path=where)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _may_leave(path: Path | str, root: Path | str) -> bool:
    """Whether ``path`` could resolve outside ``root``: a symlink or ``..`` below the root (one lstat per level).

    Resolving every file with ``realpath`` costs a system call per component of the whole absolute
    path; a tree of thousands of files needs only the few levels below its root checked.
    """
    root_text = os.fspath(root).rstrip(os.sep) or os.sep
    path_text = os.fspath(path)
    if not path_text.startswith(root_text.rstrip(os.sep) + os.sep):
        return True
    current = root_text.rstrip(os.sep)
    for part in path_text[len(current) + 1:].split(os.sep):
        if part in ("..", "."):
            return True
        if not part:
            continue
        current = current + os.sep + part
        if os.path.islink(current):
            return True
    return False


def read_file(
    path: Path | str,
    *,
    root: Path | str | None = None,
    limit: int = LIMIT_DOCUMENT,
    error: ErrorType = ArtifactError,
    where: str | None = None,
) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them.

    With ``root`` the file (after resolving every symlink on the way) must lie inside ``root``:
    a symlink within the tree is fine, one that leaves it is refused. FIFOs, devices and sockets
    are refused without blocking (opened with ``O_NONBLOCK`` and checked with ``fstat``).
    """
    path = Path(path)
    shown = where or str(path)
    if root is not None and _may_leave(path, root):
        real_root = os.path.realpath(root)
        real = os.path.realpath(path)
        if not _inside(real, real_root):
            raise error(
                f"is a symbolic link to {real}, outside the artifacts folder {real_root}; refusing to follow it",
                path=shown,
            )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", path=shown) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = (
                "a FIFO" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode)
                else "a folder" if stat.S_ISDIR(info.st_mode)
                else "not a regular file"
            )
            raise error(f"is {what}, not a regular file; refusing to read it", path=shown)
        check_size(info.st_size, limit, shown, error)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while we read it
                check_size(total, limit, shown, error)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", path=shown) from exc
    finally:
        os.close(fd)


def decode_utf8(data: bytes, where: str, error: ErrorType = ArtifactError) -> str:
    """UTF-8 text with a leading BOM removed."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"file is not UTF-8 text (byte {exc.start})", path=where, line=line) from exc


# ---------------------------------------------------------------------------------------------
# strict JSON
# ---------------------------------------------------------------------------------------------
class _Refused(Exception):
    def __init__(self, message: str, needle: str | re.Pattern[str] | None = None, nth: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.needle = needle
        self.nth = nth


def _line_of(text: str, needle: str | re.Pattern[str] | None, nth: int = 1) -> int | None:
    """Line of the ``nth`` occurrence of ``needle`` (best effort: the JSON hooks get no positions)."""
    if needle is None:
        return None
    if isinstance(needle, str):
        needle = re.compile(re.escape(needle))
    for count, match in enumerate(needle.finditer(text), start=1):
        if count == nth:
            return text.count("\n", 0, match.start()) + 1
    return None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):  # the common case, at C speed
        return result
    result = {}
    for name, value in pairs:
        if name in result:
            pattern = re.compile(re.escape(json.dumps(name)[1:-1]).join(['"', r'"\s*:']))
            raise _Refused(f"duplicate key {name!r} in one object (JSON keeps only the last one; remove one)",
                           pattern, 2)
        result[name] = value
    return result


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number (write a number or a string)",
                   re.compile(r"(?<![\w\"])" + re.escape(name) + r"(?![\w\"])"))


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise _Refused(f"integer of {len(digits)} digits is too large (at most {MAX_INT_DIGITS})", text[:60])
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"number {text[:40]} overflows a double", text[:60])
    return value


_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_depth(value: Any, where: str, limit: int = MAX_DEPTH, error: ErrorType = ArtifactError,
                *, strings: bool = False) -> None:
    """Refuse data nested deeper than ``limit`` (iterative: never itself a recursion problem).

    With ``strings`` every key and string value is also checked for lone surrogates, which
    cannot be encoded as UTF-8 and would fail later, when the value is written or sent.
    """
    try:
        _walk(value, where, limit, error, strings)
    except _Refused as exc:
        raise error(exc.message, path=where) from None


def _walk(value: Any, where: str, limit: int, error: ErrorType, strings: bool) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > limit:
                raise error(f"nested deeper than {limit} levels", path=where)
            for name, item in node.items():
                if strings and isinstance(name, str) and _SURROGATE.search(name):
                    raise _Refused("a lone UTF-16 surrogate (\\ud800-\\udfff) is not a character", _LONE_SURROGATE_ESCAPE)
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > limit:
                raise error(f"nested deeper than {limit} levels", path=where)
            stack.extend((item, depth + 1) for item in node)
        elif strings and isinstance(node, str) and _SURROGATE.search(node):
            raise _Refused("a lone UTF-16 surrogate (\\ud800-\\udfff) is not a character", _LONE_SURROGATE_ESCAPE)


def value_error_message(exc: ValueError) -> str:
    """A parser's ``ValueError`` in words for the user (Python's int-digits limit reads like a bug)."""
    return _value_error(exc)


def _value_error(exc: ValueError) -> str:
    text = str(exc)
    if "integer string conversion" in text:
        return "an integer of more than 4300 digits is too large"
    return text


def load_json(
    data: bytes | str,
    where: str,
    *,
    error: ErrorType = ArtifactError,
    max_depth: int = MAX_DEPTH,
    what: str = "JSON",
) -> Any:
    """Strict JSON: duplicate keys, ``NaN``/``Infinity``, huge numbers, lone surrogates and deep nesting refused."""
    text = decode_utf8(data, where, error) if isinstance(data, bytes) else data.lstrip("\ufeff")
    try:
        value = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int, parse_float=_float
        )
        _walk(value, where, max_depth, error, True)
        return value
    except _Refused as exc:
        raise error(f"invalid {what}: {exc.message}", path=where, line=_line_of(text, exc.needle, exc.nth)) from None
    except json.JSONDecodeError as exc:
        raise error(
            f"invalid {what}: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=where, line=exc.lineno
        ) from None
    except RecursionError:
        raise error(f"invalid {what}: nested too deeply to read (at most {max_depth} levels)", path=where) from None
    except ValueError as exc:  # e.g. a number Python refuses to convert
        raise error(f"invalid {what}: {_value_error(exc)}", path=where) from None


# ---------------------------------------------------------------------------------------------
# bounded YAML
# ---------------------------------------------------------------------------------------------
#: an anchor token (``&name``) where YAML allows one; without anchors there can be no aliases
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s,\[\]{}]")


def check_yaml(
    text: str,
    where: str,
    *,
    error: ErrorType = ArtifactError,
    max_nodes: int = MAX_YAML_NODES,
    max_depth: int = MAX_SPEC_DEPTH,
) -> None:
    """Refuse a YAML document whose aliases expand to more than ``max_nodes`` nodes, or too deep.

    PyYAML and ruamel both expand aliases into shared objects; anything that later walks the
    data (converting, comparing, validating) then walks every expansion: ten levels of ten
    aliases is ten billion nodes. The expanded size is computed on the parser's event stream
    (each anchor's expanded size recorded, each alias adding it), before anything is built.
    Documents without an anchor token are not scanned (the common case costs one regex).
    Syntax errors are left to the caller's own parser, which reports them with positions.
    """
    if not _ANCHOR.search(text):
        return
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, expanded size]
    total = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([event.anchor, 1])
                if len(stack) - 1 > max_depth:
                    line = event.start_mark.line + 1 if event.start_mark else None
                    raise error(f"invalid YAML: nested deeper than {max_depth} levels", path=where, line=line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, size = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
                stack[-1][1] += size
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                stack[-1][1] += 1
            elif isinstance(event, yaml.AliasEvent):
                stack[-1][1] += sizes.get(event.anchor, 1)
            else:
                continue
            total = sum(frame[1] for frame in stack)
            if total > max_nodes:
                mark = getattr(event, "start_mark", None)
                raise error(
                    f"invalid YAML: aliases expand to more than {max_nodes} nodes (an alias bomb?); refusing it",
                    path=where,
                    line=mark.line + 1 if mark is not None else None,
                )
    except yaml.YAMLError:
        return  # malformed: the caller's parser says where


def load_yaml_plain(
    text: str,
    where: str,
    *,
    error: ErrorType = ArtifactError,
    max_depth: int = MAX_SPEC_DEPTH,
) -> Any:
    """Plain data from YAML (libyaml when available), bounded as ``check_yaml`` says.

    Raises ``error`` for anything unreadable; the message carries the line when the parser has one.
    """
    import yaml

    text = text.lstrip("\ufeff")
    check_yaml(text, where, error=error, max_depth=max_depth)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        value = yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(f"invalid YAML: {exc.problem or exc}", path=where,
                    line=mark.line + 1 if mark is not None else None) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", path=where) from None
    except RecursionError:
        raise error(f"invalid YAML: nested too deeply to read (at most {max_depth} levels)", path=where) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise error(f"invalid YAML: {_value_error(exc)}", path=where) from None
    check_depth(value, where, max_depth, error)
    return value
