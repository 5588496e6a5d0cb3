"""``peerloop bench charts``: how long the pictures take to draw, and a cached one to fetch.

1. Build a synthetic member who had ``--sessions`` scored coding sessions (50 by default) over a
   year, scored by a handful of interviewers, through the real progress maths
   (:func:`bot.core.progress.member_progress`, with calibration; the sample is
   :mod:`bot.adapters.chart_samples`).
2. Draw their progress picture (six panels, trend lines) ``--runs`` times and report the best
   and the median (target: under 150 ms at 50 sessions), with its size in pixels and bytes.
3. Time the cache hit as ``/mock progress`` gets it (:class:`bot.core.services.progress.PictureCache`,
   keyed on the member's latest reveal): target under 5 ms.
4. Also time the digest's month-of-change picture and the admins' funnel picture.

``--json`` prints JSON only; ``--smoke`` uses few runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from bot.adapters.chart_samples import (
    NOW,
    sample_changes,
    sample_funnel,
    sample_names,
    sample_progress,
)

TARGET_MS = {"progress": 150.0, "cache_hit": 5.0}


def _times(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run (on a busy machine the CPU time tells more)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return wall, cpu


def _summary(times: tuple[list[float], list[float]]) -> dict[str, float]:
    wall, cpu = times
    return {
        "best_ms": round(min(wall), 5),
        "median_ms": round(statistics.median(wall), 5),
        "cpu_best_ms": round(min(cpu), 5),
        "cpu_median_ms": round(statistics.median(cpu), 5),
    }


def run_bench(sessions: int, runs: int) -> dict[str, Any]:
    from bot.adapters.charts import render_changes_png, render_funnel_png, render_progress_png
    from bot.core.services.progress import PictureCache

    names = sample_names()
    report = sample_progress(sessions)
    render_progress_png(report, names)  # the first call imports matplotlib and loads fonts
    png = render_progress_png(report, names)
    progress = _summary(_times(lambda: render_progress_png(report, names), runs))
    cache: PictureCache[bytes] = PictureCache()
    cache.put("me", NOW, png)
    hits = _times(lambda: cache.get("me", NOW), max(runs, 100))
    changes = sample_changes()
    weeks = sample_funnel()
    width, height = _size(png)
    return {
        "sessions": sessions,
        "runs": runs,
        "progress": {
            **progress,
            "width": width,
            "height": height,
            "bytes": len(png),
            "target_ms": TARGET_MS["progress"],
        },
        "cache_hit": {**_summary(hits), "target_ms": TARGET_MS["cache_hit"]},
        "changes": _summary(_times(lambda: render_changes_png(changes, names), runs)),
        "funnel": _summary(_times(lambda: render_funnel_png(weeks), runs)),
    }


def _size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _table(report: dict[str, Any]) -> str:
    p, c = report["progress"], report["cache_hit"]

    def ok(best: float, target: float) -> str:
        return "ok" if best < target else "OVER"

    return "\n".join(
        [
            f"PeerLoop chart benchmark: best and median of {report['runs']} runs (the target is judged on the best)",
            "",
            f"  progress picture, {report['sessions']} sessions: best {p['best_ms']:.1f} ms, median {p['median_ms']:.1f} ms "
            f"(target < {p['target_ms']:.0f} ms: {ok(p['best_ms'], p['target_ms'])}); "
            f"CPU best {p['cpu_best_ms']:.1f} ms; {p['width']}x{p['height']} px, {p['bytes']:,} bytes",
            f"  cache hit: best {c['best_ms']:.4f} ms, median {c['median_ms']:.4f} ms "
            f"(target < {c['target_ms']:.0f} ms: {ok(c['best_ms'], c['target_ms'])})",
            f"  digest picture (month of change): best {report['changes']['best_ms']:.1f} ms, "
            f"median {report['changes']['median_ms']:.1f} ms",
            f"  admins' funnel picture: best {report['funnel']['best_ms']:.1f} ms, "
            f"median {report['funnel']['median_ms']:.1f} ms",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peerloop bench charts",
        description="Time drawing the progress, digest and funnel pictures.",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument("--smoke", action="store_true", help="few runs: finishes in a few seconds")
    parser.add_argument(
        "--sessions", type=int, default=50, help="scored sessions of the member (50)"
    )
    parser.add_argument("--runs", type=int, default=None, help="runs of each picture (15)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    runs = args.runs or (3 if args.smoke else 15)
    if args.sessions < 1 or runs < 1:
        print("--sessions and --runs must be at least 1.", file=sys.stderr)
        return 2
    report = run_bench(args.sessions, runs)
    print(json.dumps(report, indent=2) if args.json else _table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
