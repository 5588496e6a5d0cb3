"""Pictures as PNG bytes: a member's progress, the digest's month of change, the admins' funnel.

Plain functions of plain data (matplotlib's Agg backend and its object-oriented API, no pyplot
state), so each is safe to call from a worker thread (``asyncio.to_thread``).

Readable on dark and light chat themes: the background is transparent, text is a mid grey that
keeps its contrast on both (Discord's #313338 and white), panels sit on a faint neutral tint,
and colours come from the Okabe-Ito palette (safe for the common colour-vision deficiencies);
nothing is told by colour alone (the weakest panel also says so in words, arrows show direction).

The app runs them in a worker process (``bot.adapters.offload``) or on a thread; one picture is
drawn at a time per process: matplotlib's shared state (fonts, caches) is not made for several
threads at once.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from bot.core.digest import CommunityDigest, ScoreChange, type_label
from bot.core.progress import (
    MEETS,
    SECONDS_PER_DAY,
    TREND_MIN_SESSIONS,
    TREND_MIN_SPAN,
    DimensionProgress,
    MemberProgress,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import ColorType

#: Okabe & Ito (2008), "Color Universal Design": a palette told apart by most colour-blind readers.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
#: A grey with about the same contrast on Discord's dark theme (#313338) and on white.
TEXT = "#8E939B"
#: Panels: a faint neutral tint that shows as a lighter card on dark, a light grey on white.
PANEL = (0.5, 0.5, 0.5, 0.13)
GRID = (0.5, 0.5, 0.5, 0.35)
SCORE = OKABE_ITO["sky_blue"]
SCORE_EDGE = OKABE_ITO["blue"]
TREND = OKABE_ITO["orange"]
TARGET = OKABE_ITO["bluish_green"]
WEAK = OKABE_ITO["vermillion"]
UP, DOWN = OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"]
DPI = 100
#: Panels per row of the progress picture (a type with five or six dimensions takes two rows).
COLUMNS = 3
#: Rows of the digest picture (the rest stay in the text).
MAX_CHANGES = 8

DimensionNames = Mapping[tuple[str, str], str]
_ONE_AT_A_TIME = threading.Lock()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.patch.set_alpha(0.0)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # zlib level 3: a few kilobytes more than the default 6, a tenth less time
    fig.savefig(buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _style(ax: Axes, *, face: ColorType = PANEL) -> None:
    ax.set_facecolor(face)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(colors=TEXT, labelcolor=TEXT, length=0, labelsize=9)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def short_date(when: datetime) -> str:
    """``7 Dec``: day and month name, unambiguous whichever order a reader's locale uses."""
    return f"{when.day} {when:%b}"


def dimension_name(names: DimensionNames | None, interview_type: str, dimension: str) -> str:
    if names and (interview_type, dimension) in names:
        return names[(interview_type, dimension)]
    return dimension.replace("-", " ").capitalize()


# -- a member's progress -------------------------------------------------------------------


def _trend_line(points: Sequence[tuple[datetime, float]]) -> tuple[list[datetime], list[float]]:
    """The least-squares line through the points (the trend the reply states), at its ends."""
    t0 = points[0][0]
    days = np.array([(t - t0).total_seconds() / SECONDS_PER_DAY for t, _ in points])
    slope, intercept = np.polyfit(days, np.array([v for _, v in points]), 1)
    ends = [float(days.min()), float(days.max())]
    return [t0 + timedelta(days=d) for d in ends], [float(intercept + slope * d) for d in ends]


