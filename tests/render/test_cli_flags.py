"""Global flags anywhere, --version, and when colour is used (pure: no instance)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from apiops_core import __version__
from apiops_core.cli import color_wanted, main


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"], environ={}) == 0
    assert capsys.readouterr().out.strip() == f"apiops {__version__}"


@pytest.mark.parametrize("argv", [["-v", "lint", "{dir}"], ["lint", "{dir}", "-v"], ["lint", "-v", "{dir}"],
                                  ["lint", "{dir}", "--verbose", "--no-color"], ["--no-color", "lint", "{dir}", "-v"]])
def test_verbose_is_accepted_before_and_after_the_command(argv: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "artifacts"
    (folder / "named values" / "nv").mkdir(parents=True)
    (folder / "named values" / "nv" / "namedValueInformation.json").write_text(
        '{"properties": {"displayName": "nv", "value": "x"}}', encoding="utf-8")
    assert main([a.replace("{dir}", str(folder)) for a in argv], environ={}) in (0, 1)  # parsed, ran
    assert logging.getLogger("apiops").level == logging.DEBUG


def test_quiet_after_the_command_and_unknown_flags_still_refused(tmp_path: Path) -> None:
    assert main(["lint", str(tmp_path), "-q"], environ={}) in (0, 1, 2)
    assert logging.getLogger("apiops").level == logging.WARNING
    assert main(["lint", str(tmp_path), "--no-such-flag"], environ={}) == 2


def test_colour_only_on_a_terminal_without_no_color_or_a_pipeline() -> None:
    tty, pipe = _Tty(), io.StringIO()
    assert color_wanted(False, {}, tty)
    assert not color_wanted(False, {}, pipe)  # a pipe or a file
    assert not color_wanted(True, {}, tty)  # --no-color
    assert not color_wanted(False, {"NO_COLOR": ""}, tty)  # no-color.org: present, whatever the value
    assert not color_wanted(False, {"NO_COLOR": "1"}, tty)
    assert not color_wanted(False, {"TF_BUILD": "True"}, tty)  # Azure Pipelines
    assert not color_wanted(False, {"TERM": "dumb"}, tty)
