"""EventSubInbox against a real SQLite file and a fake clock."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.components.eventsub_inbox import (
    MAX_ATTEMPTS,
    ConflictingMessage,
    EventSubInbox,
    StaleMessage,
    retry_delay_s,
)
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.twitch.eventsub import Notification
from streamdeck_tui.twitch.models import Subscription
from tests.support.waiting import wait_for

SUB = Subscription(id="s1", status="enabled", type="channel.chat.message", version="1", condition={})


def note(mid: str, at_ms: int, text: str = "hi") -> Notification:
    return Notification(mid, SUB.type, "1", at_ms, SUB, {"message": {"text": text}})


class Processor:
    """Fails while `failing` is set; records what it handled."""

    def __init__(self) -> None:
        self.failing = False
        self.handled: list[str] = []
        self.calls = 0

    async def __call__(self, n: Notification) -> Result[None, TaggedError]:
        self.calls += 1
        if self.failing:
            return Err(TaggedError())
        self.handled.append(n.message_id)
        return Ok(None)


async def _inbox(tmp_path: Path, clock: FakeClock) -> tuple[EventSubInbox, Processor]:
    inbox = EventSubInbox(ComponentContext(tmp_path, clock, migrations_root()))
    processor = Processor()
    inbox.attach_processor(processor)
    assert await inbox.start() == Ok(None)
    return inbox, processor


async def test_stored_then_processed_in_order_and_duplicates_dropped(tmp_path: Path, clock: FakeClock) -> None:
    inbox, processor = await _inbox(tmp_path, clock)
    for i in range(5):
        assert await inbox.accept(note(f"m{i}", clock.now_ms())) == Ok(True)
    assert await inbox.accept(note("m2", clock.now_ms())) == Ok(False)
    await wait_for(lambda: len(processor.handled) == 5)
    assert processor.handled == [f"m{i}" for i in range(5)]
    assert inbox.duplicates == 1
    await inbox.stop()


async def test_stale_future_and_conflicting_messages_are_refused(tmp_path: Path, clock: FakeClock) -> None:
    inbox, processor = await _inbox(tmp_path, clock)
    old = await inbox.accept(note("old", clock.now_ms() - 11 * 60 * 1000))
    assert isinstance(old, Err) and isinstance(old.error, StaleMessage)
    future = await inbox.accept(note("future", clock.now_ms() + 11 * 60 * 1000))
    assert isinstance(future, Err)
    assert await inbox.accept(note("same", clock.now_ms(), "one")) == Ok(True)
    conflict = await inbox.accept(note("same", clock.now_ms(), "two"))
    assert isinstance(conflict, Err) and isinstance(conflict.error, ConflictingMessage)
    await wait_for(lambda: processor.handled == ["same"])
    await inbox.stop()


async def test_retries_back_off_then_dead_letter_then_retry_and_discard(tmp_path: Path, clock: FakeClock) -> None:
    inbox, processor = await _inbox(tmp_path, clock)
    processor.failing = True
    await inbox.accept(note("bad", clock.now_ms()))
    await inbox.accept(note("worse", clock.now_ms()))
    await wait_for(lambda: processor.calls == 2)
    for attempt in range(1, MAX_ATTEMPTS):
        clock.advance(retry_delay_s(attempt))
        await wait_for(lambda a=attempt: processor.calls == 2 * (a + 1))  # type: ignore[misc]
    dead = await inbox.items("dead")
    assert sorted(d.message_id for d in dead) == ["bad", "worse"]
    assert all(d.attempts == MAX_ATTEMPTS for d in dead)
    assert [retry_delay_s(a) for a in (1, 2, 3, 8, 9, 19)] == [2, 4, 8, 256, 512, 512]
    clock.advance(3600)
    assert processor.calls == 2 * MAX_ATTEMPTS  # nothing retries a dead letter by itself

    processor.failing = False
    assert await inbox.retry("bad") == Ok(None)
    await wait_for(lambda: processor.handled == ["bad"])
    assert await inbox.discard("worse") == Ok(None)
    assert await inbox.items("dead") == []
    assert isinstance(await inbox.retry("worse"), Err)
    await inbox.stop()


async def test_pending_messages_are_processed_after_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    inbox, processor = await _inbox(tmp_path, clock)
    processor.failing = True
    await inbox.accept(note("later", clock.now_ms()))
    await wait_for(lambda: processor.calls == 1)
    await inbox.stop()
    clock.advance(60)
    again, fresh = await _inbox(tmp_path, clock)
    await wait_for(lambda: fresh.handled == ["later"])
    await again.stop()