def _panel(
    ax: Axes,
    dim: DimensionProgress,
    title: str,
    weakest: bool,
    span: tuple[float, float],
    ticks: tuple[list[float], list[str]],
    many: bool,
    first_column: bool,
    dates: bool,
) -> None:
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    _style(ax, face=(*_rgb(WEAK), 0.16) if weakest else PANEL)
    ax.set_ylim(0.6, 4.4)
    ax.yaxis.set_major_locator(FixedLocator([1, 2, 3, 4]))
    if not first_column:
        ax.yaxis.set_major_formatter(NullFormatter())
    ax.set_xlim(*span)
    # Ticks computed once for every panel (they share the span): a locator per panel is slow.
    ax.xaxis.set_major_locator(FixedLocator(ticks[0]))
    ax.xaxis.set_major_formatter(FixedFormatter(ticks[1]) if dates else NullFormatter())
    ax.axhline(MEETS, color=TARGET, linewidth=1.4, linestyle=(0, (4, 2)), zorder=1, gid="target")
    xs = _date_numbers([t for t, _ in dim.points])
    ys = [v for _, v in dim.points]
    ax.scatter(
        xs,
        ys,
        s=16 if many else 34,
        color=SCORE,
        edgecolors=SCORE_EDGE,
        linewidths=0.8,
        zorder=3,
        gid="scores",
        clip_on=False,
    )
    if dim.trend_per_30_days is not None:
        tx, ty = _trend_line(dim.points)
        ax.plot(
            _date_numbers(tx),
            ty,
            color=TREND,
            linewidth=2.2,
            solid_capstyle="round",
            zorder=4,
            gid="trend",
        )
    colour = WEAK if weakest else TEXT
    ax.set_title(
        textwrap.shorten(title, 26, placeholder="…"),
        loc="left",
        fontsize=10,
        color=colour,
        fontweight="bold",
        pad=17,
    )
    ax.text(
        0,
        1.03,
        ("weakest · " if weakest else "")
        + f"now {dim.recent:.1f}"
        + _trend_words(dim.trend_per_30_days),
        transform=ax.transAxes,
        fontsize=8.5,
        color=colour,
        fontweight="bold" if weakest else "normal",
        va="bottom",
        ha="left",
    )


def _trend_words(per_30_days: float | None) -> str:
    if per_30_days is None:
        return ""
    if abs(per_30_days) < 0.05:
        return " · steady"
    return f" · trend {per_30_days:+.1f}/month".replace("-", "−")


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(colour)


