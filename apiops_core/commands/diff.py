"""``apiops diff --since REV [DIR]``: breaking changes between a Git revision and the working tree.

The old tree is read from the commit (``GitCommitSource``), the new one from the folder
(``DirectorySource``); both go through the same reader, so the comparison sees exactly what
``plan --since`` sees. Exit 0 unless ``--fail-on-breaking`` is given and something breaks.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from ._context import Context
from ..errors import ConfigError

__all__ = ["add_arguments", "run", "git_location"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="artifacts folder in a Git work tree (default: .)")
    parser.add_argument("--since", required=True, help="the Git revision to compare with (commit, tag, branch)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format")
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    parser.add_argument("--fail-on-breaking", action="store_true", help="exit 1 when there is a breaking change")


def git_location(folder: Path) -> tuple[Path, str]:
    """(repository top level, folder relative to it in POSIX form) for a folder inside a work tree."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise ConfigError("the git command is not installed or not on PATH") from error
    if done.returncode != 0:
        raise ConfigError(f"{folder} is not inside a Git work tree: {done.stderr.strip()}")
    top = Path(done.stdout.strip()).resolve()
    relative = folder.resolve().relative_to(top).as_posix()
    return top, "" if relative == "." else relative


def run(args: argparse.Namespace, context: Context) -> int:
    from ..artifacts import read_tree
    from ..lint.breaking import breaking_changes, render_json, render_markdown, render_text
    from ..treesource import DirectorySource, GitCommitSource

    folder = Path(args.dir)
    if not folder.is_dir():
        raise ConfigError(f"artifacts folder {folder} does not exist or is not a folder")
    top, subdir = git_location(folder)
    old_source = GitCommitSource(top, args.since, subdir)
    try:
        old = read_tree(old_source)
    finally:
        close = getattr(old_source, "close", None)
        if close is not None:
            close()
    new = read_tree(DirectorySource(folder))
    for label, tree in (("at " + args.since, old), ("in the working tree", new)):
        if tree.problems:
            context.log.warning("diff: %d unreadable file(s) %s were skipped (run apiops lint)", len(tree.problems), label)
    changes = breaking_changes(old.state, new.state)
    render = {"text": render_text, "markdown": render_markdown, "json": render_json}[args.format]
    text = render(changes)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        context.stdout(text.rstrip("\n"))
    return 1 if changes and args.fail_on_breaking else 0
