"""The Raffle screen (key `r`): leaderboards, winners and their prizes, manual and test rolls, open/close.

The screen never records a roll or talks to chat itself: it posts a message and the app does it.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, Static, TabbedContent, TabPane

from ..components.keyboard_raffle import (
    MAX_LEADERBOARD,
    MAX_NAME_LEN,
    MAX_NOTE_LEN,
    KeyboardRaffle,
    LeaderboardEntry,
    SortBy,
    Winner,
)
from ..components.raffle_draw import ByteSource, OsRandom, draw_pair
from ..formatting import local_time
from ..raffle_actions import leaderboard_line
from .accounts import Confirm
from .raffle_panel import EMPTY_HINT

SORTS: Final[tuple[tuple[SortBy, str], ...]] = (("rolls", "Rolls"), ("wins", "Wins"), ("closest", "Closest"))


def closest_cell(entry: LeaderboardEntry) -> str:
    """ "12 (1234 vs 1246)", or "-" for a viewer without a miss."""
    if entry.closest_distance is None:
        return "-"
    return f"{entry.closest_distance:,} ({entry.closest_roll} vs {entry.closest_winning_number})"


# -- messages for the app -----------------------------


class ManualRollRequested(Message):
    """The streamer asked for a manual roll for this viewer; the app draws and records it."""

    def __init__(self, display_name: str) -> None:
        super().__init__()
        self.display_name = display_name


class PostLeaderboardRequested(Message):
    """The streamer confirmed posting the leaderboard line to chat."""


class RaffleOpenRequested(Message):
    """The streamer confirmed opening (`open=True`) or closing the raffle; the app sets `raffle_open` when done."""

    def __init__(self, open: bool) -> None:
        super().__init__()
        self.open = open


# -- the Raffle screen --------------------------------------------------------------------------------------


class TextPrompt(ModalScreen[str | None]):
    """One line of text: Enter submits, Escape cancels (None)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="raffle.prompt.cancel")]
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical {
        width: 70; height: auto; border: thick $accent; padding: 1 2; background: $surface;
    }
    TextPrompt #prompt-help { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, question: str, *, value: str = "", max_length: int, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.max_length = max_length
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Input(self.value, placeholder=self.placeholder, max_length=self.max_length, id="prompt-input")
            yield Static(f"Enter to save, Esc to cancel (at most {self.max_length} characters)", id="prompt-help")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class RaffleScreen(Screen[None]):
    """Leaderboards by rolls, wins and closest miss; winners with their prize state; the streamer's actions."""

    BINDINGS = [
        Binding("escape,r", "app.pop_screen", "Back", id="raffle.back"),
        Binding("p", "toggle_prize", "Prize sent", id="raffle.prize"),
        Binding("n", "edit_note", "Note", id="raffle.note"),
        Binding("m", "manual_roll", "Manual roll", id="raffle.manual"),
        Binding("t", "test_roll", "Test roll", id="raffle.test"),
        Binding("l", "post_leaderboard", "Leaderboard to chat", id="raffle.leaderboard"),
        Binding("o", "toggle_open", "Open/close", id="raffle.open"),
    ]
    DEFAULT_CSS = """
    RaffleScreen #raffle-screen-state { margin: 0 2; height: 1; }
    RaffleScreen #raffle-screen-state.open { color: $success; text-style: bold; }
    RaffleScreen #raffle-screen-state.closed { color: $text-muted; }
    RaffleScreen #boards { height: 1fr; margin: 0 2; }
    RaffleScreen #boards DataTable { height: 1fr; }
    RaffleScreen .hint { color: $text-muted; margin: 1 2; height: auto; }
    RaffleScreen #winners-hint { color: $text-muted; margin: 0 2; height: auto; }
    RaffleScreen #winners-title { margin: 1 2 0 2; text-style: bold; }
    RaffleScreen #winners { height: 1fr; max-height: 12; margin: 0 2; }
    RaffleScreen #test-roll { margin: 0 2 1 2; height: auto; color: $accent; }
    """

    raffle_open: reactive[bool] = reactive(False)

    def __init__(self, raffle: KeyboardRaffle, *, raffle_open: bool = False) -> None:
        super().__init__()
        self.raffle = raffle
        self.set_reactive(RaffleScreen.raffle_open, raffle_open)
        self.random: ByteSource = OsRandom()
        self.boards: dict[SortBy, list[LeaderboardEntry]] = {}
        self.winners: list[Winner] = []

    def compose(self) -> ComposeResult:
        yield Static("Keyboard raffle", classes="title")
        yield Static("", id="raffle-screen-state")
        yield Static(EMPTY_HINT, id="boards-hint", classes="hint")
        with TabbedContent(id="boards"):
            for sort_by, title in SORTS:
                with TabPane(title, id=f"tab-{sort_by}"):
                    yield DataTable(id=f"board-{sort_by}", cursor_type="row", zebra_stripes=True)
        yield Static("Winners", id="winners-title")
        yield Static("No winners yet: a roll that hits the winning number wins the keyboard.", id="winners-hint")
        yield DataTable(id="winners", cursor_type="row", zebra_stripes=True)
        yield Static("", id="test-roll")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, the first read, and a cheap re-read every two seconds (tables change only when rows do)."""
        for sort_by, _ in SORTS:
            self.query_one(f"#board-{sort_by}", DataTable).add_columns(
                "#", "Viewer", "Rolls", "Wins", "Closest miss", "Last roll"
            )
        self.query_one("#winners", DataTable).add_columns("Won", "Viewer", "Roll", "Prize sent", "Note")
        self._show_state()
        self.load()
        self.set_interval(2.0, self.load)

    def watch_raffle_open(self) -> None:
        self._show_state()

    def _show_state(self) -> None:
        state = self.query_one("#raffle-screen-state", Static)
        state.update("● Raffle open (o closes it)" if self.raffle_open else "○ Raffle closed (o opens it)")
        state.set_class(self.raffle_open, "open")
        state.set_class(not self.raffle_open, "closed")

    @work(exclusive=True, group="raffle-screen-load", exit_on_error=False)
    async def load(self) -> None:
        """Re-read the leaderboards and the winners."""
        await self.refresh_from_store()

    async def refresh_from_store(self) -> None:
        """Fill the tables from the store; a table is rebuilt only when its rows changed (cursor kept)."""
        for sort_by, _ in SORTS:
            board = await self.raffle.leaderboard(sort_by, MAX_LEADERBOARD)
            if board.is_err():
                self.notify(board.unwrap_err().message(), severity="error")
                return
            entries = board.unwrap()
            if entries != self.boards.get(sort_by):
                self.boards[sort_by] = entries
                self._fill_board(sort_by, entries)
        winners = await self.raffle.winners()
        if winners != self.winners:
            self.winners = winners
            self._fill_winners(winners)
        empty = not self.boards.get("rolls")
        self.query_one("#boards-hint").display = empty
        self.query_one("#boards").display = not empty
        self.query_one("#winners-hint").display = not winners
        self.query_one("#winners").display = bool(winners)

    def _fill_board(self, sort_by: SortBy, entries: list[LeaderboardEntry]) -> None:
        table = self.query_one(f"#board-{sort_by}", DataTable)
        keep = table.cursor_row
        table.clear()
        for rank, e in enumerate(entries, start=1):
            table.add_row(
                str(rank),
                Text(e.display_name),
                f"{e.total_rolls:,}",
                f"{e.total_wins:,}",
                closest_cell(e),
                local_time(e.last_rolled_ms),
                key=e.user_id,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def _fill_winners(self, winners: list[Winner]) -> None:
        table = self.query_one("#winners", DataTable)
        keep = table.cursor_row
        table.clear()
        for w in winners:
            sent = Text("✓ sent", style="bold") if w.prize_sent else Text("pending")
            table.add_row(
                local_time(w.roll.rolled_ms),
                Text(w.roll.display_name),
                str(w.roll.roll),
                sent,
                Text(w.note),
                key=w.roll.id,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def selected_winner(self) -> Winner | None:
        """The winner under the winners table's cursor."""
        table = self.query_one("#winners", DataTable)
        if table.row_count == 0:
            return None
        roll_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((w for w in self.winners if w.roll.id == roll_id), None)

    def action_toggle_prize(self) -> None:
        """Mark the selected winner's prize as sent, or as not sent again."""
        winner = self.selected_winner()
        if winner is None:
            self.notify("No winner selected.")
            return
        self._set_prize(winner.roll.id, not winner.prize_sent, winner.note)

    def action_edit_note(self) -> None:
        """Edit the selected winner's prize note."""
        winner = self.selected_winner()
        if winner is None:
            self.notify("No winner selected.")
            return

        def edited(note: str | None) -> None:
            if note is not None:
                self._set_prize(winner.roll.id, winner.prize_sent, note)

        question = f"Prize note for {winner.roll.display_name} (e.g. tracking number):"
        self.app.push_screen(TextPrompt(question, value=winner.note, max_length=MAX_NOTE_LEN), edited)

    @work(exit_on_error=False)
    async def _set_prize(self, roll_id: str, sent: bool, note: str) -> None:
        result = await self.raffle.set_prize(roll_id, sent, note)
        if result.is_err():
            self.notify(result.unwrap_err().message(), severity="warning")
            return
        await self.refresh_from_store()

    def action_manual_roll(self) -> None:
        """Ask for a viewer's name, then confirm (the result is announced in chat); the app rolls."""

        def typed(name: str | None) -> None:
            cleaned = (name or "").strip().lstrip("@").strip()
            if not cleaned:
                return

            def decided(yes: bool | None) -> None:
                if yes:
                    self.post_message(ManualRollRequested(cleaned))

            question = f"Roll for {cleaned} now? The roll is recorded as manual and announced in chat."
            self.app.push_screen(Confirm(question), decided)

        self.app.push_screen(
            TextPrompt("Manual roll for which viewer?", max_length=MAX_NAME_LEN, placeholder="Twitch name"), typed
        )

    def action_test_roll(self) -> None:
        """Draw a pair to show the draw working; nothing is recorded or sent to chat."""
        pair = draw_pair(self.random)
        away = abs(pair.roll - pair.winning_number)
        outcome = "a win" if away == 0 else f"{away:,} away"
        text = f"Test roll (not recorded): rolled {pair.roll}, winning number {pair.winning_number}: {outcome}."
        self.query_one("#test-roll", Static).update(text)
        self.notify(text, title="Test roll")

    def action_post_leaderboard(self) -> None:
        """Preview the leaderboard line and post it to chat after a confirmation."""
        self._confirm_leaderboard()

    @work(exclusive=True, group="raffle-leaderboard", exit_on_error=False)
    async def _confirm_leaderboard(self) -> None:
        preview = await leaderboard_line(self.raffle)

        def decided(yes: bool | None) -> None:
            if yes:
                self.post_message(PostLeaderboardRequested())

        self.app.push_screen(Confirm(f"Post this to chat?\n\n{preview}"), decided)

    def action_toggle_open(self) -> None:
        """Open or close the raffle after a confirmation; the app does it."""
        opening = not self.raffle_open
        question = (
            "Open the raffle? Redemptions will roll for the keyboard."
            if opening
            else "Close the raffle? Redemptions will no longer roll."
        )

        def decided(yes: bool | None) -> None:
            if yes:
                self.post_message(RaffleOpenRequested(opening))

        self.app.push_screen(Confirm(question), decided)
