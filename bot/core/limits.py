"""Per-member limits on commands and presses, the same for every face.

Each member has a token bucket: ``burst`` requests at once, then ``per_second`` more each
second. A member over the limit is refused with :class:`RateLimited`, which says when to
try again; other members are not affected. State is in memory (one process's view), which
is what a limit against a member pressing a button a hundred times needs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.core.errors import PeerLoopError

#: Buckets kept before full ones are dropped (a full bucket is the same as no bucket).
_PRUNE_AT = 10_000


class RateLimited(PeerLoopError):
    """Too many commands or presses from one member in a short time."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"Too many requests: try again in {self.retry_after} s.")


@dataclass(frozen=True)
class RateLimit:
    """``burst`` requests at once, refilled at ``per_second``. ``burst`` 0 turns the limit off."""

    burst: int = 20
    per_second: float = 1.0

    def __post_init__(self) -> None:
        if self.burst < 0 or self.per_second <= 0:
            raise ValueError("a rate limit needs burst >= 0 and per_second > 0")


class RateLimiter:
    """A token bucket per key (a member): :meth:`take` raises when the key is over its
    :class:`RateLimit`."""

    def __init__(
        self, limit: RateLimit | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock
        #: key -> (tokens left, when they were counted)
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._next_prune = 0.0

    def take(self, key: Hashable) -> None:
        """Spend one token of ``key``'s bucket, or raise :class:`RateLimited`."""
        limit = self.limit
        if limit.burst == 0:
            return
        now = self._clock()
        tokens, then = self._buckets.get(key, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - then) * limit.per_second)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited((1.0 - tokens) / limit.per_second)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > _PRUNE_AT and now >= self._next_prune:
            self._prune(now)

    def _prune(self, now: float) -> None:
        """Drop full buckets; at most once per refill time, so a crowd of members costs little."""
        limit = self.limit
        self._next_prune = now + limit.burst / limit.per_second
        full = [
            k
            for k, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * limit.per_second >= limit.burst
        ]
        for key in full:
            del self._buckets[key]
