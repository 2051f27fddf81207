"""Persisted timers: they survive restarts, overdue ones fire at start, cancelled ones never fire."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.runtime import FakeClock
from tests.support.counter import Counter, context
from tests.support.waiting import wait_for


async def _parked(clock: FakeClock) -> None:
    """The timer loop is asleep on the clock (so "not fired yet" is a real observation)."""
    await wait_for(lambda: clock.pending_sleepers() >= 1)


async def test_timer_fires_when_the_clock_reaches_it(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    c = Counter(context(tmp_path, migrations, clock))
    await c.start()
    await c.schedule("poll", clock.now_ms() + 10_000)
    await _parked(clock)
    clock.advance(9.9)
    await _parked(clock)
    assert await c.fired() == []
    clock.advance(0.1)
    await wait_for(lambda: c.fired(), timeout=5)
    assert await c.fired() == ["poll"]
    await c.stop()


async def test_overdue_timer_fires_at_next_start_and_cancelled_never_fires(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    c = Counter(context(tmp_path, migrations, clock))
    await c.start()
    await c.schedule("refresh", clock.now_ms() + 60_000)
    await c.schedule("cancelled", clock.now_ms() + 30_000)
    assert await c.cancel("cancelled") is True
    await c.stop()

    clock.advance(120)  # the console was closed while both would have come due
    c2 = Counter(context(tmp_path, migrations, clock))
    await c2.start()
    await wait_for(lambda: c2.fired())
    assert await c2.fired() == ["refresh"]
    clock.advance(3600)
    await _parked_or_idle(c2)
    assert await c2.fired() == ["refresh"]
    await c2.stop()


async def _parked_or_idle(c: Counter) -> None:
    """With no timers left the loop waits on its wake-up event; give it a turn to prove nothing fires."""
    async with c.reading() as r:
        row = await r.fetch_one("SELECT COUNT(*) FROM timers")
    assert row is not None and row[0] == 0


async def test_rescheduling_a_key_replaces_it(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    c = Counter(context(tmp_path, migrations, clock))
    await c.start()
    await c.schedule("k", clock.now_ms() + 5_000)
    await c.schedule("k", clock.now_ms() + 50_000)
    await _parked(clock)
    clock.advance(10)
    await _parked(clock)
    assert await c.fired() == []
    clock.advance(40)
    await wait_for(lambda: c.fired())
    assert await c.fired() == ["k"]
    await c.stop()


class Flaky(Counter):
    """Fails its first timer run, as a bug would."""

    failures = 1

    async def on_timer(self, tx, key, payload):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise RuntimeError("flaky handler")
        await super().on_timer(tx, key, payload)


async def test_failing_timer_handler_is_retried_with_backoff(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    c = Flaky(context(tmp_path, migrations, clock))
    await c.start()
    await c.schedule("k", clock.now_ms())

    # The failure is recorded on the timer row, and it is pushed into the future.
    async def attempted() -> bool:
        async with c.reading() as r:
            row = await r.fetch_one("SELECT attempts FROM timers WHERE key = 'k'")
        return row is not None and row[0] == 1

    await wait_for(attempted)
    assert await c.fired() == []
    clock.advance(5)
    await wait_for(lambda: c.fired())
    assert await c.fired() == ["k"]
    await c.stop()
