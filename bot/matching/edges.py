"""The kept edges of one bucket of the compatibility graph (``bot.matching.graph``).

Each request keeps its ``prune_degree`` best partners (by the pair part of the score,
ties broken by the seeded hash), a few within its reliability band and a few random ones;
an edge is kept when either end keeps it. With ``prune_degree=None`` every compatible pair
is an edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.matching.graph import Bucket, block_weights, blocks, score_block
from bot.matching.scores import AnyArray, IntArray


@dataclass(frozen=True, slots=True)
class Edges:
    """Kept edges of one bucket, in bucket-local indices, ``u < v``, with exact weights."""

    u: IntArray
    v: IntArray
    weight: IntArray
    compatible_pairs: int
    #: Every compatible pair was kept (no pruning): the solver sees the full graph.
    full: bool = True
    #: Per bucket row, how many compatible partners it has in the full graph.
    degree: IntArray | None = None


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


#: Partners kept per request within its own reliability band (``reliability_band``), the best
#: by the pair part of the score (the default of ``MatchInput.band_partners``). The reliability
#: term makes a flaky member's best partners the reliable ones, while the optimum pairs flaky
#: members with each other; without these, pruning cut most of those pairs (96 % of the gap
#: to the optimum at 10,000 requests: 99.9475 % of it before, 99.982 % with them).
BAND_PARTNERS = 4

#: Extra partners kept per request when pruning, picked by the seeded hash alone: a few
#: random compatible partners keep the kept graph connected, so pruning does not split a
#: group into odd parts and cost pairs (without them a clustered test instance lost 2 of
#: 20 pairs at ``prune_degree=4``). Two are enough; more cost solver time (docs/matching.md).
RANDOM_PARTNERS = 2


def bucket_edges(
    b: Bucket, prune_degree: int | None, jitter: bool = True, band_partners: int = BAND_PARTNERS
) -> Edges:
    """The kept edges of a bucket (see module doc) with their exact weights.

    Pruning keeps, for each request, its ``prune_degree`` best partners by the pair part
    of the score (track, level, earliest common day, reliability, repeat penalty; not the
    partner's own priority, which would send everybody to the same few long-waiting
    requests), its ``band_partners`` best within its reliability band, and
    ``RANDOM_PARTNERS`` random compatible partners; an edge stays when either end keeps it. Equal pair parts are ranked by the seeded hash (``jitter``),
    or by position without it.
    """
    n = b.size
    keys: list[IntArray] = []
    vals: list[IntArray] = []
    compatible = 0
    extra = RANDOM_PARTNERS
    banded = band_partners
    full = prune_degree is None or prune_degree + extra + banded >= n - 1
    degree = np.zeros(n, dtype=np.int64)
    for rows in blocks(n):
        r0 = int(rows[0])
        blk = score_block(b, rows)
        ok = blk.ok
        row_degree = np.count_nonzero(ok, axis=1)
        degree[r0 : r0 + rows.shape[0]] = row_degree
        compatible += int(row_degree.sum())
        if full:
            rr, cc = np.nonzero(ok)
        else:
            assert prune_degree is not None
            k = prune_degree
            # Invalid entries rank 0, below every valid one (ranks and the hash plus one are
            # positive: the pair part is at least base - repeat_penalty > 0).
            mix: AnyArray = np.bitwise_xor(b.jitter32[rows, None], b.jitter32[None, :])
            jit = mix if jitter else np.zeros((1, 1), dtype=np.int32)
            # int32 when it fits (default weights: pair part < 2**12): argpartition is faster
            wide = int(blk.pair.max(initial=0)) >= 1 << 22
            rank = blk.pair.astype(np.int64) * 256 + jit if wide else blk.pair * 256 + jit
            rank *= ok
            parts = [np.argpartition(-rank, k - 1, axis=1)[:, :k]]
            if extra:
                mix += 1
                mix *= ok
                parts.append(np.argpartition(-mix, extra - 1, axis=1)[:, :extra])
            if banded:
                same = b.band[rows, None] == b.band[None, :]
                rank *= same
                parts.append(np.argpartition(-rank, banded - 1, axis=1)[:, :banded])
            cols = np.concatenate(parts, axis=1)
            rr = np.repeat(np.arange(rows.shape[0]), cols.shape[1])
            cc = cols.reshape(-1)
            keep = ok[rr, cc]
            if banded:
                # a row with fewer band partners than ``banded`` got others there: not kept
                tail = np.zeros(cols.shape, dtype=np.bool_)
                tail[:, cols.shape[1] - banded :] = True
                keep &= ~tail.reshape(-1) | same[rr, cc]
            rr, cc = rr[keep], cc[keep]
        g_r = rr.astype(np.int64) + r0
        g_c = cc.astype(np.int64)
        lo = np.minimum(g_r, g_c)
        hi = np.maximum(g_r, g_c)
        keys.append(lo * n + hi)
        vals.append(block_weights(b, blk, rr, cc))
    if not keys:
        return Edges(_empty_int(), _empty_int(), _empty_int(), 0, full, degree)
    key = np.concatenate(keys)
    val = np.concatenate(vals)
    key, first = np.unique(key, return_index=True)
    return Edges(
        u=key // n,
        v=key % n,
        weight=val[first],
        compatible_pairs=compatible // 2,
        full=full,
        degree=degree,
    )
