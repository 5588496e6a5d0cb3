"""``peerloop bench loop --smoke --json``: the lag probe measures a real round and a real digest run."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from benchmarks import loop as loop_bench
from benchmarks.parts import loop_probe
from bot.ops import gc_tuning


def test_loop_bench_smoke_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert loop_bench.main(["--smoke", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["target"] == {"p99_ms": 20.0, "max_ms": 50.0}
    assert len(report["load_before"]["load"]) == 3 and report["load_after"]["cpus"]
    round_, digest = report["scenarios"]["round"], report["scenarios"]["digest"]
    (run,) = round_["runs"]
    # The round really ran: every considered request is paired or left out with a reason.
    assert (
        run["considered"] == 150 and run["pairs"] > 0 and run["pairs"] * 2 + run["left_out"] == 150
    )
    (drun,) = digest["runs"]
    assert drun["steps"] > 1 and drun["queued"] > 0  # one step per time-zone slot, digests queued
    progress, charts = report["scenarios"]["progress"], report["scenarios"]["charts"]
    assert charts["runs"][0]["charts"] > 1  # real PNGs were drawn
    for scenario in (round_, digest, progress, charts):
        for r in scenario["runs"]:
            assert r["samples"] > 10  # the probe ticked all along
            assert 0 <= r["p50_ms"] <= r["p99_ms"] <= r["max_ms"]
            assert r["held_max_ms"] >= 0 and r["gc_full"] >= 0
        assert set(scenario["best"]) == set(scenario["median"]) >= {"p50_ms", "p99_ms", "max_ms"}
        assert isinstance(scenario["within_target"], bool)


def test_the_probe_sees_a_blocked_loop_and_where_it_was_held() -> None:
    def hold(seconds: float) -> None:
        end = time.thread_time() + seconds  # CPU time: the same on a busy machine
        while time.thread_time() < end:
            pass

    async def run() -> loop_probe.LagProbe:
        probe = loop_probe.LagProbe(where_after=0.01)
        async with probe.running():
            await asyncio.sleep(0.2)  # forty quiet ticks on each side keep the median low
            hold(0.12)  # the loop is held for 120 ms of work
            await asyncio.sleep(0.2)
        return probe

    probe = asyncio.run(run())
    summary = probe.summary()
    assert summary["max_ms"] >= 100 and summary["held_max_ms"] >= 100
    assert summary["p50_ms"] < 50
    (worst, *_) = probe.worst()
    assert worst["lag_ms"] >= 100
    assert any("test_loop.py" in place or "hold" in place for place in worst["where"])


def test_lag_summary_percentiles() -> None:
    samples = [i / 1000 for i in range(100)]  # 0 .. 99 ms
    assert loop_probe.lag_summary(samples) == {
        "samples": 100,
        "p50_ms": 50.0,
        "p99_ms": 99.0,
        "max_ms": 99.0,
    }
    assert loop_probe.lag_summary([])["samples"] == 0


def test_loop_bench_one_scenario_runs_with_the_server_collector(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert loop_bench.main(["--smoke", "--json", "--only", "progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["scenarios"]) == {"progress"}
    (run,) = report["scenarios"]["progress"]["runs"]
    assert run["gc_thresholds"] == list(gc_tuning.SERVER_THRESHOLDS)  # as `peerloop run` sets it