def progress_figure(report: MemberProgress, names: DimensionNames | None = None) -> Figure:
    """Small multiples: one panel per rubric dimension on the shared 1-4 scale, a block of rows per
    interview type, the target level (3) as a dashed line, the calibrated score of each session as
    a point, the trend where :func:`bot.core.progress.trend_per_30_days` allows one, and the
    weakest dimension tinted and labelled."""
    kinds = sorted({d.interview_type for d in report.dimensions})
    order = {key: i for i, key in enumerate(names or {})}
    by_kind = {
        k: sorted(
            (d for d in report.dimensions if d.interview_type == k),
            key=lambda d: (order.get((d.interview_type, d.dimension), len(order)), d.dimension),
        )
        for k in kinds
    }
    rows_of = {k: max(1, -(-len(by_kind[k]) // COLUMNS)) for k in kinds}
    columns = min(COLUMNS, max((len(v) for v in by_kind.values()), default=1))
    # Laid out by hand, in inches (a layout engine would draw the figure twice).
    panel_w, panel_h, gap_w, title_h, ticks_h, header_h, key_h, left, right = (
        2.45,
        1.2,
        0.12,
        0.42,
        0.1,
        0.34,
        0.34,
        0.3,
        0.3,
    )
    rows = sum(rows_of.values())
    width = left + columns * panel_w + (columns - 1) * gap_w + right
    dates_h = 0.18
    height = len(kinds) * (header_h + dates_h) + rows * (title_h + panel_h + ticks_h) + key_h + 0.05
    fig = _figure(width, height)
    times = [t for d in report.dimensions for t, _ in d.points]
    first, last = (
        (min(times), max(times)) if times else (datetime(2026, 1, 1), datetime(2026, 1, 2))
    )
    pad = max((last - first) * 0.06, timedelta(days=2))
    span, ticks = _date_axis(first - pad, last + pad)
    many = max((len(d.points) for d in report.dimensions), default=0) > 20
    # The weakest dimension stands out only while it is below the target level.
    weakest = (
        report.weakest if report.weakest is not None and report.weakest.recent < MEETS else None
    )
    top = height - 0.05
    for k in kinds:
        fig.text(
            0.08 / width,
            (top - header_h / 2) / height,
            type_label(k),
            fontsize=12,
            fontweight="bold",
            color=TEXT,
            va="center",
            gid="type",
        )
        top -= header_h
        for i, dim in enumerate(by_kind[k]):
            row, col = divmod(i, COLUMNS)
            x0 = left + col * (panel_w + gap_w)
            y0 = top - row * (title_h + panel_h + ticks_h) - title_h - panel_h
            ax = fig.add_axes((x0 / width, y0 / height, panel_w / width, panel_h / height))
            _panel(
                ax,
                dim,
                dimension_name(names, dim.interview_type, dim.dimension),
                weakest is not None
                and (dim.interview_type, dim.dimension)
                == (weakest.interview_type, weakest.dimension),
                span,
                ticks,
                many,
                col == 0,
                # dates under the last panel of each column of the type (the span is shared)
                i + COLUMNS >= len(by_kind[k]),
            )
        top -= rows_of[k] * (title_h + panel_h + ticks_h) + dates_h
    _progress_key(fig)
    return fig


def _date_numbers(times: Sequence[datetime]) -> list[float]:
    """Times as matplotlib date numbers (the unit of the shared time axis)."""
    import matplotlib.dates as mdates

    return [float(mdates.date2num(t)) for t in times]


def _date_axis(
    start: datetime, end: datetime
) -> tuple[tuple[float, float], tuple[list[float], list[str]]]:
    """The shared time span as matplotlib date numbers, and up to three ticks in it, labelled short."""
    import matplotlib.dates as mdates

    lo, hi = float(mdates.date2num(start)), float(mdates.date2num(end))
    values = [
        v
        for v in mdates.AutoDateLocator(minticks=2, maxticks=4).tick_values(start, end)
        if lo <= v <= hi
    ]
    if len(values) > 3:
        values = values[:: -(-len(values) // 3)]
    return (lo, hi), (values, [short_date(mdates.num2date(v)) for v in values])


def _progress_key(fig: Figure) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=SCORE,
            markeredgecolor=SCORE_EDGE,
            label="calibrated score per session",
        ),
        Line2D(
            [],
            [],
            color=TREND,
            linewidth=2.2,
            label=f"trend (from {TREND_MIN_SESSIONS} sessions over {TREND_MIN_SPAN.days // 7} weeks)",
        ),
        Line2D(
            [],
            [],
            color=TARGET,
            linestyle=(0, (4, 2)),
            linewidth=1.4,
            label="3 = meets your target level",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=3,
        frameon=False,
        fontsize=8.5,
        labelcolor=TEXT,
        handlelength=1.6,
        columnspacing=1.2,
        bbox_to_anchor=(0.5, 0.0),
        borderaxespad=0.2,
    )


def render_progress_png(report: MemberProgress, names: DimensionNames | None = None) -> bytes:
    with _ONE_AT_A_TIME:
        return _png(progress_figure(report, names))


# -- the digest's month of change ----------------------------------------------------------


def changes_figure(changes: Sequence[ScoreChange], names: DimensionNames | None = None) -> Figure:
    """A dot plot: per dimension, a month ago (hollow) to now (filled), an arrow between them."""
    rows = list(changes[:MAX_CHANGES])
    fig = _figure(6.0, 0.42 * max(1, len(rows)) + 1.0)
    ax = fig.add_subplot()
    _style(ax)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.grid(axis="y", visible=False)
    labels = []
    for y, c in enumerate(reversed(rows)):
        name = dimension_name(names, c.interview_type, c.dimension)
        labels.append(
            textwrap.shorten(f"{type_label(c.interview_type)} · {name}", 34, placeholder="…")
        )
        if c.before is not None and abs(c.now - c.before) >= 0.05:
            colour = UP if c.now > c.before else DOWN
            ax.annotate(
                "",
                xy=(c.now, y),
                xytext=(c.before, y),
                zorder=2,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": colour,
                    "linewidth": 1.8,
                    "shrinkA": 4,
                    "shrinkB": 5,
                    "mutation_scale": 12,
                },
            )
        else:
            colour = TEXT
        if c.before is not None:
            ax.scatter(
                [c.before], [y], s=46, facecolors="none", edgecolors=TEXT, linewidths=1.4, zorder=3
            )
        ax.scatter(
            [c.now],
            [y],
            s=56,
            color=colour if c.before is not None else SCORE,
            zorder=4,
            edgecolors=SCORE_EDGE if c.before is None else colour,
        )
        ax.text(
            4.45,
            y,
            f"{c.now:.1f}" + (f" ({c.now - c.before:+.1f})" if c.before is not None else " new"),
            va="center",
            fontsize=9,
            color=TEXT,
        )
    ax.axvline(MEETS, color=TARGET, linewidth=1.4, linestyle=(0, (4, 2)), zorder=1)
    ax.set_xlim(0.8, 4.2)
    ax.set_xticks([1, 2, 3, 4])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(range(len(rows)), labels)
    fig.suptitle(
        "Since last month: ○ a month ago → ● now (dashed: 3 = your target level)",
        x=0.02,
        ha="left",
        fontsize=10,
        color=TEXT,
    )
    fig.subplots_adjust(
        left=0.36, right=0.84, top=1 - 0.45 / fig.get_figheight(), bottom=0.3 / fig.get_figheight()
    )
    return fig


def render_changes_png(
    changes: Sequence[ScoreChange], names: DimensionNames | None = None
) -> bytes:
    with _ONE_AT_A_TIME:
        return _png(changes_figure(changes, names))


# -- the admins' funnel --------------------------------------------------------------------

FUNNEL = (
    ("requested", "requested", OKABE_ITO["blue"]),
    ("matched", "matched", OKABE_ITO["sky_blue"]),
    ("held", "sessions held", OKABE_ITO["bluish_green"]),
    ("feedback_submitted", "feedback forms given (2 per interview)", OKABE_ITO["orange"]),
)


def funnel_figure(weeks: Sequence[CommunityDigest]) -> Figure:
    """Grouped bars per week (requested, matched, held, feedback given) for the weeks given, and
    beside them the types short of interviewers in the last week."""
    fig = _figure(9.0, 3.6)
    grid = fig.add_gridspec(1, 2, width_ratios=[3.1, 1.3], wspace=0.08)
    ax = fig.add_subplot(grid[0, 0])
    _style(ax)
    x = np.arange(len(weeks))
    width = 0.2
    for i, (attr, label, colour) in enumerate(FUNNEL):
        ax.bar(
            x + (i - 1.5) * width,
            [getattr(w, attr) for w in weeks],
            width,
            color=colour,
            label=label,
            gid=attr,
        )
    ax.set_xticks(x, [short_date(w.due - timedelta(days=7)) for w in weeks])
    ax.set_xlim(-0.6, len(weeks) - 0.4)
    ax.set_title("Each week (from the day shown)", fontsize=10, color=TEXT, loc="left")
    ax.legend(
        loc="upper left",
        ncol=2,
        frameon=False,
        fontsize=8.5,
        labelcolor=TEXT,
        bbox_to_anchor=(0, -0.09),
        handlelength=1.2,
        columnspacing=1.0,
    )
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    short = fig.add_subplot(grid[0, 1])
    _style(short)
    short.grid(axis="y", visible=False)
    short.grid(axis="x", color=GRID, linewidth=0.6)
    shortages = list(weeks[-1].shortages[:5]) if weeks else []
    if shortages:
        ys = np.arange(len(shortages))[::-1]
        for offset, values, colour, label in (
            (0.18, [t.candidates for t in shortages], OKABE_ITO["blue"], "want to be candidates"),
            (
                -0.18,
                [t.interviewers for t in shortages],
                OKABE_ITO["orange"],
                "offered to interview",
            ),
        ):
            bars = short.barh(ys + offset, values, 0.34, color=colour, label=label)
            short.bar_label(
                bars, padding=3, color=TEXT, fontsize=8.5
            )  # a zero shows as "0", not as nothing
        short.set_yticks(
            ys,
            [
                textwrap.shorten(type_label(t.interview_type), 16, placeholder="…")
                for t in shortages
            ],
        )
        short.yaxis.tick_right()
        short.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
        short.set_xlim(0, max(max(t.candidates, t.interviewers) for t in shortages) * 1.2 + 0.5)
        short.legend(
            loc="upper left",
            frameon=False,
            fontsize=8.5,
            labelcolor=TEXT,
            bbox_to_anchor=(0, -0.09),
            handlelength=1.2,
        )
    else:
        short.set_xticks([])
        short.set_yticks([])
        short.text(
            0.5,
            0.5,
            "No type short of\ninterviewers",
            ha="center",
            va="center",
            color=TEXT,
            transform=short.transAxes,
            fontsize=10,
        )
    short.set_title("Short of interviewers (last week)", fontsize=10, color=TEXT, loc="left")
    fig.subplots_adjust(left=0.05, right=0.84, top=0.9, bottom=0.24)
    return fig


def render_funnel_png(weeks: Sequence[CommunityDigest]) -> bytes:
    with _ONE_AT_A_TIME:
        return _png(funnel_figure(weeks))
