"""The raffle panel and the Raffle screen, driven with Pilot against a real KeyboardRaffle database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from streamdeck_tui.components.keyboard_raffle import KeyboardRaffle, RaffleTotals, RollInput
from streamdeck_tui.runtime import ComponentContext, FakeClock, Ok
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.ui.accounts import Confirm
from streamdeck_tui.ui.raffle_panel import EMPTY_HINT, FEED_SIZE, RafflePanel, distance_gauge, gauge_fill
from streamdeck_tui.ui.raffle_screen import (
    ManualRollRequested,
    PostLeaderboardRequested,
    RaffleOpenRequested,
    RaffleScreen,
    TextPrompt,
)
from tests.support.waiting import wait_for

SIZE = (140, 44)


class RaffleApp(App[None]):
    """Just the panel; the messages the Raffle screen posts are kept for the test."""

    def __init__(self, raffle: KeyboardRaffle, celebration_s: float = 8.0) -> None:
        super().__init__()
        self.raffle = raffle
        self.celebration_s = celebration_s
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        yield RafflePanel(self.raffle, celebration_s=self.celebration_s)

    @on(ManualRollRequested)
    @on(PostLeaderboardRequested)
    @on(RaffleOpenRequested)
    def _requested(self, message: Message) -> None:
        self.requests.append(message)
        if isinstance(message, RaffleOpenRequested) and isinstance(self.screen, RaffleScreen):
            self.screen.raffle_open = message.open  # as the console does once Twitch agreed


@pytest.fixture
async def raffle(tmp_path: Path, clock: FakeClock) -> AsyncIterator[KeyboardRaffle]:
    component = KeyboardRaffle(ComponentContext(tmp_path, clock, migrations_root()))
    assert await component.start() == Ok(None)
    yield component
    await component.stop()


async def roll(
    raffle: KeyboardRaffle, rid: str, user: str, name: str, rolled: int, winning: int, at: int, **kw: str
) -> None:
    result = await raffle.record_roll(RollInput(rid, user, name, rolled, winning, at, **kw))  # type: ignore[arg-type]
    assert isinstance(result, Ok), result


async def history(raffle: KeyboardRaffle) -> None:
    """Alice: 3 rolls, 1 win, closest 40. Bob: 1 roll, closest 5 (the record). Cara: 2 rolls, 2 wins."""
    await roll(raffle, "a1", "u-a", "Alice", 100, 140, 1_000)
    await roll(raffle, "a2", "u-a", "Alice", 500, 500, 2_000)
    await roll(raffle, "b1", "u-b", "Bob", 200, 205, 3_000)
    await roll(raffle, "a3", "u-a", "Alice", 9000, 10, 4_000)
    await roll(raffle, "c1", "u-c", "Cara", 7, 7, 5_000)
    await roll(raffle, "c2", "u-c", "Cara", 8, 8, 6_000)


def text(app: App[None], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def column(table: DataTable[object], index: int) -> list[str]:
    return [str(table.get_row_at(r)[index]) for r in range(table.row_count)]


async def open_screen(app: RaffleApp) -> RaffleScreen:
    screen = RaffleScreen(app.raffle)
    await app.push_screen(screen)
    await app.workers.wait_for_complete()
    await wait_for(lambda: "board-rolls" in {t.id for t in screen.query(DataTable)} and bool(screen.winners))
    return screen


def test_gauge_is_fuller_when_closer() -> None:
    assert distance_gauge(0) == "█" * 10
    assert distance_gauge(9999) == "░" * 10
    fills = [gauge_fill(d) for d in (0, 9, 99, 999, 9999)]
    assert fills == sorted(fills, reverse=True) == [10, 8, 5, 2, 0]


async def test_empty_store_shows_hints_not_empty_tables(raffle: KeyboardRaffle) -> None:
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(RafflePanel)
        await panel.refresh_from_store()
        assert text(app, "#raffle-hint") == EMPTY_HINT
        assert app.query_one("#raffle-hint").display
        assert not app.query_one("#raffle-feed").display
        assert text(app, "#raffle-record") == "Record: none yet"
        assert text(app, "#raffle-totals") == "0 rolls · 0 wins · 0 players · 0 prizes pending"
        assert text(app, "#raffle-state") == "○ Raffle closed"
        screen = RaffleScreen(raffle)
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#boards-hint").display and not screen.query_one("#boards").display
        assert screen.query_one("#winners-hint").display and not screen.query_one("#winners").display
        await pilot.press("p")  # nothing selected: a notice, no error
        await pilot.press("t")
        assert "not recorded" in text(app, "#test-roll")
        assert await raffle.totals() == RaffleTotals(0, 0, 0, 0)


async def test_panel_shows_record_totals_and_a_bounded_feed(raffle: KeyboardRaffle) -> None:
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE):
        panel = app.query_one(RafflePanel)
        await history(raffle)
        await panel.refresh_from_store()
        assert text(app, "#raffle-record") == "Record: 5 away, by Bob"
        assert text(app, "#raffle-totals") == "6 rolls · 3 wins · 3 players · 3 prizes pending"
        assert not app.query_one("#raffle-hint").display
        rows = [text(app, f"#raffle-roll-{n}") for n in range(6)]
        assert [r.split()[2] for r in rows] == ["Cara", "Cara", "Alice", "Bob", "Alice", "Alice"]
        assert "WIN" in rows[0] and "record" in rows[3] and rows[3].startswith(distance_gauge(5))
        assert not app.query_one("#raffle-roll-6").display
        feed_ids = [w.id for w in app.query("#raffle-feed > Static")]

        for n in range(10):
            await roll(raffle, f"x{n}", "u-x", "Xena", 1, 10_000, 10_000 + n, source="manual")
        await panel.refresh_from_store()
        assert [w.id for w in app.query("#raffle-feed > Static")] == feed_ids  # updated in place
        assert all(app.query_one(f"#raffle-roll-{n}").display for n in range(FEED_SIZE))
        assert text(app, "#raffle-roll-0").split()[1:3] == ["9999", "Xena"]
        assert "(manual)" in text(app, "#raffle-roll-0")
        panel.raffle_open = True
        await app.workers.wait_for_complete()
        assert text(app, "#raffle-state").startswith("● Raffle open")


async def test_celebration_shows_then_hides_itself(raffle: KeyboardRaffle) -> None:
    app = RaffleApp(raffle, celebration_s=1.5)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(RafflePanel)
        assert not panel.celebrating
        await panel.celebrate("Alice", 4242)
        await pilot.pause()
        assert panel.celebrating
        assert text(app, "#celebration-name") == "Alice hit the winning number!"
        assert panel._celebration_timer is not None
        await wait_for(lambda: not panel.celebrating, timeout=5)


async def test_screen_tabs_are_ordered_by_rolls_wins_and_closest(raffle: KeyboardRaffle) -> None:
    await history(raffle)
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE):
        screen = await open_screen(app)
        assert column(screen.query_one("#board-rolls", DataTable), 1) == ["Alice", "Cara", "Bob"]
        assert column(screen.query_one("#board-wins", DataTable), 1) == ["Cara", "Alice", "Bob"]
        closest = screen.query_one("#board-closest", DataTable)
        assert column(closest, 1) == ["Bob", "Alice", "Cara"]
        assert column(closest, 4) == ["5 (200 vs 205)", "40 (100 vs 140)", "-"]
        winners = screen.query_one("#winners", DataTable)
        assert column(winners, 1) == ["Cara", "Cara", "Alice"]
        assert not screen.query_one("#boards-hint").display


async def test_p_toggles_the_prize_and_n_edits_the_note(raffle: KeyboardRaffle) -> None:
    await history(raffle)
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app)
        await pilot.press("p")

        async def sent(expected: bool) -> bool:
            return (await raffle.winners())[0].prize_sent is expected

        await wait_for(lambda: sent(True))
        await wait_for(lambda: str(screen.query_one("#winners", DataTable).get_row_at(0)[3]) == "✓ sent")
        await pilot.press("p")
        await wait_for(lambda: sent(False))

        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"DHL 123", "enter")

        async def noted() -> bool:
            return (await raffle.winners())[0].note == "DHL 123"

        await wait_for(noted)
        assert app.screen is screen
        assert (await raffle.totals()).prizes_pending == 3


async def test_t_shows_a_test_roll_and_never_records(raffle: KeyboardRaffle) -> None:
    await history(raffle)
    before = await raffle.totals()
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(app)
        for _ in range(3):
            await pilot.press("t")
        assert text(app, "#test-roll").startswith("Test roll (not recorded): rolled ")
        await app.workers.wait_for_complete()
        assert await raffle.totals() == before
        assert app.requests == []


async def test_m_posts_a_manual_roll_request_for_the_typed_name(raffle: KeyboardRaffle) -> None:
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE) as pilot:
        screen = RaffleScreen(raffle)
        await app.push_screen(screen)
        await pilot.press("m")
        await wait_for(lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"@kiwi", "enter")
        await wait_for(lambda: isinstance(app.screen, Confirm))
        assert "announced in chat" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("n")  # declined: nothing goes to chat
        await wait_for(lambda: app.screen is screen)
        assert app.requests == []
        await pilot.press("m")
        await wait_for(lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"@kiwi", "enter")
        await wait_for(lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(lambda: bool(app.requests))
        [request] = app.requests
        assert isinstance(request, ManualRollRequested) and request.display_name == "kiwi"
        assert app.screen is screen
        await pilot.press("m")
        await wait_for(lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("escape")  # cancelled: no request
        await pilot.pause()
        assert len(app.requests) == 1
        assert await raffle.totals() == RaffleTotals(0, 0, 0, 0)


async def test_l_and_o_post_their_requests_only_after_confirmation(raffle: KeyboardRaffle) -> None:
    await history(raffle)
    app = RaffleApp(raffle)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app)
        await pilot.press("l")
        await wait_for(lambda: isinstance(app.screen, Confirm))
        assert "Raffle wins: 1. @Cara (2) 2. @Alice (1)" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert app.requests == []
        await pilot.press("l")
        await wait_for(lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(lambda: bool(app.requests))
        assert isinstance(app.requests[0], PostLeaderboardRequested)

        await pilot.press("o")
        await wait_for(lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(lambda: len(app.requests) == 2)
        opened = app.requests[1]
        assert isinstance(opened, RaffleOpenRequested) and opened.open is True
        assert screen.raffle_open
        await pilot.press("o")
        await wait_for(lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(lambda: len(app.requests) == 3)
        closed = app.requests[2]
        assert isinstance(closed, RaffleOpenRequested) and closed.open is False
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen.query_one(RafflePanel), RafflePanel)
