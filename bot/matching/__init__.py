"""PeerLoop's matching engine: who practises with whom, and when.

Pure: plain frozen dataclasses in, plain data out, no I/O, deterministic for a
given input and seed. The core builds a ``MatchInput`` and calls ``match``::

    from bot.matching import MatchInput, MatchRequest, Weights, match

    result = match(MatchInput(requests=(...), now=now, history=..., seed=7))
    for pair in result.pairs: ...      # request/member ids, start, roles, weight, reasons
    for left in result.unmatched: ...  # code, text, next chance

Public names:

- ``match(inp: MatchInput) -> MatchResult``
- ``MatchInput``: the round (requests, now, history, weights, neighbour tracks,
  session length, seed, next round time, pruning)
- ``MatchRequest`` (alias ``Candidate``): one open request of one member
- ``Weights``: the tunable score, with documented defaults
- ``MatchResult`` with ``Pair``s, ``Unmatched`` requests and ``MatchStats``
- ``pair_key(a, b)``: the key of ``MatchInput.history``

See docs/matching.md for the rules, the score and the measured performance.
"""

from bot.matching.engine import match
from bot.matching.model import (
    Candidate,
    MatchInput,
    MatchRequest,
    MatchResult,
    MatchStats,
    Mode,
    Pair,
    Role,
    Unmatched,
    UnmatchedCode,
    Weights,
    pair_key,
)

__all__ = [
    "Candidate",
    "MatchInput",
    "MatchRequest",
    "MatchResult",
    "MatchStats",
    "Mode",
    "Pair",
    "Role",
    "Unmatched",
    "UnmatchedCode",
    "Weights",
    "match",
    "pair_key",
]
