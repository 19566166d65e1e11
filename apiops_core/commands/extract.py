"""``apiops extract``: read an APIM instance into an artifacts folder (Azure/apiops v7 layout).

Thin on purpose: options → ``ArmClient`` + ``ExtractorConfig`` → ``target.check_target`` (the
instance exists) → ``extract.extract`` under a ``DeletionGuard`` (no emptied tree, no mass deletion
unless ``--allow-empty`` / ``--max-deletions``) → a short
summary on stdout (and optionally Markdown / JSON files the pipeline tasks pick up). The
Azure/apiops environment variable names are accepted as fallbacks so existing pipelines keep working.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ._context import Context, add_target_arguments
from ..errors import ConfigError
from ..extract import DEFAULT_SPEC_FORMAT, SPEC_FORMATS, ExtractResult, extract, spec_format_for
from ..target import DEFAULT_MIN_DELETIONS, DeletionGuard, check_target

__all__ = ["add_arguments", "run", "summary_text", "summary_markdown"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        help="artifacts folder to write (env API_MANAGEMENT_SERVICE_OUTPUT_FOLDER_PATH)",
    )
    parser.add_argument(
        "--config",
        help="extractor configuration (configuration.extractor.yaml, v6 or v7 keys; env CONFIGURATION_YAML_PATH)",
    )
    parser.add_argument(
        "--spec-format",
        help=f"specification format: {', '.join(SPEC_FORMATS)} (default {DEFAULT_SPEC_FORMAT}; env API_SPECIFICATION_FORMAT)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="let an extraction that finds nothing delete every artifact file of the folder (refused by default)",
    )
    parser.add_argument(
        "--max-deletions",
        type=int,
        metavar="N",
        help="refuse (before writing) to delete more than N files (default: a quarter of the folder's artifact "
        f"files, at least {DEFAULT_MIN_DELETIONS})",
    )
    parser.add_argument("--summary", help="also write the summary as Markdown to this file")
    parser.add_argument("--result", help="write a JSON result object (resources, files_written, files_deleted, output)")
    add_target_arguments(parser)


def _load_config(path: str | None) -> Any:
    if not path:
        return None
    from ..config import ExtractorConfig

    if not Path(path).is_file():
        raise ConfigError(f"extractor configuration {path} does not exist", path=path)
    return ExtractorConfig.load(Path(path))


def summary_text(result: ExtractResult) -> str:
    lines = [f"extracted {result.resources} resources into {result.output}"]
    for kind_name, count in result.counts.items():
        lines.append(f"  {kind_name:<22} {count}")
    lines.append(
        f"files: {len(result.written)} written, {len(result.deleted)} deleted, {len(result.unchanged)} unchanged"
        f" ({result.arm_calls} ARM calls)"
    )
    return "\n".join(lines)


def summary_markdown(result: ExtractResult) -> str:
    lines = [
        "## APIM extraction",
        "",
        f"Extracted **{result.resources}** resources into `{result.output}`.",
        "",
        "| kind | count |",
        "|---|---:|",
    ]
    lines += [f"| {kind_name} | {count} |" for kind_name, count in result.counts.items()]
    lines += [
        "",
        f"Files: {len(result.written)} written, {len(result.deleted)} deleted, {len(result.unchanged)} unchanged.",
        "",
    ]
    for title, paths in (("Written", result.written), ("Deleted", result.deleted)):
        if paths:
            lines.append(f"<details><summary>{title} ({len(paths)})</summary>\n")
            lines += [f"- `{p}`" for p in paths[:500]]
            if len(paths) > 500:
                lines.append(f"- … and {len(paths) - 500} more")
            lines.append("\n</details>\n")
    return "\n".join(lines)


def run(args: argparse.Namespace, context: Context) -> int:
    output = args.output or context.env("API_MANAGEMENT_SERVICE_OUTPUT_FOLDER_PATH")
    if not output:
        raise ConfigError("--output is required (or set API_MANAGEMENT_SERVICE_OUTPUT_FOLDER_PATH)")
    config = _load_config(args.config or context.env("CONFIGURATION_YAML_PATH"))
    spec_format = (
        args.spec_format
        or context.env("API_SPECIFICATION_FORMAT")
        or getattr(config, "spec_format", None)
        or DEFAULT_SPEC_FORMAT
    )
    spec_format_for(spec_format)  # a bad value is a usage error before any ARM call
    guard = DeletionGuard(allow_empty=args.allow_empty, max_deletions=args.max_deletions)
    from ..progress import Display

    arm = context.make_arm(args)
    try:
        check_target(arm)  # a wrong name must not read as an empty instance
        with Display(context.log, tty=context.tty, no_color=context.no_color).reading(f"reading {arm.service_name}",
                                                          lambda: arm.stats.requests) as progress:
            result = extract(arm, Path(output), config, spec_format=spec_format, progress=progress,
                             before_write=guard.hook(output))
    finally:
        arm.close()
    context.stdout(summary_text(result))
    if args.summary:
        Path(args.summary).write_text(summary_markdown(result), encoding="utf-8")
    if args.result:
        Path(args.result).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    return 0
