"""Outbox + dispatcher: each committed event reaches each subscriber exactly once in effect."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from streamdeck_tui.runtime import DomainEvent, Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.runtime.dispatcher import Dispatcher
from tests.support.counter import Counter, Sink, context
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


async def _start(tmp_path: Path, migrations: Path, clock: FakeClock) -> tuple[Counter, Sink, Dispatcher]:
    dispatcher = Dispatcher(clock)
    ctx = context(tmp_path, migrations, clock, on_committed=lambda events: dispatcher.notify())
    counter, sink = Counter(ctx), Sink(ctx)
    assert await counter.start() == Ok(None)
    assert await sink.start() == Ok(None)
    dispatcher.add_source(counter)
    dispatcher.subscribe("sink", sink.handle, types=["bumped"])
    return counter, sink, dispatcher


async def test_event_is_delivered_to_each_subscriber_once(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    counter, sink, dispatcher = await _start(tmp_path, migrations, clock)
    seen: list[str] = []

    async def memory(event: DomainEvent) -> Result[None, TaggedError]:
        seen.append(event.id)
        return Ok(None)

    dispatcher.subscribe("memory", memory)
    dispatcher.start()
    for i in range(3):
        await counter.bump(i + 1, key=f"k{i}")
    await wait_for(lambda: len(seen) == 3)
    await wait_for(lambda: sink.applied(), timeout=5)
    await wait_for(lambda: _count(sink, 3))
    # Another pass finds nothing left to deliver.
    assert await dispatcher.run_once() is None
    assert len(seen) == 3
    assert [v for _, v in await sink.applied()] == [1, 2, 3]
    await dispatcher.stop()
    await counter.stop()
    await sink.stop()


async def _count(sink: Sink, n: int) -> bool:
    return len(await sink.applied()) == n


async def test_publishing_the_same_event_id_twice_stores_it_once(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    counter, sink, dispatcher = await _start(tmp_path, migrations, clock)
    await counter.bump(1, key="same")
    await counter.bump(1, key="same")
    await dispatcher.run_once()
    assert len(await sink.applied()) == 1
    for c in (counter, sink):
        await c.stop()


async def test_rolled_back_unit_publishes_nothing(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    counter, sink, dispatcher = await _start(tmp_path, migrations, clock)

    async def publish_then_fail() -> None:
        async with counter.unit_of_work() as tx:
            await tx.publish(DomainEvent("e1", "bumped", "counter", clock.now_ms(), {"by": 5}))
            raise RuntimeError("bug after publishing")

    with pytest.raises(RuntimeError):
        await publish_then_fail()
    await dispatcher.run_once()
    assert await sink.applied() == []
    for c in (counter, sink):
        await c.stop()


async def test_failed_delivery_is_retried_in_order_with_backoff(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    counter, sink, dispatcher = await _start(tmp_path, migrations, clock)
    got: list[int] = []
    failures = 2

    @dataclass_error
    class Busy(TaggedError):
        tag = "Busy"

    async def flaky(event: DomainEvent) -> Result[None, TaggedError]:
        nonlocal failures
        if failures:
            failures -= 1
            return Err(Busy())
        got.append(int(event.payload["by"]))
        return Ok(None)

    dispatcher.subscribe("flaky", flaky)
    await counter.bump(1, key="a")
    await counter.bump(2, key="b")
    due = await dispatcher.run_once()
    assert due == clock.now_ms() + 1000 and got == []
    clock.advance(1)
    due = await dispatcher.run_once()
    assert due == clock.now_ms() + 2000 and got == []
    clock.advance(2)
    assert await dispatcher.run_once() is None
    assert got == [1, 2]
    for c in (counter, sink):
        await c.stop()


def dataclass_error(cls: type) -> type:
    from dataclasses import dataclass

    return dataclass(frozen=True, slots=True)(cls)


def _spawn(mode: str, data: Path, migrations: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.outbox_crash", mode, str(data), str(migrations)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill_when(proc: subprocess.Popen[str], marker: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == marker, f"child said {line!r}"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


@pytest.mark.slow
async def test_killed_between_commit_and_delivery_delivers_after_restart(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    _kill_when(_spawn("before-delivery", tmp_path, migrations), "COMMITTED")
    counter, sink, dispatcher = await _start(tmp_path, migrations, clock)
    assert await counter.value() == 7
    assert await sink.applied() == []
    await dispatcher.run_once()
    assert [v for _, v in await sink.applied()] == [7]
    await dispatcher.run_once()
    assert len(await sink.applied()) == 1
    for c in (counter, sink):
        await c.stop()


@pytest.mark.slow
async def test_killed_after_subscriber_commit_redelivery_is_ignored(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    _kill_when(_spawn("after-handler", tmp_path, migrations), "HANDLED")
    counter, sink, dispatcher = await _start(tmp_path, migrations, clock)
    assert [v for _, v in await sink.applied()] == [7]
    # The delivery was never recorded, so the dispatcher delivers again; the receipt makes it a no-op.
    await dispatcher.run_once()
    assert [v for _, v in await sink.applied()] == [7]
    async with counter.reading() as r:
        row = await r.fetch_one("SELECT state FROM outbox_deliveries WHERE subscriber = 'sink'")
    assert row is not None and row[0] == "delivered"
    for c in (counter, sink):
        await c.stop()
