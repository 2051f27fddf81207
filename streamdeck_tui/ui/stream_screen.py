"""The Stream screen (key `t`): past sessions with duration, peak and average, and a viewer chart."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from ..components.stream_lifecycle import SessionSummary, StreamLifecycle
from ..formatting import local_time, session_cells


class StreamScreen(Screen[None]):
    """Sessions newest first; the chart follows the selected row."""

    BINDINGS = [Binding("escape,t", "app.pop_screen", "Back", id="stream.back")]
    DEFAULT_CSS = """
    StreamScreen DataTable { height: 1fr; margin: 1 2 0 2; }
    StreamScreen #chart-title { margin: 1 2 0 2; }
    StreamScreen Sparkline { height: 8; margin: 0 2 1 2; }
    """

    def __init__(self, lifecycle: StreamLifecycle, now_ms: int) -> None:
        super().__init__()
        self.lifecycle = lifecycle
        self.now_ms = now_ms
        self.sessions: list[SessionSummary] = []

    def compose(self) -> ComposeResult:
        yield Static("Stream sessions", classes="title")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="chart-title")
        yield Sparkline([], id="chart")
        yield Footer()

    def on_mount(self) -> None:
        """Columns and rows."""
        table = self.query_one(DataTable)
        table.add_columns("Started", "Ended", "Duration", "Peak", "Average")
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        """Read the sessions."""
        self.sessions = await self.lifecycle.sessions()
        table = self.query_one(DataTable)
        table.clear()
        for s in self.sessions:
            table.add_row(*session_cells(s, self.now_ms), key=s.stream_id)
        if not self.sessions:
            self.query_one("#chart-title", Static).update("No stream sessions yet.")
        else:
            self.show_chart(self.sessions[0])

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        for s in self.sessions:
            if s.stream_id == key:
                self.show_chart(s)

    @work(exclusive=True, group="chart", exit_on_error=False)
    async def show_chart(self, session: SessionSummary) -> None:
        """The selected session's viewers over time."""
        samples = await self.lifecycle.samples(session.stream_id)
        self.query_one(Sparkline).data = [v for _, v in samples]
        self.query_one("#chart-title", Static).update(
            f"Viewers, {local_time(session.started_ms)}: {len(samples)} samples, peak {session.peak:,}"
        )
