"""``peerloop bench round --smoke --json``: one real matching round books pairs and accounts for every request."""

from __future__ import annotations

import json

import pytest

from benchmarks import round as round_bench
from bot.core.availability import WeeklyAvailability


def test_round_bench_smoke_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert round_bench.main(["--smoke", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["database"] == "sqlite"
    small, large = report["sizes"]
    assert (small["members"], large["members"]) == (31, 301)  # plus the community's owner
    assert (small["history_sessions"], large["history_sessions"]) == (200, 2_000)
    assert (small["open_requests"], large["open_requests"]) == (12, 120)
    for size in (small, large):
        # Every member has a full profile, so every open request of the coming week is considered.
        assert 0 < size["considered"] <= size["open_requests"]
        assert size["pairs"] > 0
        # Each pair takes two requests; every other considered request is left out, with a reason.
        assert size["pairs"] * 2 + size["left_out"] == size["considered"]
        assert isinstance(size["statements"], int) and size["statements"] > 0
        assert sum(size["statement_kinds"].values()) == size["statements"]
        # Booking writes rows (sessions, steps, announcements) and updates the paired requests.
        assert size["statement_kinds"]["INSERT"] > 0 and size["statement_kinds"]["UPDATE"] > 0
        assert size["round_seconds"] > 0 and size["seconds_per_pair"] > 0
    assert large["considered"] == large["open_requests"]
    assert large["pairs"] >= 40  # a community with evening overlaps pairs most of its requests


def test_round_bench_availability_is_stored_form_of_evening_weeks() -> None:
    import random

    rng = random.Random(3)
    for _ in range(200):
        stored = round_bench.availability(rng)
        week = WeeklyAvailability.from_json(stored)
        assert week.to_json() == stored
        weekdays = [w for w in week.windows if w.weekday < 5]
        assert 2 <= len(weekdays) <= 4
        assert all(17 * 60 <= w.start and 120 <= w.end - w.start <= 240 for w in weekdays)


def test_round_bench_refuses_impossible_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert round_bench.main(["--members", "20", "--requests", "30"]) == 2
    assert "--requests between 2 and --members" in capsys.readouterr().err
