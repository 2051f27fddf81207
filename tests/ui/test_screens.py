"""Stream and dead-letter screens, driven with Pilot against real component databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from textual.widgets import DataTable, Sparkline

from streamdeck_tui.components.eventsub_inbox import EventSubInbox
from streamdeck_tui.components.stream_lifecycle import LiveStream, StreamLifecycle
from streamdeck_tui.config import load_settings
from streamdeck_tui.launcher import Launcher
from streamdeck_tui.runtime import FakeClock, Ok, Result, TaggedError
from streamdeck_tui.twitch.eventsub import Notification
from streamdeck_tui.twitch.models import Subscription
from streamdeck_tui.ui.app import StreamdeckApp
from streamdeck_tui.ui.dead_letters import DeadLettersScreen
from streamdeck_tui.ui.stream_screen import StreamScreen
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


async def _history(lifecycle: StreamLifecycle, clock: FakeClock) -> None:
    """Two sessions: one ended with three samples, one live."""
    counts = iter([10, 30, 20])

    async def source() -> Result[LiveStream | None, TaggedError]:
        return Ok(LiveStream("s1", 0, next(counts)))

    lifecycle.attach_source(source)
    await lifecycle.went_online("s1", clock.now_ms(), clock.now_ms())
    for n in range(3):
        await wait_for(lambda: clock.pending_sleepers() >= 1)
        clock.advance(60)
        await wait_for(lambda n=n: _samples(lifecycle, "s1", n + 1))  # type: ignore[misc]
    await lifecycle.went_offline(clock.now_ms())
    clock.advance(3600)
    await lifecycle.went_online("s2", clock.now_ms(), clock.now_ms())


async def _samples(lifecycle: StreamLifecycle, stream_id: str, n: int) -> bool:
    return len(await lifecycle.samples(stream_id)) == n


def _launcher(tmp_path: Path, clock: FakeClock) -> Launcher:
    settings = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
    return Launcher(settings, clock=clock, components=[StreamLifecycle, EventSubInbox])


async def test_stream_screen_lists_sessions_with_peak_average_and_chart(tmp_path: Path) -> None:
    clock = FakeClock()
    app = StreamdeckApp(_launcher(tmp_path, clock))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        engine = app.launcher.engine
        assert engine is not None and engine.stream is not None
        await _history(engine.stream, clock)
        await pilot.press("t")
        await wait_for(lambda: isinstance(app.screen, StreamScreen))
        await app.workers.wait_for_complete()
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        await pilot.press("down")
        await app.workers.wait_for_complete()
        await pilot.pause()
        ended = [str(c) for c in table.get_row("s1")]
        assert ended[2] == "0:03:00" and ended[3] == "30" and ended[4] == "20"
        assert app.screen.query_one(Sparkline).data == [10, 30, 20]
        assert [str(c) for c in table.get_row("s2")][1] == "live"
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_value == 0


async def test_dead_letters_can_be_retried_and_discarded(tmp_path: Path) -> None:
    clock = FakeClock()
    app = StreamdeckApp(_launcher(tmp_path, clock))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        engine = app.launcher.engine
        assert engine is not None and engine.inbox is not None
        inbox = engine.inbox
        handled: list[str] = []

        async def processor(n: Notification) -> Result[None, TaggedError]:
            handled.append(n.message_id)
            return Ok(None)

        inbox.attach_processor(processor)
        sub = Subscription(id="x", status="enabled", type="channel.follow", version="2", condition={})
        for mid in ("dead-1", "dead-2"):
            assert await inbox.accept(Notification(mid, sub.type, "2", clock.now_ms(), sub, {})) == Ok(True)
        await wait_for(lambda: len(handled) == 2)
        async with inbox.unit_of_work() as tx:
            await tx.execute("UPDATE inbox SET status = 'dead', attempts = 20, last_error = 'boom'")
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, DeadLettersScreen))
        await app.workers.wait_for_complete()
        assert app.screen.query_one(DataTable).row_count == 2
        await pilot.press("r")
        await wait_for(lambda: len(handled) == 3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one(DataTable).row_count == 1
        await pilot.press("x")
        await pilot.press("y")
        await wait_for(lambda: _dead(inbox, 0))
        await pilot.press("escape")
        await pilot.press("q")


async def _dead(inbox: EventSubInbox, n: int) -> bool:
    return len(await inbox.items("dead")) == n


async def test_streams_command_prints_sessions_as_json(tmp_path: Path) -> None:
    clock = FakeClock()
    launcher = _launcher(tmp_path, clock)
    engine = (await launcher.start()).unwrap()
    assert engine.stream is not None
    await _history(engine.stream, clock)
    await launcher.stop()
    proc = subprocess.run(
        [sys.executable, "-m", "streamdeck_tui", "streams", "--json", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["stream_id"] for r in rows] == ["s2", "s1"]
    assert rows[1]["peak_viewers"] == 30 and rows[1]["average_viewers"] == 20.0 and rows[1]["duration_s"] == 180
