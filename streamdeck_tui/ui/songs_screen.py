"""The Songs screen (key `s`): the request queue with the streamer's moderation and playback keys.

The screen never changes the queue or talks to Spotify itself: it posts a message and the app does it, after a
confirmation for anything the viewers notice or that cannot be taken back.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..components.song_queue import SongQueue
from ..components.stream_lifecycle import StreamLifecycle
from ..runtime.clock import Clock
from ..songs.models import NowPlaying, RequestState, SongRequest
from ..songs.policy import format_duration
from .accounts import Confirm
from .songs_history import HistoryScreen
from .songs_panel import EMPTY_HINT, current_progress, requester_of, status_lines, waited

QUEUE_LIMIT: Final = 200
STATE_LABELS: Final = {
    RequestState.WAITING: "waiting",
    RequestState.PUSHING: "sending to Spotify",
    RequestState.QUEUED: "in Spotify's queue",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# -- messages for the app -----------------------------------------------------------------------------------


class SongRemoveRequested(Message):
    """The streamer confirmed taking this waiting request out (its redemption is refunded)."""

    def __init__(self, request: SongRequest) -> None:
        super().__init__()
        self.request = request


class SongMoveRequested(Message):
    """Move this waiting request one place earlier (`delta` -1) or later (+1)."""

    def __init__(self, request: SongRequest, delta: int) -> None:
        super().__init__()
        self.request = request
        self.delta = delta


class SongPlayNextRequested(Message):
    """Put this waiting request first in line."""

    def __init__(self, request: SongRequest) -> None:
        super().__init__()
        self.request = request


class SongBanRequested(Message):
    """The streamer confirmed banning this request's viewer from song requests (their waiting ones are refunded)."""

    def __init__(self, request: SongRequest) -> None:
        super().__init__()
        self.request = request


class SongSkipRequested(Message):
    """The streamer confirmed skipping the current track in Spotify."""


class SongPlaybackRequested(Message):
    """Pause Spotify (`resume=False`) or resume it (and the queue, if it was paused for a device problem)."""

    def __init__(self, resume: bool) -> None:
        super().__init__()
        self.resume = resume


class SongRequestsOpenRequested(Message):
    """The streamer confirmed opening (`open=True`) or closing song requests."""

    def __init__(self, open: bool) -> None:
        super().__init__()
        self.open = open


# -- the Songs screen ---------------------------------------------------------------------------------------


def now_playing_line(now: NowPlaying, now_ms: int) -> Text:
    """ "▶ Title — Artists · 2:13 / 3:41 · requested by Viewer" (never markup)."""
    if now.track is None:
        return Text("Nothing playing in Spotify" if now.synced_ms is not None else "Not read from Spotify yet")
    at = current_progress(now, now_ms)
    line = Text("▶ " if now.is_playing else "⏸ ")
    line.append(now.track.name, style="bold")
    line.append(f" — {now.track.artist_line} · {format_duration(at)} / {format_duration(now.track.duration_ms)}")
    request = requester_of(now)
    if request is not None:
        line.append(f" · requested by {request.requester_name}")
    return line


