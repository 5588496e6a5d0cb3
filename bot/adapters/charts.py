"""Progress charts as PNG bytes (matplotlib, Agg backend). Call from a worker thread."""

from __future__ import annotations

import io

from bot.core.progress import MemberProgress


def render_progress_png(report: MemberProgress) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    for dim in report.dimensions:
        xs = [t for t, _ in dim.points]
        ys = [v for _, v in dim.points]
        ax.plot(xs, ys, marker="o", label=f"{dim.interview_type}: {dim.dimension}")
    ax.axhline(3.0, color="grey", linestyle="--", linewidth=1)
    ax.set_ylim(0.5, 4.5)
    ax.set_ylabel("score (3 = meets your target level)")
    ax.set_title("Your scores over time")
    if report.dimensions:
        ax.legend(fontsize="small", loc="lower right")
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
