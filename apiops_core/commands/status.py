"""``apiops status ENV...``: which commit is live in each environment, how far behind, and drift.

For each environment (file or name, see ``apiops_core.environments``): the deployment record
read from the instance (one GET), how many commits the live commit is behind the branch and
which resources those commits change (Git only), and the drift — the tree of the live commit,
with the environment's overrides and tokens, compared with the instance as the publisher would
(``commands.drift``), resource by resource with the property diff. Reads only: a Reader role
is enough. Exit codes for a scheduled pipeline: 0 in sync, 2 drift (or a publish that did not
fully land), 1 error — like Terraform's ``-detailed-exitcode``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApiOpsError, ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from ._context import Context
    from ..environments import Environment

__all__ = ["add_arguments", "run", "environment_status", "EXIT_IN_SYNC", "EXIT_DRIFT", "EXIT_ERROR"]

EXIT_IN_SYNC, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ._context import add_target_arguments

    parser.add_argument("environments", nargs="+", metavar="ENV",
                        help="environment file (YAML: subscriptionId, resourceGroup, serviceName, overrides) or name")
    parser.add_argument("--artifacts", required=True, help="the artifacts folder, inside the Git repository publishes come from")
    parser.add_argument("--branch", default="HEAD", metavar="REF", help="what 'behind' is measured against (default HEAD)")
    parser.add_argument("--environments-folder", dest="environments_folder", metavar="FOLDER",
                        help="where environment names are looked up (default environments)")
    parser.add_argument("--unmanaged", action="store_true",
                        help="also report what the instance has and the artifacts lack (reads the whole instance)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the report as Markdown (a run summary)")
    add_target_arguments(parser)


# -- Git ----------------------------------------------------------------------------------------

def _git(repo: Path, *argv: str) -> str | None:
    completed = subprocess.run(["git", "-C", str(repo), *argv], capture_output=True, text=True)
    return completed.stdout.strip() if completed.returncode == 0 else None


def behind(artifacts: str, live: str, branch: str) -> dict[str, Any]:
    """Commits on ``branch`` after ``live`` and the resources their files belong to."""
    from ..artifacts import key_for_path
    from ..gitdiff import changed_paths, resolve_revision
    from .plan import _git_root

    repo, subdir = _git_root(Path(artifacts))
    head = resolve_revision(repo, branch)
    info: dict[str, Any] = {"ref": branch, "commit": head, "behind": None, "ahead": None, "changed": []}
    if _git(repo, "cat-file", "-e", f"{live}^{{commit}}") is None:
        info["note"] = f"the live commit {live[:12]} is not in this repository (fetch it, or a shallow clone)"
        return info
    info["behind"] = int(_git(repo, "rev-list", "--count", f"{live}..{head}") or 0)
    info["ahead"] = int(_git(repo, "rev-list", "--count", f"{head}..{live}") or 0)
    prefix = f"{subdir}/" if subdir else ""
    keys = set()
    for change in changed_paths(repo, live, head):
        for path in (change.path, change.old_path):
            if path and path.startswith(prefix):
                key = key_for_path(path[len(prefix):])
                if key is not None:
                    keys.add(key)
    info["changed"] = [{"kind": k.kind, "name": "/".join(k.names), "workspace": k.workspace} for k in sorted(keys)]
    return info


# -- one environment ------------------------------------------------------------------------------

def environment_status(environment: "Environment", args: argparse.Namespace, context: "Context") -> dict[str, Any]:
    """Everything the report says about one environment (an ``error`` entry instead of raising)."""
    from ..deployments import read_records
    from .drift import LenientTokens, action_items, instance_drift
    from .plan import load_desired

    report: dict[str, Any] = {"name": environment.name, "service": environment.service_name, "status": "error"}
    try:
        with environment.make_arm(context, args) as arm:
            report["service"] = arm.service_name
            records = read_records(arm)
            latest, live = records.latest, records.live
            report["latest"] = latest.to_json() if latest else None
            report["live"] = live.to_json() if live else None
            report["runUrl"] = records.run_url or None
            report["history"] = [r.to_json() for r in records.history]
            if live is None or not live.commit:
                report["status"] = "unknown"
                report["error"] = "no deployment record: nothing says which commit is live (publish once with this version)"
                return report
            report["branch"] = behind(args.artifacts, live.commit, args.branch)
            # secret values are never compared (a Reader cannot read them): their tokens need not be set
            tokens = LenientTokens(context.environ)
            desired = load_desired(args.artifacts, environment.overrides, tokens, commit=live.commit)
            plan = instance_drift(arm, desired.state, selection=desired.selection, notes=desired.notes,
                                  unmanaged=args.unmanaged, target={"service": arm.service_name})
    except ApiOpsError as error:
        report["error"] = str(error)
        return report
    report["drift"] = action_items(plan, {"create": "missing", "update": "changed", "delete": "unmanaged"})
    not_landed = latest is not None and not latest.live
    report["status"] = "drift" if report["drift"] or not_landed or live.dirty else "in-sync"
    if latest is not None and not_landed:
        report["note"] = f"the latest publish ({latest.commit[:12]}, {latest.at}) was {latest.result}: not live"
    elif live.dirty:
        report["note"] = "the live publish had uncommitted changes: the instance may differ from its commit"
    return report


# -- rendering -------------------------------------------------------------------------------------

def _live_line(report: dict[str, Any]) -> str:
    live = report.get("live")
    if not live:
        return "no deployment record"
    dirty = "+local changes" if live.get("dirty") else ""
    return f"{live['commit'][:12]}{dirty} ({live['kind']} {live['result']}, {live['at']})"


def _behind_line(report: dict[str, Any]) -> str:
    branch = report.get("branch")
    if not branch:
        return ""
    if branch.get("behind") is None:
        return branch.get("note", "")
    text = f"{branch['behind']} commit(s) behind {branch['ref']} ({branch['commit'][:12]})"
    if branch.get("ahead"):
        text += f", {branch['ahead']} ahead"
    if branch["changed"]:
        text += "; changed since: " + ", ".join(f"{c['kind']} {c['name']}" for c in branch["changed"])
    return text


def render_text(reports: list[dict[str, Any]]) -> str:
    lines = []
    for report in reports:
        lines.append(f"{report['name']} ({report.get('service') or '?'}): {report['status']}")
        lines.append(f"  live: {_live_line(report)}")
        if report.get("runUrl"):
            lines.append(f"  run: {report['runUrl']}")
        if _behind_line(report):
            lines.append(f"  {_behind_line(report)}")
        if report.get("note"):
            lines.append(f"  note: {report['note']}")
        if report.get("error"):
            lines.append(f"  error: {report['error']}")
        drift = report.get("drift")
        if drift is not None:
            lines.append(f"  drift: {len(drift)} resource(s)" if drift else "  drift: none")
            for item in drift:
                scope = f"workspaces/{item['workspace']}/" if item["workspace"] else ""
                lines.append(f"    {item['change']:<9} {item['kind']} {scope}{item['name']}")
                lines.extend(f"        {line}" for line in item["diff"])
    return "\n".join(lines)


def render_markdown(reports: list[dict[str, Any]]) -> str:
    lines = ["## API Management environments", "", "| environment | instance | live commit | behind | drift |",
             "|---|---|---|---|---|"]
    for report in reports:
        branch = report.get("branch") or {}
        drift = report.get("drift")
        drift_cell = "error" if report.get("error") else ("none" if not drift else f"**{len(drift)} resource(s)**")
        if report["status"] == "drift" and not drift:
            drift_cell = report.get("note", "drift")
        lines.append(f"| {report['name']} | `{report.get('service') or '?'}` | {_live_line(report)} | "
                     f"{branch.get('behind', '—') if branch else '—'} | {drift_cell} |")
    for report in reports:
        if report.get("error"):
            lines += ["", f"### {report['name']}: error", "", report["error"]]
        if report.get("drift"):
            lines += ["", f"### Drift in {report['name']}", ""]
            for item in report["drift"]:
                lines.append(f"- **{item['change']}** `{item['kind']}` `{item['name']}`")
                if item["diff"]:
                    lines += ["", "  ```diff"] + [f"  {line}" for line in item["diff"]] + ["  ```"]
        if report.get("branch", {}).get("changed"):
            changed = ", ".join(f"`{c['kind']} {c['name']}`" for c in report["branch"]["changed"])
            lines += ["", f"{report['name']} is {report['branch']['behind']} commit(s) behind: {changed}"]
    return "\n".join(lines) + "\n"


def exit_code(reports: list[dict[str, Any]]) -> int:
    if any(r["status"] in ("error", "unknown") for r in reports):
        return EXIT_ERROR
    return EXIT_DRIFT if any(r["status"] == "drift" for r in reports) else EXIT_IN_SYNC


def run(args: argparse.Namespace, context: "Context") -> int:
    from ..environments import resolve_environment

    try:
        environments = [resolve_environment(spec, context.environ, args.environments_folder) for spec in args.environments]
    except ConfigError as error:
        context.log.error("error: %s", error)
        return EXIT_ERROR
    reports = [environment_status(environment, args, context) for environment in environments]
    if args.json:
        context.stdout(json.dumps({"environments": reports, "exitCode": exit_code(reports)}, indent=2))
    else:
        context.stdout(render_text(reports))
    if args.markdown:
        Path(args.markdown).write_text(render_markdown(reports), encoding="utf-8")
    return exit_code(reports)
