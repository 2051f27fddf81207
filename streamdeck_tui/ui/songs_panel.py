"""The song queue's dashboard panel: what plays now and for whom, why the queue is held, and the next requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from ..components.song_queue import SongQueue
from ..runtime.clock import Clock
from ..songs.models import NowPlaying, RequestState, SongRequest
from ..songs.policy import format_duration

NEXT_SIZE: Final = 5
BAR_WIDTH: Final = 24
NAME_WIDTH: Final = 18
TITLE_WIDTH: Final = 40
# The lines say what the streamer can do about each problem, so they name the console's keys.
NOT_CONNECTED: Final = "not connected to Spotify"
EMPTY_HINT: Final = "No requests waiting: viewers redeem the song request reward or type !sr <Spotify link or search>."

Severity = Literal["error", "warning", "muted"]


@dataclass(frozen=True, slots=True)
class StatusLine:
    """One line under the track: a problem (error, warning) or a note (muted)."""

    severity: Severity
    text: str


# -- plain helpers (shared with the Songs screen) ------------------------------------------------------------


def clip(text: str, width: int) -> str:
    """`text`, cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def waited(ms: int) -> str:
    """A short duration for "waiting for" and "ago": "just now", "45 s", "12 min", "2 h 05 min"."""
    seconds = max(0, ms) // 1000
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def clock_time(ms: int) -> str:
    """The streamer's local time of day, to the second ("since 21:04:17")."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%H:%M:%S")


def current_progress(now: NowPlaying, now_ms: int) -> int:
    """Where the current track is: the synced position, moved on by the time since a healthy sync while playing.

    Spotify is read every 15 s or so; moving the bar in between keeps it alive without asking Spotify more often.
    A failing sync is not extrapolated: the track may have been paused or changed since.
    """
    if now.track is None:
        return 0
    progress = now.progress_ms
    if now.is_playing and now.sync_failures == 0 and now.synced_ms is not None:
        progress += max(0, now_ms - now.synced_ms)
    return max(0, min(progress, now.track.duration_ms))


def progress_bar(progress_ms: int, duration_ms: int, width: int = BAR_WIDTH) -> tuple[str, str]:
    """The played and the remaining part of a bar `width` cells wide."""
    full = 0 if duration_ms <= 0 else round(width * min(progress_ms, duration_ms) / duration_ms)
    return "━" * full, "─" * (width - full)


def paused_text(reason: str) -> str:
    """ "NO_ACTIVE_DEVICE: what to do" as one line for the streamer (the sync stores the reason that way)."""
    code, _, hint = reason.partition(": ")
    what = f"{hint} ({code})" if hint else code
    return f"⏸ Queue paused: {what}. Requests wait here; s, then space resumes."


def status_lines(now: NowPlaying, now_ms: int, *, closed: bool = True) -> list[StatusLine]:
    """Everything that keeps requests from playing, worst first; an empty list when all is well. `closed=False`
    leaves out the requests-closed line (for a view that shows open/closed on its own)."""
    lines: list[StatusLine] = []
    if now.sync_failures > 0:
        error = now.last_error or "unknown error"
        if error.startswith(NOT_CONNECTED):
            head = "✖ Spotify is not connected: log in with `streamdeck-tui login spotify`."
        else:
            failures = "1 failure" if now.sync_failures == 1 else f"{now.sync_failures} failures in a row"
            head = f"✖ Spotify sync failing ({failures}): {error}."
        if now.synced_ms is None:
            stale = " Nothing has been read from Spotify yet."
        else:
            stale = (
                f" What is shown may be stale: last synced at {clock_time(now.synced_ms)} "
                f"({waited(now_ms - now.synced_ms)} ago)."
            )
        lines.append(StatusLine("error", head + stale))
    elif now.synced_ms is None:
        lines.append(StatusLine("muted", "Waiting for the first read from Spotify…"))
    if now.paused_reason is not None:
        lines.append(StatusLine("warning", paused_text(now.paused_reason)))
    if closed and not now.requests_open:
        lines.append(StatusLine("warning", "○ Requests closed: new requests are turned down (s, then o opens them)."))
    return lines


def requester_of(now: NowPlaying) -> SongRequest | None:
    """The request behind the current track, when the current track is one (not the streamer's own playlist)."""
    if now.track is None or now.request is None or now.request.track_id != now.track.id:
        return None
    return now.request


# -- the dashboard panel ------------------------------------------------------------------------------------


class SongsPanel(Widget):
    """Now playing, the queue's status, and the next requests; re-reads the SongQueue every second."""

    COMPONENT_CLASSES = {
        "songs-panel--position",
        "songs-panel--title",
        "songs-panel--muted",
        "songs-panel--name",
        "songs-panel--played",
        "songs-panel--left",
    }
    DEFAULT_CSS = """
    SongsPanel { border: round $primary; border-title-color: $accent; padding: 0 1; height: 100%; }
    SongsPanel .songs-line { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SongsPanel #songs-title { text-style: bold; }
    SongsPanel #songs-artists { color: $text-muted; }
    SongsPanel #songs-requester { color: $accent; }
    SongsPanel #songs-status { height: auto; margin-top: 1; }
    SongsPanel #songs-status > Static { height: auto; display: none; }
    SongsPanel #songs-status > .error { color: $error; text-style: bold; }
    SongsPanel #songs-status > .warning { color: $warning; }
    SongsPanel #songs-status > .muted { color: $text-muted; }
    SongsPanel #songs-next-title { margin-top: 1; text-style: bold; }
    SongsPanel #songs-empty { color: $text-muted; height: auto; }
    SongsPanel #songs-next > Static { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SongsPanel .songs-panel--position { color: $text-muted; }
    SongsPanel .songs-panel--title { text-style: bold; }
    SongsPanel .songs-panel--muted { color: $text-muted; }
    SongsPanel .songs-panel--name { color: $accent; }
    SongsPanel .songs-panel--played { color: $success; }
    SongsPanel .songs-panel--left { color: $text-disabled; }
    """

    def __init__(self, queue: SongQueue, clock: Clock, *, refresh_s: float = 1.0, id: str | None = "songs") -> None:
        super().__init__(id=id)
        self.queue = queue
        self.clock = clock
        self.refresh_s = refresh_s
        self.border_title = "Now Playing + Queue"
        self.now_playing: NowPlaying | None = None
        self.upcoming: list[SongRequest] = []
        self._shown: dict[str, RenderableType] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="songs-title", classes="songs-line")
        yield Static("", id="songs-artists", classes="songs-line")
        yield Static("", id="songs-requester", classes="songs-line")
        yield Static("", id="songs-progress", classes="songs-line")
        with Vertical(id="songs-status"):
            for n in range(3):
                yield Static("", id=f"songs-status-{n}")
        yield Static("Up next", id="songs-next-title", classes="songs-line")
        yield Static(EMPTY_HINT, id="songs-empty")
        with Vertical(id="songs-next"):
            for n in range(NEXT_SIZE):
                yield Static("", id=f"songs-next-{n}")

    def on_mount(self) -> None:
        """A first read at once, then one a second (a local SQLite read: cheap)."""
        self.load()
        self.set_interval(self.refresh_s, self.load)

    @work(exclusive=True, group="songs-panel", exit_on_error=False)
    async def load(self) -> None:
        """Re-read the queue in the background."""
        await self.refresh_from_store()

    async def refresh_from_store(self) -> None:
        """Re-read now playing and the next requests; widgets are updated in place, never remounted."""
        now = await self.queue.now_playing()
        upcoming = await self.queue.upcoming(100)
        if not self.is_mounted:
            return
        self.now_playing, self.upcoming = now, upcoming
        now_ms = self.clock.now_ms()
        self._show_track(now, now_ms)
        problems = status_lines(now, now_ms)
        for n in range(3):
            row = self.query_one(f"#songs-status-{n}", Static)
            line = problems[n] if n < len(problems) else None
            self._set(row, Text(line.text) if line is not None else "")
            row.display = line is not None
            for severity in ("error", "warning", "muted"):
                row.set_class(line is not None and line.severity == severity, severity)
        waiting = sum(1 for r in upcoming if r.state is RequestState.WAITING)
        self._set(
            self.query_one("#songs-next-title", Static), f"Up next ({waiting} waiting)" if upcoming else "Up next"
        )
        self.query_one("#songs-empty").display = not upcoming
        for n in range(NEXT_SIZE):
            row = self.query_one(f"#songs-next-{n}", Static)
            if n < len(upcoming):
                self._set(row, self.next_line(n + 1, upcoming[n], now_ms))
                row.display = True
            else:
                self._set(row, "")
                row.display = False

    def _set(self, widget: Static, content: RenderableType) -> None:
        """Update a line only when it changed, so a quiet queue does not repaint every second."""
        key = widget.id or ""
        if self._shown.get(key) != content:
            self._shown[key] = content
            widget.update(content)

    def _show_track(self, now: NowPlaying, now_ms: int) -> None:
        style = self.get_component_rich_style
        title = self.query_one("#songs-title", Static)
        artists = self.query_one("#songs-artists", Static)
        requester = self.query_one("#songs-requester", Static)
        progress = self.query_one("#songs-progress", Static)
        if now.track is None:
            idle = "Not read from Spotify yet" if now.synced_ms is None else "Nothing playing in Spotify"
            self._set(title, idle)
            for line in (artists, requester, progress):
                line.display = False
            return
        track = now.track
        self._set(title, Text(clip(track.name, TITLE_WIDTH * 2)))  # Spotify text: never markup
        self._set(artists, Text(track.artist_line))
        artists.display = progress.display = True
        request = requester_of(now)
        requester.display = request is not None
        if request is not None:
            self._set(requester, Text(f"Requested by {request.requester_name}"))
        at = current_progress(now, now_ms)
        played, left = progress_bar(at, track.duration_ms)
        bar = Text("▶ " if now.is_playing else "⏸ ")
        bar.append(played, style=style("songs-panel--played"))
        bar.append(left, style=style("songs-panel--left"))
        bar.append(f" {format_duration(at)} / {format_duration(track.duration_ms)}")
        self._set(progress, bar)

    def next_line(self, position: int, request: SongRequest, now_ms: int) -> Text:
        """ "1. Title — Artists · Viewer · 4 min" (viewer and Spotify text are never markup)."""
        style = self.get_component_rich_style
        line = Text()
        line.append(f"{position}. ", style=style("songs-panel--position"))
        line.append(clip(request.track_name, TITLE_WIDTH), style=style("songs-panel--title"))
        line.append(f" — {clip(request.artist_line, TITLE_WIDTH)}", style=style("songs-panel--muted"))
        line.append(" · ")
        line.append(clip(request.requester_name, NAME_WIDTH), style=style("songs-panel--name"))
        if request.state is RequestState.WAITING:
            line.append(f" · {waited(now_ms - request.requested_ms)}", style=style("songs-panel--muted"))
        else:
            line.append(" · in Spotify's queue", style=style("songs-panel--muted"))
        return line
