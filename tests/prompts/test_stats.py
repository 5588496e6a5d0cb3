"""`peerloop prompts stats`: counts per interview type, level and track, and what is short."""

from __future__ import annotations

import io
import json

from bot.core.bank import Prompt
from bot.core.vocab import InterviewType, Level
from bot.prompts import PromptBank, load_bundled
from bot.prompts.cli import LEVEL_TARGET, TYPE_TARGET, bank_stats, cmd_stats, main


def _stub(bank: PromptBank, pid: str, levels: list[str], tracks: list[str]) -> Prompt:
    base = bank.prompts(type=InterviewType.CODING)[0]
    return base.model_copy(
        update={"id": pid, "levels": [Level(lv) for lv in levels], "tracks": tracks}
    )


def test_counts_come_from_the_prompts_levels_and_tracks() -> None:
    bundled = load_bundled()
    bank = PromptBank(
        bundled.rubrics(),
        [
            _stub(bundled, "c-one", ["junior", "mid"], ["any"]),
            _stub(bundled, "c-two", ["mid"], ["backend"]),
            _stub(bundled, "c-three", ["staff+"], ["frontend", "backend"]),
        ],
    )
    stats = bank_stats(bank)
    coding = stats["types"]["coding"]  # type: ignore[index]
    assert coding["total"] == 3
    assert coding["levels"] == {"junior": 1, "mid": 2, "senior": 0, "staff+": 1}
    assert coding["tracks"] == {"any": 1, "backend": 2, "frontend": 1}
    # A backend candidate fits 'any' and 'backend' prompts; a mobile one only 'any'.
    assert coding["fit"]["backend"] == {"junior": 1, "mid": 2, "senior": 0, "staff+": 1}
    assert coding["fit"]["mobile"] == {"junior": 1, "mid": 1, "senior": 0, "staff+": 0}
    below = {(c["type"], c["level"]): c["count"] for c in stats["below_target"]}  # type: ignore[attr-defined]
    assert below[("coding", "senior")] == 0 and below[("coding", "mid")] == 2
    assert below[("behavioral", "junior")] == 0  # a type with no prompts is short everywhere
    assert len(below) == len(InterviewType) * len(Level)
    assert stats["total"] == 3


def test_text_output_prints_the_table_and_the_cells_below_target() -> None:
    out = io.StringIO()
    assert cmd_stats(out=out) == 0
    text = out.getvalue()
    bank = load_bundled()
    for kind in InterviewType:
        row = next(line for line in text.splitlines() if line.startswith(kind.value + " "))
        counts = [int(n) for n in row.split()[1:]]
        assert counts == [
            len(bank.prompts(type=kind)),
            *(len(bank.prompts(type=kind, level=lv)) for lv in Level),
        ]
        for lv in Level:
            n = len(bank.prompts(type=kind, level=lv))
            line = f"  {kind.value} / {lv.value}: {n} ({LEVEL_TARGET - n} short)"
            assert (line in text) is (n < LEVEL_TARGET)
    assert f"{'all':<22}{len(bank.prompts()):>6}\n" in text


def test_json_output_matches_the_bank() -> None:
    out = io.StringIO()
    assert main(["stats", "--json"], out) == 0
    data = json.loads(out.getvalue())
    bank = load_bundled()
    assert data["total"] == len(bank.prompts())
    assert data["level_target"] == LEVEL_TARGET and data["type_target"] == TYPE_TARGET
    coding = data["types"]["coding"]
    assert coding["levels"]["staff+"] == len(bank.prompts(type="coding", level="staff+"))
    assert coding["fit"]["backend"]["senior"] == len(
        bank.prompts(type="coding", level="senior", track="backend")
    )
    assert {c["type"] for c in data["types_below_target"]} == {
        k.value for k in InterviewType if len(bank.prompts(type=k)) < TYPE_TARGET
    }


def test_peerloop_entry_point_runs_stats(capsys: object) -> None:
    from bot.__main__ import main as peerloop

    assert peerloop(["prompts", "stats", "--json"]) == 0
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    assert json.loads(captured.out)["total"] == len(load_bundled().prompts())


def test_coding_meets_the_bank_targets() -> None:
    """Coding is the first type filled to the targets; keep it there."""
    coding = bank_stats(load_bundled())["types"]["coding"]  # type: ignore[index]
    assert coding["total"] >= TYPE_TARGET
    assert all(count >= LEVEL_TARGET for count in coding["levels"].values()), coding["levels"]