class SongsScreen(Screen[None]):
    """The queue in play order; keys act on the selected request or on Spotify."""

    BINDINGS = [
        Binding("escape,s", "app.pop_screen", "Back", id="songs.back"),
        Binding("x,delete", "remove", "Remove", key_display="x", id="songs.remove"),
        Binding("u,shift+up", "move(-1)", "Move up", key_display="u/⇧↑", id="songs.up"),
        Binding("j,shift+down", "move(1)", "Move down", key_display="j/⇧↓", id="songs.down"),
        Binding("n", "play_next", "Play next", id="songs.next"),
        Binding("b", "ban", "Ban viewer", id="songs.ban"),
        Binding("k", "skip", "Skip track", id="songs.skip"),
        Binding("space", "toggle_playback", "Pause/resume", key_display="space", id="songs.playback"),
        Binding("o", "toggle_open", "Open/close", id="songs.open"),
        Binding("h", "history", "History", id="songs.history"),
    ]
    DEFAULT_CSS = """
    SongsScreen #songs-now { margin: 0 2; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SongsScreen #songs-state { margin: 0 2; height: 1; }
    SongsScreen #songs-state.open { color: $success; text-style: bold; }
    SongsScreen #songs-state.closed { color: $warning; }
    SongsScreen #songs-problems { margin: 0 2; height: auto; }
    SongsScreen #songs-problems > Static { height: auto; }
    SongsScreen #songs-problems > .error { color: $error; text-style: bold; }
    SongsScreen #songs-problems > .warning { color: $warning; }
    SongsScreen #songs-problems > .muted { color: $text-muted; }
    SongsScreen #queue-hint { color: $text-muted; margin: 1 2; height: auto; }
    SongsScreen #queue { height: 1fr; margin: 1 2 0 2; }
    """

    def __init__(self, queue: SongQueue, clock: Clock, *, stream: StreamLifecycle | None = None) -> None:
        super().__init__()
        self.queue = queue
        self.clock = clock
        self.stream = stream
        self.requests: list[SongRequest] = []
        self.now_playing: NowPlaying | None = None
        self._rows: list[tuple[object, ...]] = []
        # The request the streamer just moved: the cursor follows it to its new place after the reload.
        self._follow: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Song requests", classes="title")
        yield Static("", id="songs-now")
        yield Static("", id="songs-state")
        yield Vertical(id="songs-problems")
        yield Static(EMPTY_HINT, id="queue-hint")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, the first read, and a re-read every second (waiting times and Spotify's progress move)."""
        self.query_one("#queue", DataTable).add_columns(
            "#", "Title", "Artists", "Length", "Requester", "Waiting", "State"
        )
        self.load()
        self.set_interval(1.0, self.load)

    @work(exclusive=True, group="songs-screen-load", exit_on_error=False)
    async def load(self) -> None:
        """Re-read the queue and the player in the background."""
        await self.refresh_from_store()

    async def refresh_from_store(self) -> None:
        """Fill the status lines and the table; the table is rebuilt only when a cell changed (cursor kept)."""
        now = await self.queue.now_playing()
        requests = await self.queue.upcoming(QUEUE_LIMIT)
        if not self.is_mounted:
            return
        now_ms = self.clock.now_ms()
        self.now_playing = now
        self.query_one("#songs-now", Static).update(now_playing_line(now, now_ms))
        state = self.query_one("#songs-state", Static)
        state.update("● Requests open (o closes them)" if now.requests_open else "○ Requests closed (o opens them)")
        state.set_class(now.requests_open, "open")
        state.set_class(not now.requests_open, "closed")
        await self._show_problems(now, now_ms)
        rows = [self._cells(n, r, now_ms) for n, r in enumerate(requests, start=1)]
        if rows != self._rows or [r.id for r in requests] != [r.id for r in self.requests]:
            self.requests, self._rows = requests, rows
            self._fill(requests, rows)
        self.query_one("#queue-hint").display = not requests
        self.query_one("#queue").display = bool(requests)

    async def _show_problems(self, now: NowPlaying, now_ms: int) -> None:
        box = self.query_one("#songs-problems", Vertical)
        lines = status_lines(now, now_ms, closed=False)
        shown = list(box.query(Static))
        if len(shown) != len(lines):
            await box.remove_children()
            shown = [Static("") for _ in lines]
            await box.mount_all(shown)
        for widget, line in zip(shown, lines, strict=True):
            widget.update(Text(line.text))
            for severity in ("error", "warning", "muted"):
                widget.set_class(line.severity == severity, severity)

    @staticmethod
    def _cells(position: int, r: SongRequest, now_ms: int) -> tuple[object, ...]:
        wait = waited(now_ms - r.requested_ms) if r.state is RequestState.WAITING else "-"
        return (
            str(position),
            Text(r.track_name),
            Text(r.artist_line),
            format_duration(r.duration_ms),
            Text(r.requester_name),
            wait,
            STATE_LABELS.get(r.state, r.state.value),
        )

    def _fill(self, requests: list[SongRequest], rows: list[tuple[object, ...]]) -> None:
        table = self.query_one("#queue", DataTable)
        keep_id = self._follow or self._selected_id(table)
        keep_row = table.cursor_row
        self._follow = None
        table.clear()
        for request, cells in zip(requests, rows, strict=True):
            table.add_row(*cells, key=request.id)
        if not table.row_count:
            return
        ids = [r.id for r in requests]
        table.move_cursor(row=ids.index(keep_id) if keep_id in ids else min(keep_row, table.row_count - 1))

    @staticmethod
    def _selected_id(table: DataTable[object]) -> str | None:
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key is None else str(key)

    def selected(self) -> SongRequest | None:
        """The request under the cursor."""
        request_id = self._selected_id(self.query_one("#queue", DataTable))
        return next((r for r in self.requests if r.id == request_id), None)

    def _selected_waiting(self, doing: str) -> SongRequest | None:
        """The selected request if the console still holds it; otherwise say why nothing happens."""
        request = self.selected()
        if request is None:
            self.notify("No request selected.")
            return None
        if request.state is not RequestState.WAITING:
            self.notify(
                f"{request.title_line} is already on its way to Spotify: it cannot {doing}. Skip it (k) when it plays."
            )
            return None
        return request

    def _ask(self, question: str, message: Message) -> None:
        """Post `message` for the app once the streamer says yes."""

        def decided(yes: bool | None) -> None:
            if yes:
                self.post_message(message)

        self.app.push_screen(Confirm(question), decided)

    def action_remove(self) -> None:
        """Take the selected request out after a confirmation; the viewer is refunded and told in chat."""
        request = self._selected_waiting("be removed")
        if request is None:
            return
        refund = (
            " Their channel points are refunded and they are told in chat."
            if request.source == "redemption"
            else " It was a chat request, so there is nothing to refund."
        )
        question = f"Remove {request.title_line}, requested by {request.requester_name}?{refund}"
        self._ask(question, SongRemoveRequested(request))

    def action_move(self, delta: int) -> None:
        """Move the selected request one place up (-1) or down (+1); the cursor follows it."""
        request = self._selected_waiting("be moved")
        if request is not None:
            self._follow = request.id
            self.post_message(SongMoveRequested(request, delta))

    def action_play_next(self) -> None:
        """Put the selected request first in line."""
        request = self._selected_waiting("be moved")
        if request is not None:
            self._follow = request.id
            self.post_message(SongPlayNextRequested(request))

    def action_ban(self) -> None:
        """Ban the selected request's viewer from song requests after a confirmation."""
        request = self.selected()
        if request is None:
            self.notify("No request selected.")
            return
        theirs = [
            r for r in self.requests if r.requester_id == request.requester_id and r.state is RequestState.WAITING
        ]
        question = (
            f"Ban {request.requester_name} ({request.requester_login}) from song requests? "
            f"Their {_plural(len(theirs), 'waiting request')} come out and are refunded."
        )
        self._ask(question, SongBanRequested(request))

    def action_skip(self) -> None:
        """Skip the current track in Spotify after a confirmation."""
        now = self.now_playing
        if now is None or now.track is None:
            self.notify("Nothing is playing in Spotify (as of the last read).")
            return
        request = requester_of(now)
        whose = f", requested by {request.requester_name}" if request is not None else ""
        self._ask(f'Skip "{now.track.name}" by {now.track.artist_line}{whose} in Spotify now?', SongSkipRequested())

    def action_toggle_playback(self) -> None:
        """Pause Spotify if it plays, else resume it (and a queue paused for a device problem)."""
        now = self.now_playing
        playing = now is not None and now.is_playing and now.paused_reason is None
        self.post_message(SongPlaybackRequested(resume=not playing))

    def action_toggle_open(self) -> None:
        """Open or close song requests after a confirmation (closing also pauses the reward on Twitch)."""
        opening = not (self.now_playing is not None and self.now_playing.requests_open)
        question = (
            "Open song requests? The song request reward is enabled on Twitch and !sr is accepted again."
            if opening
            else "Close song requests? The reward is paused on Twitch and new !sr requests are turned down; "
            "the queue keeps playing."
        )
        self._ask(question, SongRequestsOpenRequested(opening))

    def action_history(self) -> None:
        """Open the history of played requests."""
        self.app.push_screen(HistoryScreen(self.queue, self.clock, stream=self.stream))
