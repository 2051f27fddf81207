"""Time as a dependency: the real clock and a fake one that tests step forward."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import Protocol


def iso_from_ms(ms: int) -> str:
    """Format epoch milliseconds as UTC ISO-8601 with a trailing Z."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Clock(Protocol):
    """Wall time in epoch milliseconds, and sleeping against that same time."""

    def now_ms(self) -> int:
        """Current UTC time as integer epoch milliseconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of this clock's time."""
        ...

    async def sleep_until(self, deadline_ms: int) -> None:
        """Sleep until this clock reads `deadline_ms` (at once when it already has)."""
        ...


class SystemClock:
    """The real clock."""

    def now_ms(self) -> int:
        """Current UTC time as integer epoch milliseconds."""
        return time.time_ns() // 1_000_000

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of real time."""
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, deadline_ms: int) -> None:
        """Sleep until the wall clock reaches `deadline_ms`."""
        await asyncio.sleep(max(0.0, (deadline_ms - self.now_ms()) / 1000))


class FakeClock:
    """A clock that only moves when a test calls `advance`; sleepers wake when their deadline passes."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self._now_ms = start_ms
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now_ms(self) -> int:
        """Current fake time."""
        return self._now_ms

    async def sleep(self, seconds: float) -> None:
        """Wait until the fake time has moved `seconds` forward."""
        await self.sleep_until(self._now_ms + max(0, round(seconds * 1000)))

    async def sleep_until(self, deadline_ms: int) -> None:
        """Wait until the fake time reaches `deadline_ms`; an absolute deadline cannot drift if time moves
        between computing it and starting to wait."""
        if deadline_ms <= self._now_ms:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline_ms, next(self._seq), fut))
        await fut

    def pending_sleepers(self) -> int:
        """How many coroutines are asleep on this clock (to wait until a task has parked)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self._now_ms += round(seconds * 1000)
        while self._sleepers and self._sleepers[0][0] <= self._now_ms:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    def set_ms(self, now_ms: int) -> None:
        """Jump to an absolute time (never backwards)."""
        self.advance(max(0, now_ms - self._now_ms) / 1000)
