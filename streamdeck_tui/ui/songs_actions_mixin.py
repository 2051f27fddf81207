"""What the app does with the Songs screen's messages: each one calls SongActions and notifies the result.

A mixin rather than more of app.py, so tests can run the same handlers in a small app around a real SongQueue.
Textual collects `@on(...)` handlers only from the classes its metaclass builds, and this mixin is a plain class at
run time: its handlers use the `on_<message_name>` naming, which Textual finds on every class in the MRO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from ..songs.actions import SongActions
from .songs_panel import SongsPanel
from .songs_screen import (
    SongBanRequested,
    SongMoveRequested,
    SongPlaybackRequested,
    SongPlayNextRequested,
    SongRemoveRequested,
    SongRequestsOpenRequested,
    SongSkipRequested,
    SongsScreen,
)

if TYPE_CHECKING:
    from textual.app import App

    _AppBase = App[Any]
else:
    _AppBase = object


class SongActionsMixin(_AppBase):
    """Performs the song messages; the app says where its SongActions are (`song_actions`)."""

    def song_actions(self) -> SongActions | None:
        """The engine's song actions, or None while the engine is not up (or was built without songs)."""
        raise NotImplementedError

    def _song_actions_or_say_why(self) -> SongActions | None:
        actions = self.song_actions()
        if actions is None:
            self.notify("Song requests are not available right now (still starting?).", severity="warning")
        return actions

    def songs_changed(self) -> None:
        """Re-read the queue in the panel and every open Songs screen, at once rather than on the next tick."""
        for panel in self.screen_stack[0].query(SongsPanel):
            panel.load()
        for screen in self.screen_stack:
            if isinstance(screen, SongsScreen):
                screen.load()

    @work(group="songs-remove", exit_on_error=False)
    async def on_song_remove_requested(self, message: SongRemoveRequested) -> None:
        """Take the request out; the sync refunds the redemption and tells the viewer."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        request = message.request
        removed = await actions.remove(request.id)
        self.songs_changed()
        if removed.is_err():
            self.notify(f"Not removed: {removed.unwrap_err().message()}", severity="warning", timeout=10)
            return
        refund = "; their points will be refunded" if request.source == "redemption" else ""
        self.notify(f"Removed {request.title_line} ({request.requester_name}){refund}.")

    # Moves are not exclusive: cancelling one mid-transaction would drop a key press the streamer made.
    @work(group="songs-move", exit_on_error=False)
    async def on_song_move_requested(self, message: SongMoveRequested) -> None:
        """One place up or down; quiet when it worked (the table shows it)."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        moved = await actions.move(message.request.id, message.delta)
        self.songs_changed()
        if moved.is_err():
            self.notify(f"Not moved: {moved.unwrap_err().message()}", severity="warning", timeout=10)

    @work(group="songs-move", exit_on_error=False)
    async def on_song_play_next_requested(self, message: SongPlayNextRequested) -> None:
        """First in line."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        moved = await actions.play_next(message.request.id)
        self.songs_changed()
        if moved.is_err():
            self.notify(f"Not moved: {moved.unwrap_err().message()}", severity="warning", timeout=10)
            return
        self.notify(f"{message.request.title_line} is now #{moved.unwrap()} in line.")

    @work(group="songs-ban", exit_on_error=False)
    async def on_song_ban_requested(self, message: SongBanRequested) -> None:
        """Ban the requester; what they had waiting comes out, refunded."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        removed = await actions.ban(message.request)
        self.songs_changed()
        count = len(removed)
        taken = "nothing was waiting" if count == 0 else f"{count} waiting request{'' if count == 1 else 's'} refunded"
        self.notify(f"{message.request.requester_name} is banned from song requests ({taken}).")

    @work(group="songs-player", exit_on_error=False)
    async def on_song_skip_requested(self, message: SongSkipRequested) -> None:
        """Skip in Spotify."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        skipped = await actions.skip()
        self.songs_changed()
        if skipped.is_err():
            self.notify(f"Not skipped: {skipped.unwrap_err().message()}", severity="error", timeout=10)
        else:
            self.notify("Skipped: Spotify plays the next track.")

    @work(group="songs-player", exit_on_error=False)
    async def on_song_playback_requested(self, message: SongPlaybackRequested) -> None:
        """Pause or resume Spotify."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        done = await (actions.resume() if message.resume else actions.pause())
        self.songs_changed()
        what = "resumed" if message.resume else "paused"
        if done.is_err():
            self.notify(f"Spotify was not {what}: {done.unwrap_err().message()}", severity="error", timeout=10)
        else:
            self.notify(f"Spotify {what}.")

    @work(group="songs-open", exit_on_error=False)
    async def on_song_requests_open_requested(self, message: SongRequestsOpenRequested) -> None:
        """Open or close requests (and the reward on Twitch); the line says what happened on each side."""
        actions = self._song_actions_or_say_why()
        if actions is None:
            return
        done = await actions.set_open(message.open)
        self.songs_changed()
        if done.is_err():
            self.notify(f"Song requests stay as they were: {done.unwrap_err().message()}", severity="warning")
            return
        # The line also says when the reward on Twitch could not follow (the queue itself did change).
        self.notify(done.unwrap(), timeout=10)
