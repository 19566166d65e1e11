"""The ``apiops`` command line: parse, build the objects, call an engine, print, exit.

Each sub-command lives in its own module under ``apiops_core.commands`` exposing
``add_arguments(parser)`` and ``run(args, context) -> int``; this module only knows the table of
commands and the options they share. It catches ``ApiOpsError`` (no traceback for user errors)
and never calls ``sys.exit`` itself, so the pipeline tasks can call ``main(argv, environ)`` in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from types import ModuleType
from typing import Any, Iterator, Mapping, Sequence

from .commands._context import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Context, add_target_arguments
from .errors import ApiOpsError, ArtifactError, ConfigError, ReferenceError_

__all__ = ["main", "Context", "COMMANDS", "add_target_arguments", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE"]

#: command name → (module under apiops_core.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "extract": ("extract", "read an APIM instance into an artifacts folder"),
    "plan": ("plan", "compute the puts (Creator) and deletes (Terminator) that make an instance match the artifacts"),
    "apply": ("apply", "apply a saved plan file"),
    "publish": ("publish", "plan and apply in one go (--dry-run prints the plan only)"),
    "lint": ("lint", "validate an artifacts folder: specifications, policies, references, best practices"),
    "diff": ("diff", "breaking-change report between a Git revision and the working tree"),
    "status": ("status", "which commit is live in each environment, how far behind, and drift (exit 2 on drift)"),
    "compare": ("compare", "what differs between two environments beyond their declared overrides"),
    "pr": ("pr", "push extracted changes to a branch and open or update the pull request"),
    "pr-comment": ("pr_comment", "post a plan on the pull request of this build (one thread, updated on re-runs)"),
    "emulator": ("emulator", "run the local APIM management-plane emulator"),
    "demo": ("demo", "extract → change → plan → publish against a built-in emulator"),
}

def _global_options(*, top: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the sub-command (``apiops -v plan`` = ``apiops plan -v``).

    The sub-commands' copies default to SUPPRESS, so a flag given before the sub-command is not
    reset by the sub-parser's default; ``main`` reads them with ``getattr(args, name, False)``.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("apiops-core")
    except PackageNotFoundError:  # a source tree that was never installed
        __version__ = "0+unknown"
    common = argparse.ArgumentParser(add_help=False)
    default: Any = False if top else argparse.SUPPRESS
    group = common.add_argument_group("global options (before or after the command)")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="show debug logging")
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="show warnings and errors only")
    group.add_argument("--no-color", action="store_true", default=default,
                       help="no colour even on a terminal (also: environment NO_COLOR set to anything)")
    group.add_argument("--version", action="version", version=f"apiops {__version__}")
    return common


def color_wanted(no_color_flag: bool, environ: Mapping[str, str], stream: object) -> bool:
    """Colour only on a terminal, never with --no-color, NO_COLOR (no-color.org), TERM=dumb or in a pipeline."""
    if no_color_flag or "NO_COLOR" in environ:
        return False
    return interactive(environ, stream)


def interactive(environ: Mapping[str, str], stream: object) -> bool:
    """``stream`` is a terminal a person watches: not a file or pipe, not TERM=dumb, not Azure Pipelines."""
    if environ.get("TERM") == "dumb" or environ.get("TF_BUILD"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(prog="apiops", description="APIOps for Azure API Management",
                                     parents=[_global_options(top=True)])
    sub_common = _global_options(top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"apiops_core.commands.{module_name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text, parents=[sub_common])
        module.add_arguments(command_parser)
        modules[name] = module
    return parser, modules


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now, not the one present at the first call.

    The CLI runs in-process many times (tasks, tests capturing output), so binding the stream
    once would send later runs' messages to a closed or foreign stream.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # noqa: D401
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # the base class assigns it in __init__
        pass


def _configure_logging(verbose: bool, quiet: bool) -> logging.Logger:
    log = logging.getLogger("apiops")
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    log.setLevel(level)
    if not any(getattr(h, "_apiops_cli", False) for h in log.handlers):
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._apiops_cli = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.propagate = False
    return log


_SDK_LOGGERS = ("azure.identity", "azure.core", "msal")


@contextlib.contextmanager
def _quiet_azure_sdk(verbose: bool) -> Iterator[None]:
    """azure-identity reports every credential source it tried (hundreds of lines per attempt) and
    azure-core logs requests; our one-line errors and retry messages say what matters, so their
    loggers are silenced for the run unless ``-v`` asks for the detail (then shown on stderr).
    Restored afterwards: tasks and tests call ``main`` in-process."""
    saved = []
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate, list(logger.handlers)))
        if not verbose:
            logger.setLevel(logging.CRITICAL)
            continue
        logger.setLevel(logging.WARNING if name == "azure.core" else logging.DEBUG)
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, level, propagate, handlers in saved:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.handlers[:] = handlers


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command; return its exit code (0 ok, 1 failed or findings, 2 usage or input error)."""
    parser, modules = _build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "emulator" and "emulator" in modules:
        # the emulator parses its own options (it imports nothing from the client side)
        return int(modules["emulator"].run_raw(args_list[1:]))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
        # --detailed-exitcode keeps 2 for "changes": any error is 1 then, a usage error included
        return EXIT_FAILED if code and "--detailed-exitcode" in args_list else code
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    log = _configure_logging(bool(getattr(args, "verbose", False)), bool(getattr(args, "quiet", False)))
    env = dict(os.environ if environ is None else environ)
    no_color = bool(getattr(args, "no_color", False))
    refused = no_color or "NO_COLOR" in env
    context = Context(environ=env, log=log, color=color_wanted(no_color, env, sys.stdout),
                      tty=interactive(env, sys.stderr),
                      no_color=refused)
    with _quiet_azure_sdk(bool(getattr(args, "verbose", False))):
        try:
            return int(modules[args.command].run(args, context))
        except ApiOpsError as error:
            log.error("error: %s", error)
            if getattr(args, "detailed_exitcode", False):
                return EXIT_FAILED  # 2 means "changes" then (as terraform plan -detailed-exitcode)
            return EXIT_USAGE if isinstance(error, (ConfigError, ArtifactError, ReferenceError_)) else EXIT_FAILED
        except KeyboardInterrupt:
            log.error("interrupted")
            return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
