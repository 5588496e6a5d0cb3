"""The ``peerloop`` command line: listings offer JSON, and a closed pipe or Ctrl-C ends quietly."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from bot.__main__ import main, quiet_exit
from bot.prompts import cli


def test_prompts_list_offers_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompts", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["count"] == len(listing["prompts"]) > 0
    first = listing["prompts"][0]
    assert set(first) == {"id", "type", "title", "levels", "tracks"}
    out = io.StringIO()
    assert cli.main(["list", "--type", "coding", "--json"], out) == 0
    coding = json.loads(out.getvalue())
    assert {p["type"] for p in coding["prompts"]} == {"coding"}


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "bot", "prompts", "list"],
        ["-m", "bot.prompts", "list"],
        ["-m", "bot", "prompts", "show", "coding-group-anagrams"],
    ],
)
def test_a_closed_pipe_ends_a_command_without_a_traceback(argv: list[str]) -> None:
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader goes away before the first line, as `| head -0` would
    errors = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
    assert process.returncode == 141


def test_ctrl_c_ends_a_command_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert quiet_exit(interrupted) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_the_license_is_an_spdx_string_setuptools_reads_without_a_warning() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    # the SPDX string needs setuptools 77 or newer (older ones refuse it; newer ones warn about a table)
    assert "setuptools>=77" in project["build-system"]["requires"]


def test_the_process_limits_each_member_as_the_settings_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.core.limits import RateLimit
    from bot.ops.process import rate_limit_of as _rate_limit
    from bot.settings import Settings

    assert _rate_limit(Settings(_env_file=None)) == RateLimit(burst=20, per_second=1.0)  # type: ignore[call-arg]
    monkeypatch.setenv("RATE_LIMIT_BURST", "5")
    monkeypatch.setenv("RATE_LIMIT_PER_SECOND", "0.5")
    assert _rate_limit(Settings(_env_file=None)) == RateLimit(burst=5, per_second=0.5)  # type: ignore[call-arg]
