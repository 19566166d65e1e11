"""``apiops compare ENV_A ENV_B``: what really differs between two environments.

Both instances are read (reads only). Whatever either environment's override file sets — a
backend URL, a named value, a policy replaced for prod — is an expected difference and is left
out of both sides before they are compared, so only real differences remain: a commit one
environment has and the other not, a change made by hand. The comparison is the planner's
(``commands.drift``): "differs" lines carry the property diff from A to B. Each side's live
commit (deployment record) is shown too. Exit codes: 0 same, 2 different, 1 error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApiOpsError

if TYPE_CHECKING:  # pragma: no cover
    from ._context import Context

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ._context import add_target_arguments

    parser.add_argument("env_a", metavar="ENV_A", help="environment file or name (e.g. dev)")
    parser.add_argument("env_b", metavar="ENV_B", help="environment file or name (e.g. prod)")
    parser.add_argument("--environments-folder", dest="environments_folder", metavar="FOLDER",
                        help="where environment names are looked up (default environments)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the comparison as Markdown")
    add_target_arguments(parser)


def _read(environment: Any, args: argparse.Namespace, context: "Context") -> tuple[Any, Any, str]:
    from ..deployments import read_records
    from ..extract import read_instance

    with environment.make_arm(context, args) as arm:
        context.log.info("reading %s (%s) ...", environment.name, arm.service_name)
        return read_instance(arm, None), read_records(arm).live, arm.service_name


def compare(args: argparse.Namespace, context: "Context") -> dict[str, Any]:
    from ..config import Overrides
    from ..environments import resolve_environment
    from .drift import LenientTokens, action_items, compare_states, mask_overridden

    env_a = resolve_environment(args.env_a, context.environ, args.environments_folder)
    env_b = resolve_environment(args.env_b, context.environ, args.environments_folder)
    state_a, live_a, service_a = _read(env_a, args, context)
    state_b, live_b, service_b = _read(env_b, args, context)
    lenient = LenientTokens()  # which properties an override sets matters here, not the secret values
    overrides = [Overrides.load(e.overrides, lenient) for e in (env_a, env_b) if e.overrides]
    plan = compare_states(mask_overridden(state_a, overrides), mask_overridden(state_b, overrides))
    labels = {"create": f"only in {env_a.name}", "update": "differs", "delete": f"only in {env_b.name}"}
    return {
        "a": {"name": env_a.name, "service": service_a, "live": live_a.to_json() if live_a else None},
        "b": {"name": env_b.name, "service": service_b, "live": live_b.to_json() if live_b else None},
        "differences": action_items(plan, labels),
    }


def _commit(side: dict[str, Any]) -> str:
    live = side.get("live")
    return f"{live['commit'][:12]} ({live['at']})" if live else "no deployment record"


def render_text(result: dict[str, Any]) -> str:
    a, b = result["a"], result["b"]
    lines = [f"{a['name']} ({a['service']}): live {_commit(a)}", f"{b['name']} ({b['service']}): live {_commit(b)}"]
    differences = result["differences"]
    if not differences:
        lines.append("No differences beyond the declared overrides.")
    else:
        lines.append(f"{len(differences)} difference(s) beyond the declared overrides (diff: {a['name']} -> {b['name']}):")
    for item in differences:
        scope = f"workspaces/{item['workspace']}/" if item["workspace"] else ""
        lines.append(f"  {item['change']:<14} {item['kind']} {scope}{item['name']}")
        lines.extend(f"      {line}" for line in item["diff"])
    return "\n".join(lines)


def render_markdown(result: dict[str, Any]) -> str:
    a, b = result["a"], result["b"]
    lines = [f"## {a['name']} vs {b['name']}", "", f"- {a['name']} (`{a['service']}`): live {_commit(a)}",
             f"- {b['name']} (`{b['service']}`): live {_commit(b)}", ""]
    if not result["differences"]:
        lines.append("No differences beyond the declared overrides.")
    for item in result["differences"]:
        lines.append(f"- **{item['change']}** `{item['kind']}` `{item['name']}`")
        if item["diff"]:
            lines += ["", "  ```diff"] + [f"  {line}" for line in item["diff"]] + ["  ```"]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, context: "Context") -> int:
    try:
        result = compare(args, context)
    except ApiOpsError as error:
        context.log.error("error: %s", error)
        return 1
    context.stdout(json.dumps(result, indent=2) if args.json else render_text(result))
    if args.markdown:
        Path(args.markdown).write_text(render_markdown(result), encoding="utf-8")
    return 2 if result["differences"] else 0
