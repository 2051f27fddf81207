"""Helix's token-bucket rate limit: one bucket per client id + user, refilled continuously."""

from __future__ import annotations

import math
from dataclasses import dataclass

from streamdeck_tui.runtime.clock import Clock


@dataclass(frozen=True, slots=True)
class BucketState:
    """The outcome of taking a point, and the values for the Ratelimit-* headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch_s: int

    def headers(self) -> dict[str, str]:
        """`Ratelimit-Limit`, `Ratelimit-Remaining`, `Ratelimit-Reset`."""
        return {
            "Ratelimit-Limit": str(self.limit),
            "Ratelimit-Remaining": str(self.remaining),
            "Ratelimit-Reset": str(self.reset_epoch_s),
        }


@dataclass(slots=True)
class _Bucket:
    points: float
    updated_ms: int


class RateLimiter:
    """`limit` points per minute per key; each call costs one point."""

    def __init__(self, clock: Clock, limit: int = 800, window_s: float = 60.0) -> None:
        self.limit = limit
        self._clock = clock
        self._rate_per_ms = limit / (window_s * 1000)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> BucketState:
        """Spend one point of `key`'s bucket if it has one."""
        now = self._clock.now_ms()
        bucket = self._buckets.setdefault(key, _Bucket(float(self.limit), now))
        bucket.points = min(float(self.limit), bucket.points + (now - bucket.updated_ms) * self._rate_per_ms)
        bucket.updated_ms = now
        allowed = bucket.points >= 1.0
        if allowed:
            bucket.points -= 1.0
        missing_ms = (self.limit - bucket.points) / self._rate_per_ms if self._rate_per_ms > 0 else 0.0
        reset = math.ceil((now + missing_ms) / 1000)
        return BucketState(allowed, self.limit, math.floor(bucket.points), reset)
