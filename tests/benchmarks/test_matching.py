"""The benchmark's smoke run (what CI runs) and its JSON shape."""

from __future__ import annotations

import json

import pytest

from benchmarks import matching as bench
from benchmarks.parts import matching_community


def test_smoke_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--smoke", "--json", "--seed", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"seed", "cpus", "prune_degree", "sizes"} <= report.keys()
    assert [s["requests"] for s in report["sizes"]] == list(bench.SMOKE_SIZES)
    for size in report["sizes"]:
        assert size["optimum_source"] == "networkx"
        assert size["max_pairs"] > 0
        methods = size["methods"]
        assert {"peerloop", "networkx", "greedy"} <= methods.keys()
        for name in ("peerloop", "networkx", "greedy"):
            m = methods[name]
            assert {
                "seconds",
                "pairs",
                "pairs_share",
                "weight",
                "weight_share",
                "repeat_pairs",
                "median_wait_days",
            } <= m.keys()
        assert methods["peerloop"]["pairs_share"] == 1.0
        assert methods["peerloop"]["weight_share"] == 1.0
        assert methods["greedy"]["weight_share"] <= 1.0
        # Small sizes are solved on the full graph: the most pairs are proven, and said so.
        assert size["max_pairs_proven"] is True and methods["peerloop"]["max_pairs_proven"] is True
        assert size["pruned_types"] == 0 and size["exact_types"] > 0
        assert methods["peerloop"]["pool"] is True
    assert report["workers_started"] == report["workers"] >= 1
    assert report["total_seconds"] > 0 and report["peak_mb"] > 0


def test_in_one_process_and_in_the_pool_the_same_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    # The interview types solved in worker processes or here: the same pairs and score.
    assert bench.main(["--sizes", "300", "--no-greedy", "--workers", "0", "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert bench.main(["--sizes", "300", "--no-greedy", "--workers", "2", "--json"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    assert alone["workers"] == 0 and pooled["workers"] == 2
    a, b = alone["sizes"][0]["methods"]["peerloop"], pooled["sizes"][0]["methods"]["peerloop"]
    assert (a["pairs"], a["weight"]) == (b["pairs"], b["weight"]) and a["weight_share"] == 1.0


def test_sizes_flag_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "60", "--no-greedy"]) == 0
    out = capsys.readouterr().out
    assert "60 requests" in out and "peerloop" in out and "networkx" in out
    assert "maximum number of pairs: proven" in out and "peak memory" in out


def test_repeat_reports_every_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "80", "--no-greedy", "--repeat", "3", "--json"]) == 0
    peer = json.loads(capsys.readouterr().out)["sizes"][0]["methods"]["peerloop"]
    assert len(peer["runs_seconds"]) == 3
    assert peer["seconds"] == min(peer["runs_seconds"]) <= peer["median_seconds"]
    assert peer["weight_share"] == 1.0
    with pytest.raises(SystemExit):
        bench.main(["--sizes", "80", "--repeat", "0"])


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(SystemExit):
        bench.main(["--sizes", "ten"])


def test_generator_is_deterministic() -> None:
    assert matching_community.generate(50, 4) == matching_community.generate(50, 4)
