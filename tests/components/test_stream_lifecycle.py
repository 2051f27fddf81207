"""StreamLifecycle against a real SQLite file and a fake clock."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.components.stream_lifecycle import POLL_INTERVAL_MS, LiveStream, StreamLifecycle
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.runtime.resources import migrations_root
from tests.support.waiting import wait_for


class Helix:
    """What Get Streams would answer; counts calls."""

    def __init__(self) -> None:
        self.stream: LiveStream | None = None
        self.calls = 0

    async def __call__(self) -> Result[LiveStream | None, TaggedError]:
        self.calls += 1
        return Ok(self.stream)


async def _lifecycle(tmp_path: Path, clock: FakeClock) -> tuple[StreamLifecycle, Helix, list[str]]:
    events: list[str] = []
    ctx = ComponentContext(
        tmp_path, clock, migrations_root(), on_committed=lambda evs: events.extend(e.type for e in evs)
    )
    sl = StreamLifecycle(ctx)
    assert await sl.start() == Ok(None)
    helix = Helix()
    sl.attach_source(helix)
    return sl, helix, events


async def test_online_offline_and_stale_or_duplicate_transitions(tmp_path: Path, clock: FakeClock) -> None:
    sl, _, events = await _lifecycle(tmp_path, clock)
    t = clock.now_ms()
    assert await sl.went_online("s1", t - 5_000, t) is True
    assert await sl.went_online("s1", t - 5_000, t + 1) is False  # duplicate
    snap = await sl.snapshot()
    assert snap.live and snap.stream_id == "s1" and snap.started_ms == t - 5_000
    assert await sl.went_offline(t + 10_000) is True
    # An online older than the last offline changes nothing.
    assert await sl.went_online("s1", t - 5_000, t + 9_000) is False
    assert (await sl.snapshot()).live is False
    assert events == ["stream_online", "stream_offline"]
    await sl.stop()


async def test_polls_once_per_minute_while_live_and_never_while_offline(tmp_path: Path, clock: FakeClock) -> None:
    sl, helix, _ = await _lifecycle(tmp_path, clock)
    helix.stream = LiveStream("s1", clock.now_ms(), 40)
    await sl.went_online("s1", clock.now_ms(), clock.now_ms())
    for minute in range(1, 4):
        helix.stream = LiveStream("s1", 0, 40 + minute)
        await wait_for(lambda: clock.pending_sleepers() >= 1)
        clock.advance(POLL_INTERVAL_MS / 1000)
        await wait_for(lambda m=minute: helix.calls == m)  # type: ignore[misc]
        await wait_for(lambda m=minute: _viewers(sl, 40 + m))  # type: ignore[misc]
    await sl.went_offline(clock.now_ms())
    calls = helix.calls
    async with sl.reading() as r:
        timers = await r.fetch_one("SELECT COUNT(*) FROM timers")
    assert timers is not None and timers[0] == 0  # no poll is scheduled while offline
    clock.advance(600)
    assert helix.calls == calls
    async with sl.reading() as r:
        samples = await r.fetch_all("SELECT viewers FROM viewer_samples ORDER BY at_ms")
    assert [s[0] for s in samples] == [41, 42, 43]
    await sl.stop()


async def _viewers(sl: StreamLifecycle, n: int) -> bool:
    return (await sl.snapshot()).viewers == n


async def test_reconcile_applies_what_helix_says(tmp_path: Path, clock: FakeClock) -> None:
    sl, _, events = await _lifecycle(tmp_path, clock)
    await sl.reconcile(LiveStream("s9", clock.now_ms() - 60_000, 12, "Title"))
    snap = await sl.snapshot()
    assert snap.live and snap.viewers == 12 and snap.title == "Title"
    await sl.reconcile(None)
    assert (await sl.snapshot()).live is False
    assert events == ["stream_online", "stream_offline"]
    await sl.stop()


async def test_restart_while_live_resumes_polling(tmp_path: Path, clock: FakeClock) -> None:
    sl, _, _ = await _lifecycle(tmp_path, clock)
    await sl.went_online("s1", clock.now_ms(), clock.now_ms())
    await sl.stop()
    clock.advance(3600)
    ctx = ComponentContext(tmp_path, clock, migrations_root())
    again = StreamLifecycle(ctx)
    helix2 = Helix()
    helix2.stream = LiveStream("s1", 0, 77)
    again.attach_source(helix2)
    await again.start()
    await wait_for(lambda: _viewers(again, 77))
    assert helix2.calls == 1
    await again.stop()


async def test_poll_failure_keeps_polling(tmp_path: Path, clock: FakeClock) -> None:
    sl, _, _ = await _lifecycle(tmp_path, clock)
    calls = 0

    async def failing() -> Result[LiveStream | None, TaggedError]:
        nonlocal calls
        calls += 1
        return Err(TaggedError())

    sl.attach_source(failing)
    await sl.went_online("s1", clock.now_ms(), clock.now_ms())
    for n in (1, 2):
        await wait_for(lambda: clock.pending_sleepers() >= 1)
        clock.advance(60)
        await wait_for(lambda n=n: calls == n)  # type: ignore[misc]
    assert (await sl.snapshot()).live
    await sl.stop()
