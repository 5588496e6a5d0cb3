"""Loop templates as data: every bundled file passes ``peerloop prompts check``, and a bad
file is refused with each problem's place and what is accepted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.prompts.cli import cmd_check

LOOPS = sorted((Path(__file__).parents[2] / "bot" / "prompts" / "data" / "loops").glob("*.yaml"))


@pytest.mark.parametrize("path", LOOPS, ids=lambda p: p.name)
def test_bundled_loop_templates_pass_the_checker(path: Path) -> None:
    out = io.StringIO()
    assert cmd_check(str(path), out) == 0, out.getvalue()
    assert f"OK, loop template '{path.stem}'" in out.getvalue()
    assert "round 3:" in out.getvalue()


def test_a_bad_loop_template_is_refused_with_places_and_what_is_accepted(tmp_path: Path) -> None:
    bad = tmp_path / "ours.yaml"
    bad.write_text(
        "id: ours\nname: Our loop\ntrack: backend\ndays: 3\nrounds:\n"
        "  - type: coding\n  - type: painting\n  - type: coding\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert cmd_check(str(bad), out) == 1
    text = out.getvalue()
    assert "ours.yaml, line 4" in text and "Accepted: 7 to 14 days" in text
    assert "rounds[1].type" in text and "Accepted: coding, system-design" in text
    assert "the loop template would be refused" in text


GOOD = """id: platform
name: Platform onsite
track: backend
rounds:
  - type: system-design
    focus: An internal platform other teams build on.
  - type: sre-troubleshooting
  - type: behavioral
"""


async def test_a_communitys_own_templates_are_offered_next_to_the_bundled_ones(
    tmp_path: Path,
) -> None:
    from bot.app import build_app
    from bot.core.clock import FakeClock
    from bot.settings import sqlite_url_for
    from tests.conftest import T0

    ours = tmp_path / "loops"
    ours.mkdir()
    (ours / "platform.yaml").write_text(GOOD, encoding="utf-8")
    app = await build_app(
        sqlite_url_for(tmp_path / "t.sqlite3"), clock=FakeClock(T0), loop_templates_dir=ours
    )
    try:
        assert app.loops.templates["platform"].name == "Platform onsite"
        assert "backend" in app.loops.templates
        assert ("Platform onsite (3 rounds)", "platform") in app.loops.template_choices("plat")
    finally:
        await app.close()


def test_a_bad_or_clashing_template_in_the_directory_stops_the_start(tmp_path: Path) -> None:
    from bot.prompts.loop_templates import LoopTemplateError, load_loop_templates

    (tmp_path / "platform.yaml").write_text(GOOD.replace("sre-troubleshooting", "chess"), "utf-8")
    (tmp_path / "backend.yaml").write_text(GOOD.replace("platform", "backend"), "utf-8")
    with pytest.raises(LoopTemplateError) as raised:
        load_loop_templates(tmp_path)
    text = str(raised.value)
    assert "platform.yaml, line 7" in text and "Accepted: coding" in text
    assert "backend.yaml" in text and "'backend' is already a template" in text
    with pytest.raises(LoopTemplateError, match="no such directory"):
        load_loop_templates(tmp_path / "missing")
