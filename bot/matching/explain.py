"""Human-readable reasons behind a pair's score and behind a request left open.

Texts never mention blocks made by somebody else or anyone's rating, and name no
member: the core knows who is who and renders names in each member's own face.
They hold no time either: times are handed over as datetimes (``Pair.start``,
``Unmatched.next_chance``) for the core to show in each member's zone, and what
concerns one member only (how long they waited) as data (``Pair.waited_days``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.matching import graph as g
from bot.matching import scores as sc
from bot.matching.model import (
    MatchInput,
    MatchRequest,
    Mode,
    Pair,
    UnmatchedCode,
    from_minutes,
    pair_key,
)

_APART = {0: "same level", 1: "levels one apart", 2: "levels two apart", 3: "levels three apart"}


def ago(days: float) -> str:
    """'today', 'yesterday', '5 days ago', '3 weeks ago', '2 months ago'."""
    d = int(days)
    if d < 1:
        return "today"
    if d < 2:
        return "yesterday"
    if d < 14:
        return f"{d} days ago"
    if d < 60:
        return f"{d // 7} weeks ago"
    return f"{d // 30} months ago"


def describe_pair(
    inp: MatchInput,
    prepared: g.Prepared,
    neighbours: Mapping[str, frozenset[str]],
    ia: int,
    ib: int,
    weight: int,
) -> Pair:
    """The pair of requests ``ia`` < ``ib`` with its start, roles, score parts and reasons."""
    w = inp.weights
    a, b = inp.requests[ia], inp.requests[ib]
    common = sorted(set(prepared.starts[ia]) & set(prepared.starts[ib]))
    start_minute = common[0]
    start = from_minutes(start_minute)
    day = (start_minute - prepared.now_minute) // 1440

    relation = sc.track_relation(a.track, b.track, neighbours)
    track_pts = (0, w.neighbour_track, w.same_track)[relation]
    level_diff = abs(a.level - b.level)
    level_pts = w.level_points(level_diff)
    waits = [(inp.now - r.created_at).total_seconds() / 86_400 for r in (a, b)]
    wait_pts = sum(sc.wait_points(w, x) for x in waits)
    left_pts = sc.left_out_points(w, a.times_left_out) + sc.left_out_points(w, b.times_left_out)
    day_pts = sc.day_points(w, day)
    qa, qb = sc.reliability_quanta(a.reliability), sc.reliability_quanta(b.reliability)
    rel_pts = sc.reliability_points(w, qa, qb)
    mode_code = sc.role_mode(a.role, b.role)
    bal_a = sc.balance_points(w, a.given_as_interviewer, a.taken_as_candidate)
    bal_b = sc.balance_points(w, b.given_as_interviewer, b.taken_as_candidate)
    bal_pts = (0 if mode_code == sc.ROW_INTERVIEWS else bal_a) + (
        0 if mode_code == sc.COL_INTERVIEWS else bal_b
    )
    rated_pts = (
        0 if mode_code == sc.COL_INTERVIEWS else sc.rating_points(w, a.interviewer_rating)
    ) + (0 if mode_code == sc.ROW_INTERVIEWS else sc.rating_points(w, b.interviewer_rating))
    ra, rb = sc.rating_quanta(a.interviewer_rating), sc.rating_quanta(b.interviewer_rating)
    na, nb = sc.need_quanta(a.candidate_need), sc.need_quanta(b.candidate_need)
    mentor_pts = (0 if mode_code == sc.COL_INTERVIEWS else sc.mentoring_points(w, ra, nb)) + (
        0 if mode_code == sc.ROW_INTERVIEWS else sc.mentoring_points(w, rb, na)
    )
    last = inp.history.get(pair_key(a.member_id, b.member_id))
    rep_pts = 0
    since = 0.0
    if last is not None:
        since = (inp.now.timestamp() - last.timestamp()) / 86_400
        rep_pts = sc.repeat_points(w, since)

    breakdown = (
        ("base", w.base),
        ("track", track_pts),
        ("level", level_pts),
        ("wait", wait_pts),
        ("left out before", left_pts),
        ("earliest common day", day_pts),
        ("reliability", rel_pts),
        ("balance", bal_pts),
        ("interviewer rating", rated_pts),
        ("mentoring", mentor_pts),
        ("repeat penalty", -rep_pts),
    )
    total = sum(v for _, v in breakdown)
    if total != weight:  # the vectorised and the scalar scores must agree exactly
        raise AssertionError(
            f"score mismatch for {a.request_id}/{b.request_id}: {total} != {weight}"
        )

    mode: Mode
    if mode_code == sc.ROW_INTERVIEWS:
        mode, interviewer, candidate = "one-way", a, b
    elif mode_code == sc.COL_INTERVIEWS:
        mode, interviewer, candidate = "one-way", b, a
    else:
        mode = "swap"

        # The member who has interviewed others more is the candidate first.
        def order(r: MatchRequest) -> tuple[int, datetime, int]:
            return (
                -(r.given_as_interviewer - r.taken_as_candidate),
                r.created_at,
                sc.tie_hash(inp.seed, r.request_id),
            )

        candidate, interviewer = sorted((a, b), key=order)

    reasons: list[str] = []
    if mode == "swap":
        reasons.append("swap: you interview each other")
    else:
        reasons.append("one-way session: one interviews, the other is the candidate")
    if relation == 2:
        reasons.append(f"same track ({a.track})")
    elif relation == 1:
        reasons.append(f"neighbouring tracks ({a.track} and {b.track})")
    else:
        reasons.append(f"different tracks ({a.track} and {b.track})")
    reasons.append(_APART.get(level_diff, f"levels {level_diff} apart"))
    if rep_pts:
        reasons.append(f"met {ago(since)} (repeat penalty)")
    elif last is not None:
        reasons.append(f"met {ago(since)}, long enough ago")
    # How long each member waited concerns that member only: ``waited_days``, not a reason.
    reasons.append("the earliest time you both have free")
    if min(qa, qb) < 100:
        reasons.append("reliability counts (missed sessions lower the score)")
    if bal_pts:
        reasons.append("candidate priority for having interviewed others more often")

    return Pair(
        request_ids=(a.request_id, b.request_id),
        member_ids=(a.member_id, b.member_id),
        interview_type=a.interview_type,
        start=start,
        end=start + timedelta(minutes=inp.session_minutes),
        mode=mode,
        interviewer_first=interviewer.member_id,
        candidate_first=candidate.member_id,
        weight=weight,
        breakdown=breakdown,
        reasons=tuple(reasons),
        waited_days=(max(0, int(waits[0])), max(0, int(waits[1]))),
    )


_TEXTS: dict[UnmatchedCode, str] = {
    "no_free_times": "none of your times can hold a session this round "
    "(they are past, or clash with a session you already have)",
    "no_one_else_for_type": "no one else asked for a {type} session this round",
    "no_shared_times": "nobody looking for a {type} session shares your times this week",
    "no_common_language": "nobody who shares your times speaks one of your languages",
    "roles_do_not_fit": "everyone who shares your times asked for the same role as you ({role})",
    "levels_do_not_fit": "the one-way partners who share your times are too far apart in level",
    "only_blocked_fit": "only members you asked not to be paired with fit this round",
    "no_suitable_partner": "no suitable partner this round",
    "everyone_compatible_paired": "everybody compatible is already paired this round",
    "member_already_paired": "you are already paired this round for your {other} request "
    "(one session per round)",
    "other_request_this_round": "this round your other request was tried first "
    "(one session per round)",
}


def unmatched_text(code: UnmatchedCode, request: MatchRequest, *, other_type: str | None) -> str:
    """Why the request was left open, as a sentence (no time: see ``Unmatched.next_chance``)."""
    return _sentence(
        _TEXTS[code].format(
            type=request.interview_type, role=request.role, other=other_type or "other"
        )
    )


#: Reasons that name the member's own blocks: only the member may read them.
CONFIDENTIAL: dict[UnmatchedCode, UnmatchedCode] = {"only_blocked_fit": "no_suitable_partner"}


def confidential_text(text: str) -> str:
    """``text`` as anyone but its member reads it: a reason naming their blocks becomes neutral."""
    for code, neutral in CONFIDENTIAL.items():
        if text == _sentence(_TEXTS[code]):
            return _sentence(_TEXTS[neutral])
    return text


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."
