"""``apiops demo``: the whole loop on a built-in emulator, in under half a minute.

Starts an emulator seeded with the demo instance, extracts it to a folder, edits a policy and
adds an API (specification + apiInformation.json) there, prints the plan, publishes, and extracts
again to show that the change landed. Nothing outside ``--workdir`` (default: a temp folder) is
touched and nothing talks to Azure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ._context import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:  # pragma: no cover
    from ._context import Context

__all__ = ["add_arguments", "run"]

_SPEC = """openapi: 3.0.1
info:
  title: Weather API
  version: '1.0'
paths:
  /forecast/{city}:
    get:
      operationId: get-forecast
      summary: Forecast for a city
      parameters:
        - name: city
          in: path
          required: true
          schema: {type: string}
      responses:
        '200':
          description: The forecast
"""
_API_INFO = """{
  "properties": {
    "displayName": "Weather API",
    "description": "Added by apiops demo",
    "path": "weather",
    "protocols": ["https"],
    "subscriptionRequired": true,
    "apiRevision": "1",
    "isCurrent": true
  }
}
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", help="folder for the extracted artifacts (default: a new temporary folder)")


def run(args: argparse.Namespace, context: "Context") -> int:
    from ..apply import apply_plan
    from ..arm import ArmClient
    from ..auth import StaticTokenCredential
    from apiops_emulator.apim.emulator import Emulator
    from ..extract import extract
    from ..progress import Display
    from ..render import plan_text
    from .apply import result_summary, summary_line
    from .plan import load_desired, make_plan

    started = time.monotonic()
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="apiops-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    artifacts = workdir / "artifacts"
    say = context.stdout
    show = Display(context.log, tty=context.tty, no_color=context.no_color)
    with Emulator(seed="demo") as emu:
        say(f"1. Emulator with the demo instance at {emu.url}")
        with ArmClient(emu.url, StaticTokenCredential(emu.token), emu.subscription_id, emu.resource_group,
                       emu.service_name, ca_bundle=emu.ca_bundle) as arm:
            with show.reading("reading the demo instance", lambda: arm.stats.requests) as progress:
                result = extract(arm, artifacts, progress=progress)
            say(f"2. Extracted {result.resources} resources into {artifacts}")
            policy = artifacts / "policy.xml"
            text = policy.read_text(encoding="utf-8")
            header = '<set-header name="X-Powered-By" exists-action="override"><value>apiops demo</value></set-header>'
            policy.write_text(text.replace("<inbound>", f"<inbound>\n    {header}", 1), encoding="utf-8")
            api = artifacts / "apis" / "weather-api"
            api.mkdir(parents=True, exist_ok=True)
            (api / "apiInformation.json").write_text(_API_INFO, encoding="utf-8")
            (api / "specification.yaml").write_text(_SPEC, encoding="utf-8")
            say("3. Edited policy.xml (service policy) and added apis/weather-api (apiInformation.json + specification.yaml)")
            desired = load_desired(str(artifacts), None, context.environ)
            with show.reading("planning against the demo instance", lambda: arm.stats.requests) as progress:
                plan = make_plan(arm, desired, artifacts=str(artifacts), since=None, creator=True, terminator=False,
                                 prune=False, max_deletions=None, config_path=None, log=context.log, progress=progress)
            say("4. Plan:")
            say("\n".join("   " + line for line in plan_text(plan, color=context.color).splitlines()))
            before = emu.stats()["requests"]
            with show.applying(len(plan.actions)) as progress:
                outcome = apply_plan(arm, plan, desired.state, progress=progress)
            after = emu.stats()["requests"]
            writes = sum(after[m] - before[m] for m in ("PUT", "PATCH", "DELETE"))
            say(f"5. Published. {summary_line(result_summary(outcome), len(plan.actions))}\n"
                f"   The emulator counted {writes} write request(s).")
            if not outcome.ok:
                say("   publish failed; see the messages above")
                return EXIT_FAILED
            check = workdir / "extracted-again"
            with show.reading("reading the demo instance again", lambda: arm.stats.requests) as progress:
                extract(arm, check, progress=progress)
            landed_policy = "X-Powered-By" in (check / "policy.xml").read_text(encoding="utf-8")
            landed_api = (check / "apis" / "weather-api" / "apiInformation.json").is_file()
            operations = [item.get("name") for item in arm.list("apis/weather-api/operations")]
            say(f"6. Extracted again into {check}: policy header {'present' if landed_policy else 'MISSING'}, "
                f"weather-api {'present' if landed_api else 'MISSING'} with operations {operations}")
            with show.reading("planning again", lambda: arm.stats.requests) as progress:
                again = make_plan(arm, load_desired(str(artifacts), None, context.environ), artifacts=str(artifacts),
                                  since=None, creator=True, terminator=False, prune=False, max_deletions=None,
                                  config_path=None, log=context.log, progress=progress)
            say(f"7. Planning again: {len(again.actions)} plan action(s) — publishing is idempotent")
    say(f"Done in {time.monotonic() - started:.1f} s. Artifacts: {artifacts}")
    return EXIT_OK if landed_policy and landed_api and again.is_empty else EXIT_FAILED
