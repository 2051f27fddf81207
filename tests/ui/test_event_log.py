"""The event log wraps long lines in a narrow column without losing a word."""

from __future__ import annotations

from textual.app import App, ComposeResult

from streamdeck_tui.feed import ChatSeen
from streamdeck_tui.ui.event_log import EventLog
from tests.support.waiting import wait_for

TEXT = '@Sleepywalrus56 "Humming Northern" by The Woolen Orchard is #4 in the song queue. Thanks for the request!'


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        log = EventLog(id="log")
        log.styles.width = 48
        yield log


async def test_a_long_line_wraps_in_a_narrow_log_and_keeps_every_word() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(EventLog)
        await pilot.pause()
        log.add(ChatSeen(at_ms=0, login="simstreamer", display_name="SimStreamer", text=TEXT))
        await wait_for(lambda: len(log.lines) >= 3)
        shown = " ".join(strip.text.strip() for strip in log.lines)
        for word in f"SimStreamer: {TEXT}".split():
            assert word in shown.split(), (word, shown)
        assert all(strip.cell_length <= 48 for strip in log.lines)
