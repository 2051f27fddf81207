"""Song request history (key `h` on the Songs screen): what played, newest first, filtered by viewer and time."""

from __future__ import annotations

from typing import Final, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static

from ..components.song_queue import SongQueue
from ..components.stream_lifecycle import StreamLifecycle
from ..formatting import local_time
from ..runtime.clock import Clock
from ..songs.models import SongRequest
from ..songs.policy import format_duration

HISTORY_LIMIT: Final = 200
DAY_MS: Final = 24 * 3600 * 1000
TimeRange = Literal["stream", "day", "all"]
RANGES: Final[tuple[tuple[str, TimeRange], ...]] = (
    ("This stream", "stream"),
    ("Last 24 h", "day"),
    ("All time", "all"),
)


class HistoryScreen(Screen[None]):
    """Played requests, newest first; an Input filters by requester login and a Select picks the time range."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="songs.history.back"),
        Binding("f", "focus_filter", "Filter by viewer", id="songs.history.filter"),
        Binding("t", "next_range", "Time range", id="songs.history.range"),
    ]
    DEFAULT_CSS = """
    HistoryScreen #history-filters { height: auto; margin: 0 2; }
    HistoryScreen #history-requester { width: 40; }
    HistoryScreen #history-range { width: 24; }
    HistoryScreen #history-summary { margin: 0 2; height: 1; color: $text-muted; }
    HistoryScreen #history { height: 1fr; margin: 0 2; }
    """

    def __init__(
        self, queue: SongQueue, clock: Clock, *, stream: StreamLifecycle | None = None, time_range: TimeRange = "all"
    ) -> None:
        super().__init__()
        self.queue = queue
        self.clock = clock
        self.stream = stream
        self.time_range: TimeRange = time_range
        self.requests: list[SongRequest] = []

    def compose(self) -> ComposeResult:
        yield Static("Song request history", classes="title")
        with Horizontal(id="history-filters"):
            yield Input(placeholder="Requester login (empty: everyone)", max_length=25, id="history-requester")
            yield Select(RANGES, value=self.time_range, allow_blank=False, id="history-range")
        yield Static("", id="history-summary")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns and the first read; the table holds the focus so the arrow keys scroll it (f filters)."""
        self.query_one("#history", DataTable).add_columns("Played", "Title", "Artists", "Length", "Requester")
        self.query_one("#history", DataTable).focus()
        self.load()

    def action_focus_filter(self) -> None:
        """Type a requester's login."""
        self.query_one("#history-requester", Input).focus()

    def action_next_range(self) -> None:
        """This stream → last 24 h → all time → this stream."""
        values = [value for _, value in RANGES]
        self.query_one("#history-range", Select).value = values[(values.index(self.time_range) + 1) % len(values)]

    @on(Input.Changed, "#history-requester")
    def _requester_changed(self) -> None:
        self.load()

    @on(Input.Submitted, "#history-requester")
    def _requester_submitted(self) -> None:
        self.query_one("#history", DataTable).focus()

    @on(Select.Changed, "#history-range")
    def _range_changed(self, event: Select.Changed) -> None:
        chosen = next((value for _, value in RANGES if value == event.value), None)
        if chosen is not None and chosen != self.time_range:
            self.time_range = chosen
            self.load()

    @work(exclusive=True, group="songs-history", exit_on_error=False)
    async def load(self) -> None:
        """Re-read with the current filters (exclusive: typing a login only runs the last query)."""
        await self.refresh_from_store()

    async def _since_until(self) -> tuple[int | None, int | None, str]:
        """The time range as history bounds, and words for the summary line."""
        if self.time_range == "day":
            return self.clock.now_ms() - DAY_MS, None, "in the last 24 h"
        if self.time_range == "stream":
            snapshot = await self.stream.snapshot() if self.stream is not None else None
            if snapshot is None or snapshot.started_ms is None:
                # No stream on record: nothing can be "this stream", and showing everything would mislead.
                return self.clock.now_ms() + 1, None, "this stream (no stream on record)"
            words = "this stream" if snapshot.live else f"the last stream (from {local_time(snapshot.started_ms)})"
            return snapshot.started_ms, None if snapshot.live else snapshot.ended_ms, words
        return None, None, "all time"

    async def refresh_from_store(self) -> None:
        """Query the history with the filters and fill the table."""
        login = self.query_one("#history-requester", Input).value.strip().lstrip("@").lower()
        since, until, words = await self._since_until()
        requests = await self.queue.history(HISTORY_LIMIT, since_ms=since, until_ms=until, requester=login or None)
        if not self.is_mounted:
            return
        self.requests = requests
        table = self.query_one("#history", DataTable)
        table.clear()
        for r in requests:
            played = r.finished_ms if r.finished_ms is not None else r.state_ms
            table.add_row(
                local_time(played),
                Text(r.track_name),
                Text(r.artist_line),
                format_duration(r.duration_ms),
                Text(r.requester_name),
                key=r.id,
            )
        who = f" requested by {login}" if login else ""
        count = f"{len(requests)} played" if len(requests) < HISTORY_LIMIT else f"The newest {HISTORY_LIMIT} played"
        self.query_one("#history-summary", Static).update(Text(f"{count}{who}, {words}."))
