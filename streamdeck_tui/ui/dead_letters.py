"""Dead letters (key `d`): EventSub messages that failed 20 times, with retry and discard."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..components.eventsub_inbox import EventSubInbox
from ..formatting import local_time
from .accounts import Confirm


class DeadLettersScreen(Screen[None]):
    """Lists dead letters; `r` retries the selected one, `x` discards it after a confirmation."""

    BINDINGS = [
        Binding("escape,d", "app.pop_screen", "Back", id="dead.back"),
        Binding("r", "retry", "Retry", id="dead.retry"),
        Binding("x", "discard", "Discard", id="dead.discard"),
    ]
    DEFAULT_CSS = """
    DeadLettersScreen DataTable { height: 1fr; margin: 1 2; }
    """

    def __init__(self, inbox: EventSubInbox) -> None:
        super().__init__()
        self.inbox = inbox

    def compose(self) -> ComposeResult:
        yield Static("Dead letters: EventSub messages that could not be processed", classes="title")
        yield DataTable(id="dead", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns and rows."""
        self.query_one(DataTable).add_columns("Received", "Type", "Attempts", "Last error")
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        """Read the dead letters."""
        table = self.query_one(DataTable)
        table.clear()
        for item in await self.inbox.items("dead"):
            table.add_row(
                local_time(item.message_ms),
                item.type,
                str(item.attempts),
                item.last_error or "",
                key=item.message_id,
            )

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def action_retry(self) -> None:
        """Process the selected message again."""
        message_id = self._selected()
        if message_id is not None:
            self._retry(message_id)

    @work(exit_on_error=False)
    async def _retry(self, message_id: str) -> None:
        result = await self.inbox.retry(message_id)
        self.notify("Retrying." if result.is_ok() else "That message is no longer a dead letter.")
        self.load()

    def action_discard(self) -> None:
        """Drop the selected message for good (after a confirmation)."""
        message_id = self._selected()
        if message_id is None:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._discard(message_id)

        self.app.push_screen(Confirm("Discard this message for good? It will never be processed."), decided)

    @work(exit_on_error=False)
    async def _discard(self, message_id: str) -> None:
        await self.inbox.discard(message_id)
        self.load()
