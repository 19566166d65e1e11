"""`apiops demo` is the README's first command: it must run the whole loop and show the change landed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from apiops_core.cli import main


@pytest.mark.slow
def test_demo_runs_extract_change_plan_publish_and_lands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workdir = tmp_path / "demo"
    assert main(["demo", "--workdir", str(workdir)], environ={}) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    # the plan is shown before it is applied, and a second plan is empty
    assert text.index("Plan:") < text.index("Published")
    assert "Planning again: 0 plan action(s)" in text
    # apply progress percentages, as publish shows them, ending at 100 %
    percentages = re.findall(r"applied (\d+)/(\d+) plan actions \((\d+)%\)", text)
    assert percentages, "the demo must show apply progress percentages"
    assert percentages[-1][0] == percentages[-1][1] and percentages[-1][2] == "100"
    # the summary counts what the progress counted: plan actions with an outcome, of all actions
    applied = re.search(r"Applied (\d+)/(\d+) plan actions: (\d+) written .*?, (\d+) skipped", text)
    assert applied and applied.group(1) == applied.group(2) == percentages[-1][1]
    assert int(applied.group(3)) + int(applied.group(4)) == int(applied.group(1))
    # one ordered display: no per-collection "extracting ..." lines at the default level
    assert "extracting " not in text
    artifacts = workdir / "artifacts"
    assert (artifacts / "apis" / "weather-api" / "apiInformation.json").is_file()
    info = json.loads((artifacts / "apis" / "weather-api" / "apiInformation.json").read_text())
    assert info["properties"]["path"] == "weather"
    again = [p for p in workdir.rglob("apiInformation.json") if "extracted-again" in p.parts and "weather-api" in p.parts]
    assert again, "the second extraction must contain the API the demo added"
