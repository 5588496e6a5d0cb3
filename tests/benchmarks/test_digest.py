"""``peerloop bench digest --smoke --json``: runs, builds every digest, and counts the same queries at both sizes."""

from __future__ import annotations

import json

import pytest

from benchmarks import digest as digest_bench


def test_digest_bench_smoke_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        digest_bench.main(
            [
                "digest",
                "--json",
                "--members",
                "120",
                "--feedback",
                "800",
                "--repeat",
                "2",
                "--draw",
                "3",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    small, large = report["sizes"]
    assert (small["members"], large["members"]) == (13, 121)  # plus the community's owner
    assert large["feedback_rows"] >= 800 and small["feedback_rows"] >= 80
    # Every member who has not opted out gets a digest computed (one in twenty opted out).
    assert large["personal_digests"] == 121 - len(range(0, 120, 20))
    assert 0 < large["messages"] <= large["personal_digests"]
    assert large["slots"] >= 5  # sixteen zones, some sharing an instant
    assert small["queries"] == large["queries"] > 0 and report["queries_constant"] is True
    # Linear target: 1 s per 10,000 members; best and median of the two runs.
    assert report["target_seconds"] == round(121 / 10_000, 3) and isinstance(
        report["within_target"], bool
    )
    assert report["repeat"] == 2 and len(large["runs_seconds"]) == 2
    assert large["total_seconds"] == min(large["runs_seconds"]) <= large["median_seconds"]
    assert large["community"]["held"] > 0
    # The steps queue every message; rows carry what to draw, never a picture's bytes.
    queue = large["queue"]
    assert (
        queue["queued"] == large["messages"] and queue["steps"] == large["slots"] + 1
    )  # plus the community's
    assert queue["with_picture_bytes"] == 0 and 0 < queue["with_picture_refs"] <= queue["queued"]
    assert queue["drawn_while_queueing"] == 0  # the steps only queue; delivery draws
    assert queue["largest_row_bytes"] < 8_000
    assert (
        queue["drawn_at_delivery"] == min(3, queue["with_picture_refs"])
        and queue["draw_ms_median"] > 0
    )


def test_digest_bench_refuses_sizes_too_small(capsys: pytest.CaptureFixture[str]) -> None:
    assert digest_bench.main(["--members", "3"]) == 2
    assert "--members must be at least 10" in capsys.readouterr().err
    assert digest_bench.main(["--repeat", "0"]) == 2
    assert "--repeat must be at least 1" in capsys.readouterr().err
