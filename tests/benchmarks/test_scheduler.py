"""``peerloop bench scheduler --smoke --json`` runs and reports the documented structure."""

from __future__ import annotations

import json

import pytest

from benchmarks import scheduler as bench


def test_bench_smoke_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["scheduler", "--smoke", "--json", "--actions", "500", "--load", "50"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pending_actions"] == 500
    rebuild = report["rebuild"]
    # 500 steps spread over 30 days: only those due within the horizon are armed on start.
    assert 0 < rebuild["timers"] < 500 and rebuild["horizon_hours"] == 6
    assert {
        "seconds",
        "peak_traced_mb",
        "target_seconds",
        "target_mb",
        "within_targets",
        "sweep_ms",
    } <= set(rebuild)
    assert len(rebuild["runs_seconds"]) == 3 and rebuild["seconds"] == min(rebuild["runs_seconds"])
    # Arming everything instead gives every pending row (and the community's round) a timer.
    assert report["arm_everything"]["timers"] >= 500
    load = report["load"]
    assert load["actions"] == load["ran"] == 50
    assert 0 <= load["p50_ms"] <= load["p95_ms"] <= load["max_ms"]
