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
