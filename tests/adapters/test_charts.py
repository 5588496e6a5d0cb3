"""The pictures, checked where eyes are not needed: what the Figure holds before it is saved
(panels, series, labels, the target line), the PNG's size and bytes, the cache, the benchmark."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from benchmarks import charts as charts_bench
from bot.adapters import chart_samples, charts
from bot.adapters.charts import (
    changes_figure,
    funnel_figure,
    progress_figure,
    render_changes_png,
    render_funnel_png,
    render_progress_png,
    short_date,
)
from bot.app import App
from bot.core.digest import (
    DigestData,
    DigestFeedback,
    ScoreChange,
    changes_alt,
    funnel_alt,
    funnel_weeks,
    month_changes,
)
from bot.core.feedback_models import FeedbackRole
from bot.core.messages import ChoiceInput
from bot.core.progress import MEETS, TREND_MIN_SESSIONS
from bot.core.services.actor import Actor
from bot.core.services.progress import PictureCache, ProgressService
from tests.conftest import T0, make_actor
from tests.feedback_helpers import fill, finished_session

#: What a chat preview shows comfortably, and what a message should weigh at most.
MAX_WIDTH, MAX_HEIGHT, MAX_BYTES = 1000, 1800, 200_000
NAMES = chart_samples.sample_names()


def panels(fig: Figure) -> list:
    """The visible axes of a figure (its subfigures' included)."""
    return [ax for ax in fig.axes if ax.get_visible()]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def gid(ax: object, name: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == name]  # type: ignore[attr-defined]


@pytest.mark.parametrize("sessions", [1, 50])
def test_progress_one_panel_per_dimension_one_series_each(sessions: int) -> None:
    report = chart_samples.sample_progress(sessions)
    fig = progress_figure(report, NAMES)
    axes = panels(fig)
    assert len(axes) == len(report.dimensions) == 6
    for ax in axes:
        series = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert (
            len(series) == 1 and series[0].get_gid() == "scores"
        )  # never two series on top of each other
        assert len(series[0].get_offsets()) == sessions
        (target,) = gid(ax, "target")
        assert list(target.get_ydata()) == [MEETS, MEETS]
        assert ax.get_ylim() == (0.6, 4.4)  # the shared 1-4 scale
        assert len(gid(ax, "trend")) == (1 if sessions >= TREND_MIN_SESSIONS else 0)
    # The rubric's names in the rubric's order, never ids.
    assert [ax.get_title(loc="left") for ax in axes] == [
        "Understanding",
        "Approach",
        "Correctness",
        "Code quality",
        "Testing",
        "Communication",
    ]
    assert [t.get_text() for t in fig.texts if t.get_gid() == "type"] == ["Coding"]


@pytest.mark.parametrize("sessions", [1, 50])
def test_progress_png_within_size_and_byte_budget(sessions: int) -> None:
    png = render_progress_png(chart_samples.sample_progress(sessions), NAMES)
    width, height = png_size(png)
    assert width <= MAX_WIDTH and height <= MAX_HEIGHT and len(png) < MAX_BYTES


def test_progress_row_per_type_and_trend_only_by_the_rule() -> None:
    report = chart_samples.sample_progress(6, kinds=("coding", "system-design"))
    fig = progress_figure(report, NAMES)
    assert [t.get_text() for t in fig.texts if t.get_gid() == "type"] == ["Coding", "System design"]
    assert len(panels(fig)) == 12
    # three sessions of each type, over less than three weeks: no trend anywhere yet
    assert all(d.trend_per_30_days is None for d in report.dimensions)
    assert not any(gid(ax, "trend") for ax in panels(fig))
    width, height = png_size(render_progress_png(report, NAMES))
    assert width <= MAX_WIDTH and height <= MAX_HEIGHT


def test_weakest_dimension_is_marked_in_words_only_below_the_target() -> None:
    report = chart_samples.sample_progress(50)
    assert report.weakest is not None and report.weakest.recent < MEETS
    axes = panels(progress_figure(report, NAMES))
    marked = [ax for ax in axes if any(t.get_text().startswith("weakest") for t in ax.texts)]
    assert [ax.get_title(loc="left") for ax in marked] == [
        NAMES[("coding", report.weakest.dimension)]
    ]
    # one session scored 3 everywhere but one dimension 4: nothing is below the target, nothing marked
    single = chart_samples.sample_progress(1)
    if single.weakest is not None and single.weakest.recent >= MEETS:
        assert not any(
            t.get_text().startswith("weakest")
            for ax in panels(progress_figure(single, NAMES))
            for t in ax.texts
        )


def test_dates_read_short() -> None:
    assert short_date(datetime(2027, 3, 5, tzinfo=UTC)) == "5 Mar"
    fig = progress_figure(chart_samples.sample_progress(50), NAMES)
    fig.canvas.draw()
    top, bottom = panels(fig)[0], panels(fig)[-1]
    labels = [t.get_text() for t in bottom.get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= 3 and all(
        len(t.split()) == 2 and t.split()[1].isalpha() for t in labels
    )
    assert not any(
        t.get_text() for t in top.get_xticklabels()
    )  # the span is shared: dates once per column


def test_background_is_transparent() -> None:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(render_progress_png(chart_samples.sample_progress(3), NAMES)))
    assert image.mode == "RGBA" and image.getpixel((0, image.height // 2))[3] == 0


def test_changes_picture_one_row_per_dimension() -> None:
    changes = chart_samples.sample_changes()
    fig = changes_figure(changes, NAMES)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()][::-1][:2] == [
        "Coding · Understanding",
        "Coding · Approach",
    ]
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == sum(
        1 for c in changes if c.before is not None and abs(c.now - c.before) >= 0.05
    )
    width, height = png_size(render_changes_png(changes, NAMES))
    assert width <= 600 and height <= 450  # readable in a chat preview
    alt = changes_alt(changes, lambda kind, dim: NAMES.get((kind, dim), dim))
    assert "Coding · Code quality: 2.7 a month ago, 2.0 now (-0.7)" in alt
    assert "Coding · Testing: first scores this month, 2.0" in alt


def test_funnel_picture_bars_per_week_and_shortages() -> None:
    weeks = chart_samples.sample_funnel()
    fig = funnel_figure(weeks)
    funnel, short = fig.axes
    assert len(funnel.containers) == 4
    for container, (attr, _label, _colour) in zip(funnel.containers, charts.FUNNEL, strict=True):
        assert [bar.get_height() for bar in container] == [getattr(w, attr) for w in weeks]
    assert [t.get_text() for t in short.get_yticklabels()] == [
        "System design",
        "ML system design",
        "Behavioral",
    ]
    width, height = png_size(render_funnel_png(weeks))
    assert width <= MAX_WIDTH and height <= 400
    assert "Short of interviewers: System design (9 candidates, 4 interviewers)" in funnel_alt(
        weeks
    )


NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def _fb(score: int, days_ago: float, dim: str = "approach") -> DigestFeedback:
    when = NOW - timedelta(days=days_ago)
    return DigestFeedback(
        "s",
        1,
        "iv",
        "me",
        FeedbackRole.INTERVIEWER,
        "coding",
        {dim: score},
        when,
        when + timedelta(hours=1),
    )


def test_month_changes_compare_recent_average_with_a_month_ago() -> None:
    received = [_fb(2, 50), _fb(2, 40), _fb(4, 10), _fb(3, 60, "testing"), _fb(1, 5, "correctness")]
    assert month_changes(received, NOW) == (
        ScoreChange("coding", "approach", 2.0, pytest.approx(8 / 3)),
        ScoreChange("coding", "correctness", None, 1.0),
    )  # testing had no new score this month: left out


def test_funnel_weeks_count_each_week_alone() -> None:
    from bot.core.digest import DigestRequest
    from bot.core.vocab import RolePreference

    requests = [
        DigestRequest(
            f"m{i}", "coding", RolePreference.SWAP, "matched", NOW - timedelta(days=1 + 7 * i)
        )
        for i in range(3)
    ]
    weeks = funnel_weeks(NOW, DigestData.index((), (), (), (), requests))
    assert len(weeks) == 8 and [w.requested for w in weeks] == [0, 0, 0, 0, 0, 1, 1, 1]
    assert weeks[-1].due == NOW and weeks[0].due == NOW - timedelta(weeks=7)


async def test_digest_picture_only_when_something_changed_this_month(app: App) -> None:
    from bot.core.services.digest import DigestService

    drawn: list[object] = []

    def chart(changes: object, names: dict[tuple[str, str], str]) -> bytes:
        drawn.append(names)
        return b"\x89PNG"

    digests = DigestService(app.db.uow, app.clock, app.prompts)
    digests.changes_chart = chart
    data = DigestData.index((), (), [_fb(2, 45), _fb(4, 3)])
    picture = await digests.changes_picture("me", NOW, data)
    assert picture is not None and picture.filename == "peerloop-month.png"
    assert drawn == [{("coding", "approach"): "Approach"}]
    assert (
        picture.description is not None
        and "Coding · Approach: 2.0 a month ago, 3.0 now (+1.0)" in picture.description
    )
    quiet = DigestData.index((), (), [_fb(2, 45)])  # nothing new this month: nothing drawn
    assert await digests.changes_picture("me", NOW, quiet) is None and len(drawn) == 1


def test_picture_cache_keys_on_latest_reveal() -> None:
    cache = PictureCache(size=2)
    first = datetime(2026, 12, 1, tzinfo=UTC)
    cache.put("a", first, b"A")
    assert cache.get("a", first) == b"A"
    assert cache.get("a", first + timedelta(seconds=1)) is None  # a newer reveal: draw again
    cache.put("b", None, b"B")
    cache.put("c", None, b"C")
    assert (
        cache.get("a", first) is None and cache.get("c", None) == b"C"
    )  # least recently used went first


async def _scored(
    app: App, interviewer: Actor, candidate: Actor, start: datetime, score: str
) -> None:
    session = await finished_session(app, interviewer, candidate, start=start, swap=False)
    for who in (interviewer, candidate):
        form = (await app.router.act(who, f"pl:feedback.open:{session.id}")).form
        assert form is not None
        scores = {
            i.id: score
            for i in form.inputs
            if isinstance(i, ChoiceInput) and i.options[0].value == "1"
        }
        await app.router.act(who, form.action, fill(form, **scores))


async def test_progress_picture_cached_until_a_new_reveal_and_not_drawn_unseen(app: App) -> None:
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    drawn: list[dict[tuple[str, str], str]] = []

    def chart(report: object, names: dict[tuple[str, str], str]) -> bytes:
        drawn.append(names)
        return b"\x89PNG-" + str(len(drawn)).encode()

    progress = ProgressService(app.db.uow, app.clock, chart, app.prompts)
    await _scored(app, alice, bob, T0 - timedelta(hours=5), "2")
    first = await progress.progress(bob)
    again = await progress.progress(bob)
    assert (
        len(drawn) == 1 and again.attachments[0].data == first.attachments[0].data
    )  # the cache hit
    assert drawn[0][("coding", "code-quality")] == "Code quality"
    assert first.attachments[0].description.startswith("Your scores per rubric dimension")
    assert "Coding · Code quality: 2.0 recent" in first.attachments[0].description
    assert not (await progress.progress(bob, chart=False)).attachments and len(drawn) == 1
    await _scored(app, alice, bob, T0 - timedelta(hours=3), "3")  # a new score revealed
    assert (await progress.progress(bob)).attachments[0].data == b"\x89PNG-2"


def test_bench_smoke_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert charts_bench.main(["--smoke", "--json", "--sessions", "50"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sessions"] == 50 and report["runs"] == 3
    for key in ("progress", "cache_hit", "changes", "funnel"):
        assert 0 <= report[key]["best_ms"] <= report[key]["median_ms"]
    assert report["progress"]["target_ms"] == 150 and report["cache_hit"]["target_ms"] == 5
    assert report["cache_hit"]["median_ms"] < 5
    assert report["progress"]["bytes"] < MAX_BYTES and report["progress"]["width"] <= MAX_WIDTH


def test_bench_refuses_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    assert charts_bench.main(["--sessions", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
