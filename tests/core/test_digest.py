"""Digest timing across zones and clock changes, and the pure digest builders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.digest import (
    DigestData,
    DigestFeedback,
    DigestMember,
    DigestRequest,
    DigestSession,
    IsoWeek,
    community_digest,
    community_message,
    due_slots,
    local_due,
    personal,
    personal_digest,
    streak,
)
from bot.core.digest.personal import Focus, ScoreChange
from bot.core.feedback_models import FeedbackRole
from bot.core.models import SessionState
from bot.core.ratings import RatingTotals, community_mean
from bot.core.vocab import RolePreference

MONDAY, SUNDAY = 0, 6


def week_of(day: date) -> IsoWeek:
    return IsoWeek.of(day)


@pytest.mark.parametrize(
    ("tz", "monday", "expected_utc"),
    [
        # New York: clocks go forward on Sunday 8 March 2026 and back on Sunday 1 November.
        ("America/New_York", date(2026, 3, 2), datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),
        ("America/New_York", date(2026, 3, 9), datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
        ("America/New_York", date(2026, 10, 26), datetime(2026, 10, 26, 13, 0, tzinfo=UTC)),
        ("America/New_York", date(2026, 11, 2), datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
        # Berlin: forward on Sunday 29 March, back on Sunday 25 October.
        ("Europe/Berlin", date(2026, 3, 23), datetime(2026, 3, 23, 8, 0, tzinfo=UTC)),
        ("Europe/Berlin", date(2026, 3, 30), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        ("Europe/Berlin", date(2026, 10, 26), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
        # Kolkata: no clock changes, a half-hour offset.
        ("Asia/Kolkata", date(2026, 3, 9), datetime(2026, 3, 9, 3, 30, tzinfo=UTC)),
        ("Asia/Kolkata", date(2026, 11, 2), datetime(2026, 11, 2, 3, 30, tzinfo=UTC)),
        # Auckland: Monday 09:00 is Sunday evening in UTC; summer time ends Sunday 5 April 2026.
        ("Pacific/Auckland", date(2026, 3, 30), datetime(2026, 3, 29, 20, 0, tzinfo=UTC)),
        ("Pacific/Auckland", date(2026, 4, 6), datetime(2026, 4, 5, 21, 0, tzinfo=UTC)),
        # Auckland's summer time starts Sunday 27 September 2026.
        ("Pacific/Auckland", date(2026, 9, 28), datetime(2026, 9, 27, 20, 0, tzinfo=UTC)),
        (None, date(2026, 3, 9), datetime(2026, 3, 9, 9, 0, tzinfo=UTC)),
    ],
)
def test_monday_nine_in_the_members_zone(
    tz: str | None, monday: date, expected_utc: datetime
) -> None:
    due = local_due(week_of(monday), MONDAY, 9, tz)
    assert due == expected_utc
    local = due.astimezone(ZoneInfo(tz or "UTC"))
    assert (local.date(), local.hour, local.minute) == (monday, 9, 0)


def test_an_hour_that_does_not_exist_comes_an_hour_later() -> None:
    # 02:00 on Sunday 8 March 2026 does not exist in New York: the digest comes at 03:00 EDT.
    due = local_due(week_of(date(2026, 3, 8)), SUNDAY, 2, "America/New_York")
    assert due == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert due.astimezone(ZoneInfo("America/New_York")).hour == 3


def test_an_hour_that_happens_twice_means_the_first() -> None:
    # 01:00 on Sunday 1 November 2026 happens twice in New York: the first one (EDT).
    due = local_due(week_of(date(2026, 11, 1)), SUNDAY, 1, "America/New_York")
    assert due == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)


def test_the_same_local_time_is_seven_days_apart_only_without_a_clock_change() -> None:
    ny = "America/New_York"
    before = local_due(week_of(date(2026, 3, 2)), MONDAY, 9, ny)
    after = local_due(week_of(date(2026, 3, 9)), MONDAY, 9, ny)
    assert after - before == timedelta(days=7) - timedelta(hours=1)
    k1 = local_due(week_of(date(2026, 3, 2)), MONDAY, 9, "Asia/Kolkata")
    k2 = local_due(week_of(date(2026, 3, 9)), MONDAY, 9, "Asia/Kolkata")
    assert k2 - k1 == timedelta(days=7)


def test_slots_group_zones_due_at_the_same_instant_and_skip_the_past() -> None:
    now = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # Monday 9 March, 05:00 UTC
    slots = due_slots(
        ["Europe/Berlin", "Europe/Paris", "Asia/Kolkata", "America/New_York", None], MONDAY, 9, now
    )
    this_week = {
        due: zones for (week, due), zones in slots.items() if week == week_of(date(2026, 3, 9))
    }
    # Kolkata's 03:30 UTC has passed; Berlin and Paris share 08:00 UTC.
    assert this_week == {
        datetime(2026, 3, 9, 8, 0, tzinfo=UTC): ["Europe/Berlin", "Europe/Paris"],
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC): [None],
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC): ["America/New_York"],
    }
    next_week = [due for (week, due) in slots if week == week_of(date(2026, 3, 16))]
    assert datetime(2026, 3, 15, 22, 0, tzinfo=UTC) not in next_week  # nobody in Auckland
    assert datetime(2026, 3, 16, 3, 30, tzinfo=UTC) in next_week
    assert all(due > now for _week, due in slots)


def test_week_labels_round_trip() -> None:
    week = IsoWeek.of(date(2026, 12, 31))
    assert week.label == "2026-W53"
    assert IsoWeek.parse(week.label) == week
    assert week.shift(1) == IsoWeek(2027, 1)


# -- builders -------------------------------------------------------------------------------

DUE = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _session(
    sid: str,
    a: str,
    b: str,
    start: datetime,
    state: SessionState = SessionState.COMPLETED,
    swap: bool = True,
    kind: str = "coding",
) -> DigestSession:
    return DigestSession(sid, kind, a, b, swap, start, 60, state)


def _fb(
    sid: str,
    part: int,
    author: str,
    subject: str,
    role: FeedbackRole,
    scores: dict[str, int],
    submitted: datetime,
    revealed: datetime | None,
) -> DigestFeedback:
    return DigestFeedback(sid, part, author, subject, role, "coding", scores, submitted, revealed)


def _member(mid: str) -> DigestMember:
    return DigestMember(mid, mid.title(), "UTC", "mid", False, True)


def test_personal_digest_reports_the_week_for_the_member_only() -> None:
    s_done = _session("s1", "ann", "ben", DUE - 2 * DAY)
    s_old = _session("s0", "ann", "ben", DUE - 20 * DAY)
    s_next = _session("s2", "ann", "cat", DUE + 2 * DAY, state=SessionState.CONFIRMED)
    s_far = _session("s3", "ann", "cat", DUE + 9 * DAY, state=SessionState.CONFIRMED)
    feedback = [
        # Old scores for ann, revealed long ago.
        _fb(
            "s0",
            1,
            "ben",
            "ann",
            FeedbackRole.INTERVIEWER,
            {"communication": 2, "correctness": 3},
            DUE - 19 * DAY,
            DUE - 18 * DAY,
        ),
        # This week's, revealed this week.
        _fb(
            "s1",
            1,
            "ben",
            "ann",
            FeedbackRole.INTERVIEWER,
            {"communication": 3, "correctness": 1},
            DUE - 2 * DAY,
            DUE - 1 * DAY,
        ),
        # Hidden (not revealed yet): must not count.
        _fb(
            "s1",
            2,
            "ann",
            "ben",
            FeedbackRole.INTERVIEWER,
            {"communication": 1},
            DUE - 2 * DAY,
            None,
        ),
    ]
    data = DigestData.index(
        [_member("ann"), _member("ben"), _member("cat")],
        [s_done, s_old, s_next, s_far],
        feedback,
        attended=[(m, t) for m in ("ann", "ben") for t in (s_done.start, DUE - 8 * DAY)],
    )
    d = personal_digest("ann", IsoWeek.of(DUE.date()), DUE, data)
    assert [s.id for s in d.done] == ["s1"]
    assert [s.id for s in d.upcoming] == ["s2"]
    changes = {c.dimension: (c.before, c.now) for c in d.changes}
    assert changes == {"communication": (2.0, 3.0), "correctness": (3.0, 1.0)}
    assert d.weakest is not None and d.weakest.dimension == "correctness"
    assert d.weakest.recent == pytest.approx(2.0)
    # ann wrote part 2 as interviewer but not part 1 as candidate: she owes s1.
    assert [s.id for s in d.owed] == ["s1"]
    assert d.streak == 2
    assert not d.quiet
    # ben: nothing revealed to him; he owes both forms of s1 except none written.
    ben = personal_digest("ben", IsoWeek.of(DUE.date()), DUE, data)
    assert ben.changes == () and ben.weakest is None
    assert [s.id for s in ben.owed] == ["s1"]
    cat = personal_digest("cat", IsoWeek.of(DUE.date()), DUE, data)
    assert cat.quiet is False and [s.id for s in cat.upcoming] == ["s2"]
    nobody = personal_digest("dan", IsoWeek.of(DUE.date()), DUE, data)
    assert nobody.quiet and nobody.streak == 0


def test_streak_counts_consecutive_weeks_back_from_the_due_time() -> None:
    starts = [DUE - 1 * DAY, DUE - 8 * DAY, DUE - 15 * DAY, DUE - 29 * DAY]
    assert streak(starts, DUE) == 3
    assert streak([DUE - 8 * DAY], DUE) == 0
    assert streak([DUE + DAY], DUE) == 0


def test_community_digest_figures_on_a_known_week() -> None:
    week = IsoWeek.of(DUE.date())
    members = [_member(m) for m in ("ann", "ben", "cat", "dan")]
    sessions = [
        # Held this week (feedback still open at DUE): swap, so ann and ben each interview; one-way, ann interviews.
        _session("h1", "ann", "ben", DUE - 2 * DAY),
        _session("h2", "ann", "cat", DUE - 1 * DAY, swap=False),
        _session("n1", "dan", "cat", DUE - 3 * DAY, state=SessionState.NO_SHOW),
        _session("c1", "ben", "dan", DUE - 2 * DAY, state=SessionState.CANCELLED),
        _session(
            "f1", "ben", "cat", DUE - 7 * DAY - 3 * DAY, swap=False
        ),  # window closes 4 days before DUE
        _session("x1", "ann", "dan", DUE + DAY, state=SessionState.CONFIRMED),
    ]
    feedback = [
        _fb(
            "f1",
            1,
            "ben",
            "cat",
            FeedbackRole.INTERVIEWER,
            {"communication": 3},
            DUE - 9 * DAY,
            DUE - 6 * DAY,
        ),
    ]
    requests = [
        DigestRequest("ann", "coding", RolePreference.SWAP, "matched", DUE - 6 * DAY),
        DigestRequest("ben", "coding", RolePreference.SWAP, "matched", DUE - 6 * DAY),
        DigestRequest("cat", "system-design", RolePreference.CANDIDATE, "expired", DUE - 5 * DAY),
        DigestRequest("dan", "system-design", RolePreference.CANDIDATE, "open", DUE - 1 * DAY),
        DigestRequest("ann", "behavioral", RolePreference.CANDIDATE, "cancelled", DUE - 1 * DAY),
        DigestRequest("ben", "behavioral", RolePreference.INTERVIEWER, "open", DUE - 1 * DAY),
        DigestRequest(
            "cat", "coding", RolePreference.SWAP, "matched", DUE - 9 * DAY
        ),  # last week: not counted
    ]
    c = community_digest(
        week, DUE, DigestData.index(members, sessions, feedback, requests=requests)
    )
    assert (c.requested, c.matched, c.held, c.no_shows) == (6, 2, 2, 1)
    assert c.match_rate == pytest.approx(2 / 6)  # matched among the week's requests
    assert c.no_show_rate == pytest.approx(1 / 3)
    assert (c.feedback_submitted, c.feedback_expected) == (1, 2)
    assert c.feedback_rate == pytest.approx(0.5)
    assert c.top_interviewers == ()  # nobody has been rated: nobody is ranked
    assert [(t.interview_type, t.candidates, t.interviewers) for t in c.shortages] == [
        ("system-design", 2, 0)
    ]


def test_community_message_counts_requests_and_sessions_each_in_its_own_unit() -> None:
    week = IsoWeek.of(DUE.date())
    members = [_member(m) for m in ("ann", "ben", "cat", "dan")]
    # Four requests, two of them matched into one session, which was held.
    sessions = [_session("h1", "ann", "ben", DUE - 2 * DAY)]
    requests = [
        DigestRequest("ann", "coding", RolePreference.SWAP, "matched", DUE - 6 * DAY),
        DigestRequest("ben", "coding", RolePreference.SWAP, "matched", DUE - 6 * DAY),
        DigestRequest("cat", "coding", RolePreference.CANDIDATE, "expired", DUE - 5 * DAY),
        DigestRequest("dan", "coding", RolePreference.CANDIDATE, "open", DUE - 1 * DAY),
    ]
    c = community_digest(week, DUE, DigestData.index(members, sessions, [], requests=requests))
    fields = {f.name: f.value for f in community_message(c).fields}
    assert fields["Requests"] == "4 requests, 2 of them matched (50%); 1 expired unmatched."
    assert fields["Sessions"] == "1 session held; 0 no-shows (0% of the sessions that were due)."
    empty = community_digest(week, DUE, DigestData.index(members, [], []))
    assert {f.name: f.value for f in community_message(empty).fields}["Requests"] == "No requests."


def test_top_interviewers_are_ranked_by_reputation_not_by_count() -> None:
    """The community digest's top interviewers: the rating shrunk toward the community's mean,
    among members with at least three ratings, with the figure shown. Two perfect ratings do
    not put "eve" on the list; "ben", rated a little higher than "ann" over many sessions,
    comes first though "ann" interviewed more this week."""
    week = IsoWeek.of(DUE.date())
    members = [_member(m) for m in ("ann", "ben", "cat", "eve")]
    sessions = [
        _session("h1", "ann", "cat", DUE - 2 * DAY),
        _session("h2", "ann", "cat", DUE - 3 * DAY),
        _session("h3", "ben", "cat", DUE - 4 * DAY),
    ]
    ratings = {
        "ann": RatingTotals(ratings=20, items=60, total=60 * 3.4),
        "ben": RatingTotals(ratings=20, items=60, total=60 * 3.7),
        "cat": RatingTotals(ratings=3, items=9, total=9 * 2.0),
        "eve": RatingTotals(ratings=2, items=6, total=6 * 4.0),
        "gone": RatingTotals(ratings=9, items=27, total=27 * 4.0),  # no longer a member
    }
    c = community_digest(week, DUE, DigestData.index(members, sessions, []), ratings)
    assert [t.name for t in c.top_interviewers] == ["Ben", "Ann", "Cat"]
    ben, ann, cat = c.top_interviewers
    assert ann.this_week == 2 and ben.this_week == 1 and cat.ratings == 3
    mean = community_mean(ratings)
    for top, raw in ((ben, 3.7), (ann, 3.4), (cat, 2.0)):  # each pulled toward the mean
        assert min(raw, mean) < top.rating < max(raw, mean)
    shown = {f.name: f.value for f in community_message(c).fields}
    listed = next(v for k, v in shown.items() if k.startswith("Top interviewers"))
    assert (
        listed.splitlines()[0]
        == f"- Ben: {ben.rating:.1f}/4 from 20 ratings, 1 interview this week"
    )
    assert "Eve" not in listed and "former" not in listed


def _scores_reference(
    received: list[DigestFeedback], due: datetime
) -> tuple[tuple[ScoreChange, ...], Focus | None]:
    """The rule as first written (grouped, then averaged and sorted per dimension): the
    digest's single-pass version must give the same changes and the same weakest dimension."""
    since, oldest = due - personal.WEEK, due - personal.LOOKBACK
    earlier: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    new: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    for fb in received:
        seen = fb.revealed_at
        if seen is None or seen >= due or fb.submitted_at < oldest:
            continue
        target = new if seen >= since else earlier
        for dim, score in fb.scores.items():
            target.setdefault((fb.interview_type, dim), []).append((fb.submitted_at, score))

    def mean(points: list[tuple[datetime, int]]) -> float:
        return sum(s for _, s in points) / len(points)

    changes = tuple(
        ScoreChange(k, d, mean(earlier[(k, d)]) if (k, d) in earlier else None, mean(pts))
        for (k, d), pts in sorted(new.items())
    )
    recent = [
        Focus(k, d, mean(sorted(earlier.get((k, d), []) + new.get((k, d), []))[-personal.RECENT :]))
        for k, d in sorted(set(earlier) | set(new))
    ]
    weakest = min(recent, key=lambda f: (f.recent, f.interview_type, f.dimension), default=None)
    return changes, weakest


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["coding", "system-design"]),
            st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(1, 4), max_size=3),
            st.integers(0, 120),  # submitted, days before the digest
            st.one_of(st.none(), st.integers(0, 12)),  # revealed, days after it was submitted
        ),
        max_size=25,
    )
)
def test_score_changes_and_the_weakest_dimension_follow_the_rule(
    rows: list[tuple[str, dict[str, int], int, int | None]],
) -> None:
    due = datetime(2026, 11, 30, 9, tzinfo=UTC)
    received = [
        DigestFeedback(
            f"s{i}",
            1,
            "author",
            "me",
            FeedbackRole.INTERVIEWER,
            kind,
            scores,
            due - timedelta(days=ago),
            None if later is None else due - timedelta(days=ago) + timedelta(days=later),
        )
        for i, (kind, scores, ago, later) in enumerate(rows)
    ]
    assert personal._scores(received, due) == _scores_reference(received, due)
