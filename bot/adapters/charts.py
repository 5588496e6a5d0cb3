"""Progress charts as PNG bytes (matplotlib's Agg canvas). Call from a worker thread.

The core calls the renderer through :func:`asyncio.to_thread`: drawing takes tens of
milliseconds of pure work, and on a thread the event loop keeps its turn (the interpreter
switches threads every few milliseconds). One chart is drawn at a time: matplotlib's
shared state (fonts, caches) is not made for several threads at once, and one drawing
thread leaves the loop more of the interpreter than several would.
"""

from __future__ import annotations

import io
import threading

from bot.core.progress import MemberProgress

_ONE_AT_A_TIME = threading.Lock()


def render_progress_png(report: MemberProgress) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _ONE_AT_A_TIME:
        fig = Figure(figsize=(8, 4.5), dpi=100)
        canvas = FigureCanvasAgg(fig)
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
        canvas.print_png(buffer)
        return buffer.getvalue()
