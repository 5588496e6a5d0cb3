"""Letting go of a round's objects a piece at a time (bot.core.release)."""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass, field

from bot.core.release import BIG, SLICE, _parts, release


class Row:
    """A record that says when it is freed."""

    def __init__(self, n: int) -> None:
        self.n = n


@dataclass
class Read:
    rows: list[Row] = field(default_factory=list)
    by_id: dict[int, Row] = field(default_factory=dict)


def test_everything_held_is_freed_and_held_is_emptied() -> None:
    rows = [Row(i) for i in range(5_000)]
    refs = [weakref.ref(r) for r in rows]
    read = Read(rows=list(rows), by_id={r.n: r for r in rows})
    held: list[object] = [read, tuple(rows), {"nested": [rows[:3]]}]
    del rows, read
    gc.disable()  # freed by reference counting alone, as the app's thread does
    try:
        release(held)
        assert held == []
        assert all(ref() is None for ref in refs)
    finally:
        gc.enable()


def test_what_is_still_used_elsewhere_is_left_intact() -> None:
    shared = {i: Row(i) for i in range(3 * BIG)}
    kept = list(shared.values())
    release([shared, Read(rows=kept)])
    assert len(shared) == 3 * BIG and len(kept) == 3 * BIG  # never emptied, only let go of
    assert [r.n for r in kept] == list(range(3 * BIG))


def test_a_big_container_goes_in_slices_a_small_one_whole() -> None:
    big = {i: str(i) for i in range(BIG + 1)}
    parts = _parts(big)
    assert parts and all(isinstance(p, list) and len(p) <= SLICE for p in parts)
    assert sum(len(p) for p in parts) == 2 * len(big)  # its keys and its values
    assert _parts(list(range(BIG))) == [] and _parts(Row(1)) == []
