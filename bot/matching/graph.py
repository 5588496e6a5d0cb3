"""The compatibility graph of one matching round, built with vectorised numpy.

Requests are bucketed by interview type (pairs never cross types). Inside a bucket
the pair scores are computed block by block (``_BLOCK`` rows against the whole
bucket) from dense arrays: start times binned by day (one small matrix product per
day finds whether two requests share a start and on which day first), a class table
for role/level/track, and sparse corrections for blocks and past pairings.

The score parts of one pair, as plain functions and class tables, are in
``bot.matching.scores``; the edges kept of a bucket (pruning) in ``bot.matching.edges``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from bot.matching.model import MatchRequest, Weights
from bot.matching.scores import (
    COL_INTERVIEWS,
    ROLE_INDEX,
    ROW_INTERVIEWS,
    AnyArray,
    BoolArray,
    FloatArray,
    IntArray,
    balance_points,
    class_tables,
    day_points,
    need_quanta,
    rating_points,
    rating_quanta,
    reliability_band,
    reliability_quanta,
    tie_hash,
)

_BLOCK = 256


@dataclass(frozen=True, slots=True)
class Prepared:
    """Per request, in input order: usable starts (epoch minutes) and node priority."""

    requests: Sequence[MatchRequest]
    starts: Sequence[tuple[int, ...]]
    priority: Sequence[int]
    now_minute: int


@dataclass(slots=True)
class Bucket:
    """Dense arrays for the requests (global indices ``index``) of one interview type."""

    index: IntArray
    member: IntArray
    cls: IntArray
    priority: IntArray
    rel_q: IntArray
    band: IntArray
    bal: IntArray
    rated: IntArray
    #: Interviewer ratings and candidate needs in hundredths (the mentoring term).
    rating_q: IntArray
    need_q: IntArray
    jitter: IntArray
    jitter32: AnyArray
    tie_order: IntArray
    day_slots: list[FloatArray]
    lang: FloatArray | None
    mode_table: AnyArray
    role_table: BoolArray
    score_table: AnyArray
    day_bonus: IntArray
    day_bonus32: AnyArray
    #: Every start as a column (the days' matrices side by side), and transposed.
    slots: FloatArray
    slots_t: FloatArray
    #: Per column, ``2 ** (shift * (days - 1 - day))``: one product of ``slots * slot_scale``
    #: with ``slots_t`` gives, per pair, a float whose binary exponent says the first day with
    #: a common start (``first_day_of_code``, ``day_bonus_of_code``, by exponent byte).
    #: None when there are too many days for a float32 exponent: one product per day then.
    slot_scale: FloatArray | None
    first_day_of_code: AnyArray
    day_bonus_of_code: AnyArray
    #: Reliability points by the distinct reliability quanta (``rel_level`` per row).
    rel_level: IntArray
    rel_table: AnyArray
    #: The class and reliability tables' columns for every row (``mode_table[:, cls]``, ...):
    #: a block's values are then a gather of whole rows, in C order.
    mode_cols: AnyArray
    score_cols: AnyArray
    rel_cols: AnyArray
    dup_members: bool
    blocked: tuple[IntArray, IntArray]
    repeat: tuple[IntArray, IntArray, IntArray]
    weights: Weights

    @property
    def size(self) -> int:
        return int(self.index.shape[0])


def build_bucket(
    prepared: Prepared,
    index: Sequence[int],
    *,
    weights: Weights,
    neighbours: Mapping[str, frozenset[str]],
    repeat: Sequence[tuple[int, int, int]],
    seed: int,
    require_common_language: bool,
    member_codes: Mapping[str, int],
    hard_rules_only: bool = False,
) -> Bucket:
    """Arrays of one interview type's requests (``index``: global request indices).

    ``repeat`` lists ``(member code, member code, penalty points)`` of past pairings.
    With ``hard_rules_only`` the per-request score parts and the seeded order are left at
    zero (a bucket for :func:`compatible_block` and :func:`any_partner` only).
    """
    reqs = [prepared.requests[i] for i in index]
    n = len(reqs)
    idx = np.asarray(index, dtype=np.int64)
    member = np.asarray([member_codes[r.member_id] for r in reqs], dtype=np.int64)

    tracks = sorted({r.track for r in reqs})
    track_of = {t: k for k, t in enumerate(tracks)}
    # class = (track, role, level)
    cls = np.asarray(
        [(track_of[r.track] * 3 + ROLE_INDEX[r.role]) * 4 + r.level for r in reqs], dtype=np.int64
    )
    mode_table, role_table, score_table = class_tables(tuple(tracks), weights, neighbours)

    priority = np.asarray([prepared.priority[i] for i in index], dtype=np.int64)
    if hard_rules_only:
        rel_q = bal = rated = rating_q = need_q = jitter = np.zeros(n, dtype=np.int64)
        tie_order = np.arange(n, dtype=np.int64)
    else:
        rel_q = np.asarray([reliability_quanta(r.reliability) for r in reqs], dtype=np.int64)
        bal = np.asarray(
            [balance_points(weights, r.given_as_interviewer, r.taken_as_candidate) for r in reqs],
            dtype=np.int64,
        )
        rated = np.asarray(
            [rating_points(weights, r.interviewer_rating) for r in reqs], dtype=np.int64
        )
        rating_q = np.asarray([rating_quanta(r.interviewer_rating) for r in reqs], dtype=np.int64)
        need_q = np.asarray([need_quanta(r.candidate_need) for r in reqs], dtype=np.int64)
        hashes = [tie_hash(seed, r.request_id) for r in reqs]
        jitter = np.asarray([h & 0xFF for h in hashes], dtype=np.int64)
        # The solver breaks ties between equally good matchings by node order: seeded.
        seeded = sorted(range(n), key=lambda row: (hashes[row], row))
        tie_order = np.empty(n, dtype=np.int64)
        tie_order[seeded] = np.arange(n, dtype=np.int64)

    # Start times binned by day from now: one 0/1 matrix per day.
    starts = [prepared.starts[i] for i in index]
    lengths = [len(st) for st in starts]
    flat = np.fromiter(chain.from_iterable(starts), dtype=np.int64, count=sum(lengths))
    minutes, column = np.unique(flat, return_inverse=True)  # every start, sorted
    day_of = (minutes - prepared.now_minute) // 1440
    n_days = int(day_of[-1]) + 1 if minutes.size else 0
    width = np.bincount(day_of, minlength=n_days)
    # a start's column within its day's matrix
    col_in_day = np.arange(minutes.size) - np.searchsorted(day_of, day_of)
    row_of = np.repeat(np.arange(n), lengths)
    flat_day = day_of[column]
    flat_col = col_in_day[column]
    day_slots = []
    for d in range(n_days):
        mat = np.zeros((n, int(width[d])), dtype=np.float32)
        on = flat_day == d
        mat[row_of[on], flat_col[on]] = 1.0
        day_slots.append(mat)
    day_slots = [d if d.shape[1] else np.zeros((n, 1), dtype=np.float32) for d in day_slots]
    day_bonus = np.asarray([day_points(weights, d) for d in range(max(n_days, 1))], dtype=np.int64)
    slots = np.concatenate(day_slots, axis=1) if day_slots else np.zeros((n, 0), dtype=np.float32)
    slot_scale, first_day_of_code, day_bonus_of_code = _day_codes(day_slots, day_bonus)

    lang: FloatArray | None = None
    if require_common_language:
        langs = sorted({lg for r in reqs for lg in r.languages})
        distinct = {r.languages for r in reqs}
        if len(langs) > 1 and len(distinct) > 1:
            lang_of = {lg: k for k, lg in enumerate(langs)}
            lang = np.zeros((n, len(langs)), dtype=np.float32)
            for row, r in enumerate(reqs):
                if r.languages:
                    lang[row, [lang_of[lg] for lg in r.languages]] = 1.0
                else:  # no language given: speaks with anyone
                    lang[row, :] = 1.0

    # Sparse corrections, in bucket-local indices (both directions).
    local_of_member: dict[int, list[int]] = {}
    for row, code in enumerate(member.tolist()):
        local_of_member.setdefault(code, []).append(row)
    dup_members = any(len(rows) > 1 for rows in local_of_member.values())
    bi: list[int] = []
    bj: list[int] = []
    for row, r in enumerate(reqs):
        for other in sorted(r.blocked):
            code = member_codes.get(other)
            if code is None:
                continue
            for col in local_of_member.get(code, ()):
                bi += (row, col)
                bj += (col, row)
    ri: list[int] = []
    rj: list[int] = []
    rp: list[int] = []
    for ca, cb, pen in repeat:
        for x in local_of_member.get(ca, ()):
            for y in local_of_member.get(cb, ()):
                ri += (x, y)
                rj += (y, x)
                rp += (pen, pen)
    levels, rel_level = np.unique(rel_q, return_inverse=True)
    rel_table = (levels[:, None] * levels[None, :] * weights.reliability // 10_000).astype(np.int32)
    return Bucket(
        index=idx,
        member=member,
        cls=cls,
        priority=priority,
        rel_q=rel_q,
        band=np.asarray([reliability_band(q) for q in rel_q.tolist()], dtype=np.int64),
        bal=bal,
        rated=rated,
        rating_q=rating_q,
        need_q=need_q,
        jitter=jitter,
        jitter32=jitter.astype(np.int32),
        tie_order=tie_order,
        day_slots=day_slots,
        lang=lang,
        mode_table=mode_table,
        role_table=role_table,
        score_table=score_table,
        day_bonus=day_bonus,
        day_bonus32=day_bonus.astype(np.int32),
        slots=slots,
        slots_t=np.ascontiguousarray(slots.T),
        slot_scale=slot_scale,
        first_day_of_code=first_day_of_code,
        day_bonus_of_code=day_bonus_of_code,
        rel_level=rel_level,
        rel_table=rel_table,
        mode_cols=np.ascontiguousarray(mode_table[:, cls]),
        score_cols=np.ascontiguousarray(score_table[:, cls]),
        rel_cols=np.ascontiguousarray(rel_table[:, rel_level]),
        dup_members=dup_members,
        blocked=(np.asarray(bi, dtype=np.int64), np.asarray(bj, dtype=np.int64)),
        repeat=(
            np.asarray(ri, dtype=np.int64),
            np.asarray(rj, dtype=np.int64),
            np.asarray(rp, dtype=np.int64),
        ),
        weights=weights,
    )


def _day_codes(
    day_slots: Sequence[FloatArray], day_bonus: IntArray
) -> tuple[FloatArray | None, AnyArray, AnyArray]:
    """The column scales and the tables by exponent byte of ``Bucket`` (see there).

    Day ``d`` of ``D`` gets the scale ``2 ** (shift * (D - 1 - d))`` with ``2 ** shift`` more
    than twice the most starts of a day: the earliest common day's term then outweighs all
    later days' together, and the float's exponent lies in that day's band of ``shift``
    exponents (rounding in the product is far too small to cross a band)."""
    days = len(day_slots)
    widest = max((d.shape[1] for d in day_slots), default=1)
    shift = widest.bit_length() + 1
    first_day = np.full(256, -1, dtype=np.int8)
    bonus = np.full(256, day_bonus[0], dtype=np.int32)  # no common start: as day 0 (unused)
    if days == 0 or days * shift > 120:  # beyond float32's exponents
        return None, first_day, bonus
    scale = np.concatenate(
        [
            np.full(d.shape[1], 2.0 ** (shift * (days - 1 - k)), dtype=np.float32)
            for k, d in enumerate(day_slots)
        ]
    )
    for code in range(127, 127 + days * shift):
        day = days - 1 - (code - 127) // shift
        first_day[code] = day
        bonus[code] = day_bonus[day]
    return scale, first_day, bonus


@dataclass(frozen=True, slots=True)
class Block:
    """Scores of the bucket rows ``rows`` against the whole bucket."""

    rows: IntArray
    first_day: AnyArray  # int8, -1 = no common start
    lang_ok: BoolArray | None
    mode: AnyArray  # int8, INVALID where roles or levels do not fit
    ok: BoolArray  # every hard rule holds
    pair: AnyArray  # int32, the symmetric pair part: base, track, level, day, reliability, repeat


def _select(src: IntArray, rows: IntArray) -> tuple[BoolArray, IntArray]:
    """Which entries of ``src`` are among the sorted ``rows``, and their positions in it."""
    pos = np.searchsorted(rows, src)
    pos = np.minimum(pos, rows.shape[0] - 1)
    sel = rows[pos] == src
    return sel, pos[sel]


def _no_self_or_blocked(b: Bucket, rows: IntArray, ok: BoolArray) -> None:
    """Clear in ``ok`` (rows ``rows`` against the bucket) a member with themselves and every
    pair one of whom blocked the other."""
    if b.dup_members:
        ok &= b.member[rows, None] != b.member[None, :]
    else:
        ok[np.arange(int(rows.shape[0])), rows] = False
    bi, bj = b.blocked
    if bi.size:
        sel, pos = _select(bi, rows)
        ok[pos, bj[sel]] = False


def score_block(b: Bucket, rows: IntArray) -> Block:
    """Hard rules and exact scores of the (sorted) bucket rows ``rows`` against the bucket."""
    n = b.size
    m = int(rows.shape[0])
    if b.slot_scale is not None:
        code = ((b.slots[rows] * b.slot_scale) @ b.slots_t).view(np.int32) >> 23
        first_day = np.take(b.first_day_of_code, code)
        day_bonus = np.take(b.day_bonus_of_code, code)
    else:
        first_day = np.full((m, n), -1, dtype=np.int8)
        for d in range(len(b.day_slots) - 1, -1, -1):
            mat = b.day_slots[d]
            common = mat[rows] @ mat.T
            first_day[common > 0.5] = d
        day_bonus = b.day_bonus32[np.maximum(first_day, 0)]
    ok = first_day >= 0
    lang_ok: BoolArray | None = None
    if b.lang is not None:
        lang_ok = (b.lang[rows] @ b.lang.T) > 0.5
        ok &= lang_ok
    ci = b.cls[rows]
    mode = b.mode_cols[ci]
    ok &= mode >= 0
    _no_self_or_blocked(b, rows, ok)

    pair = b.score_cols[ci]  # int32: base + track + level
    pair += day_bonus
    pair += b.rel_cols[b.rel_level[rows]]
    ri, rj, rp = b.repeat
    if ri.size:
        sel, pos = _select(ri, rows)
        np.subtract.at(pair, (pos, rj[sel]), rp[sel].astype(np.int32))
    return Block(rows=rows, first_day=first_day, lang_ok=lang_ok, mode=mode, ok=ok, pair=pair)


def block_weights(b: Bucket, blk: Block, rr: IntArray, cc: IntArray) -> IntArray:
    """The exact scores of the block entries ``(rr, cc)``: the pair part plus both
    requests' priorities plus the balance points of whoever is a candidate plus the
    rating points of whoever interviews plus the mentoring points of each direction."""
    mode = blk.mode[rr, cc]
    rows = blk.rows[rr]
    weight = blk.pair[rr, cc].astype(np.int64) + b.priority[rows] + b.priority[cc]
    weight += np.where(mode == ROW_INTERVIEWS, 0, b.bal[rows])
    weight += np.where(mode == COL_INTERVIEWS, 0, b.bal[cc])
    weight += np.where(mode == COL_INTERVIEWS, 0, b.rated[rows])
    weight += np.where(mode == ROW_INTERVIEWS, 0, b.rated[cc])
    if b.weights.mentoring:  # the row's member interviews the column's, and the other way
        m = b.weights.mentoring
        weight += np.where(mode == COL_INTERVIEWS, 0, m * b.rating_q[rows] * b.need_q[cc] // 10_000)
        weight += np.where(mode == ROW_INTERVIEWS, 0, m * b.rating_q[cc] * b.need_q[rows] // 10_000)
    return weight


def blocks(n: int) -> Iterable[IntArray]:
    for r0 in range(0, n, _BLOCK):
        yield np.arange(r0, min(n, r0 + _BLOCK), dtype=np.int64)


def joins_components(b: Bucket, label: IntArray) -> bool:
    """Whether any compatible pair of the bucket joins two rows with different ``label``s."""
    for rows in blocks(b.size):
        ok = compatible_block(b, rows)
        if np.any(ok & (label[rows, None] != label[None, :])):
            return True
    return False


def compatible_block(b: Bucket, rows: IntArray) -> BoolArray:
    """Which pairs of the (sorted) bucket rows ``rows`` and the bucket fit every hard rule:
    ``score_block(b, rows).ok`` without the scores (one product over all starts at once
    instead of one per day)."""
    ok: BoolArray = (b.slots[rows] @ b.slots_t) > 0.5
    if b.lang is not None:
        ok &= (b.lang[rows] @ b.lang.T) > 0.5
    ok &= b.mode_cols[b.cls[rows]] >= 0
    _no_self_or_blocked(b, rows, ok)
    return ok


def any_partner(b: Bucket, rows: Sequence[int]) -> BoolArray:
    """For the given bucket rows: does any other member's request fit every hard rule?"""
    picked = np.asarray(sorted(set(rows)), dtype=np.int64)
    out = np.zeros(0, dtype=np.bool_)
    parts: list[BoolArray] = [out]
    for start in range(0, picked.shape[0], _BLOCK):
        ok = compatible_block(b, picked[start : start + _BLOCK])
        parts.append(np.asarray(ok.any(axis=1), dtype=np.bool_))
    return np.concatenate(parts)
