"""The console: boots the engine (and the demo), renders what the hub says, quits cleanly."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any, Final

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from ..components.tokens import AuthStatus
from ..launcher import Launcher
from ..runtime.resources import assets_root
from ..songs.actions import SongActions
from .event_log import EventLog
from .messages import FeedItem, RaffleRolled, StreamChanged, to_message
from .raffle_panel import RafflePanel
from .raffle_screen import ManualRollRequested, PostLeaderboardRequested, RaffleOpenRequested, RaffleScreen
from .songs_actions_mixin import SongActionsMixin
from .songs_panel import SongsPanel
from .songs_screen import SongsScreen
from .status_bar import StatusBar, accounts_summary

log = logging.getLogger("streamdeck_tui.ui")

RAFFLE_COMMANDS: Final = (
    ("Raffle: open or close", "Resume or pause the raffle reward on Twitch (asks first)", "toggle_open"),
    ("Raffle: manual roll", "Roll for a viewer you name; recorded as manual and announced (asks first)", "manual_roll"),
    ("Raffle: post leaderboard", "Preview the leaderboard line, then send it to chat (asks first)", "post_leaderboard"),
    ("Raffle: test roll", "Show a draw that is never recorded or announced", "test_roll"),
    ("Raffle: prize sent", "Toggle the selected winner's prize-sent mark", "toggle_prize"),
    ("Raffle: prize note", "Edit the selected winner's prize note (e.g. a tracking number)", "edit_note"),
)
SONG_COMMANDS: Final = (
    ("Songs: open or close requests", "Enable or pause song requests and their reward (asks first)", "toggle_open"),
    ("Songs: skip", "Skip the current track in Spotify (asks first)", "skip"),
    ("Songs: pause or resume", "Pause Spotify, or resume it and a paused queue", "toggle_playback"),
    ("Songs: history", "Played requests, filtered by viewer and time range", "history"),
    ("Songs: remove request", "Take the selected request out and refund it (asks first)", "remove"),
    ("Songs: play next", "Put the selected request first in line", "play_next"),
    ("Songs: ban requester", "Ban the selected request's viewer and refund their requests (asks first)", "ban"),
)


class Slot(Static):
    """A titled dashboard panel; a feature that has not landed yet says so in one line."""

    def __init__(self, title: str, placeholder: str, *, id: str) -> None:
        super().__init__(placeholder, id=id, classes="slot")
        self.border_title = title


class StreamdeckApp(SongActionsMixin, App[int]):
    """Renders what the engine tells it and calls component methods; nothing else."""

    TITLE = "streamdeck-tui"
    CSS_PATH = str(assets_root() / "app.tcss")
    BINDINGS = [
        Binding("q", "quit_console", "Quit", id="quit"),
        Binding("a", "accounts", "Accounts", id="accounts"),
        Binding("t", "stream_sessions", "Stream", id="stream"),
        Binding("d", "dead_letters", "Dead letters", id="dead_letters"),
        Binding("w", "workflows", "Workflows", id="workflows"),
        Binding("r", "raffle", "Raffle", id="raffle"),
        Binding("s", "songs", "Songs", id="songs"),
    ]

    def __init__(self, launcher: Launcher) -> None:
        super().__init__()
        self.launcher = launcher
        self.start_error: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="banner")
        with Grid(id="dashboard"):
            yield Slot(
                "Now Playing + Queue",
                "Song requests: not available yet (coming in a later release).",
                id="songs",
            )
            yield Slot("Raffle", "Keyboard raffle: not available yet (coming in a later release).", id="raffle")
            yield Slot(
                "Achievements",
                "Achievements: not available yet (coming in a later release).",
                id="achievements",
            )
            yield EventLog(id="events")
        yield Footer()

    def on_mount(self) -> None:
        """Boot in a worker so the first frame draws at once."""
        self.boot()
        self.set_interval(1.0, self._tick)

    @work(exclusive=True, group="boot", exit_on_error=False)
    async def boot(self) -> None:
        """Start the demo and the engine; a failure is shown, never raised."""
        result = await self.launcher.start(on_item=self._from_hub)
        if result.is_err():
            self.start_error = result.unwrap_err().message()
            self.notify(self.start_error, title="Could not start", severity="error", timeout=60)
            self.query_one(EventLog).write(self.start_error)
            return
        engine = result.unwrap()
        dashboard = self.screen_stack[0].query_one("#dashboard", Grid)
        if engine.songs is not None:
            # The placeholder goes first: the panel takes its id, and the grid's first cell.
            await dashboard.query_one("#songs").remove()
            await dashboard.mount(SongsPanel(engine.songs, engine.clock), before=0)
        if engine.raffle is not None and engine.raffle_actions is not None:
            panel = RafflePanel(engine.raffle, raffle_open=await engine.raffle_actions.is_open())
            await dashboard.query_one("#raffle").remove()
            await dashboard.mount(panel, after=dashboard.query_one("#songs"))
        if engine.twitch is not None and engine.twitch.me is not None:
            self.query_one(StatusBar).channel = engine.twitch.me.display_name
        await self._refresh_stream()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in background work is logged and shown; the console stays up."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            log.error("%s failed", event.worker.name, exc_info=error)
            kind = type(error).__name__
            self.notify(
                f"{event.worker.name} stopped on an unexpected error ({kind}); see the log file.",
                title="Internal error",
                severity="error",
                timeout=30,
            )

    def _from_hub(self, item: object) -> None:
        message = to_message(item)
        if message is not None:
            self.post_message(message)

    @on(FeedItem)
    def _feed(self, message: FeedItem) -> None:
        from ..feed import LinkChanged

        if isinstance(message.item, LinkChanged):
            self.query_one(StatusBar).link = message.item.state
        self.query_one(EventLog).add(message.item)

    @on(RaffleRolled)
    async def _raffle_rolled(self, message: RaffleRolled) -> None:
        for panel in self._raffle_panels():
            await panel.refresh_from_store()
            if message.is_winner:
                payload = message.event.payload
                await panel.celebrate(str(payload.get("userDisplayName", "")), int(str(payload.get("roll", 0))))
        if isinstance(self.screen, RaffleScreen):
            self.screen.load()

    @on(StreamChanged)
    async def _stream_changed(self, message: StreamChanged) -> None:
        await self._refresh_stream()

    async def _refresh_stream(self) -> None:
        engine = self.launcher.engine
        if engine is None or engine.stream is None:
            return
        bar = self.query_one(StatusBar)
        bar.now_ms = engine.clock.now_ms()
        snapshot = await engine.stream.snapshot()
        bar.snapshot = snapshot
        if snapshot.live and snapshot.stream_id is not None:
            bar.set_samples([v for _, v in await engine.stream.samples(snapshot.stream_id)])
        else:
            bar.set_samples([])

    def _tick(self) -> None:
        engine = self.launcher.engine
        if engine is not None:
            self.query_one(StatusBar).now_ms = engine.clock.now_ms()
            self._check_accounts()

    @work(exclusive=True, group="accounts-tick", exit_on_error=False)
    async def _check_accounts(self) -> None:
        """Token health in the header; a banner when an account needs a new login."""
        engine = self.launcher.engine
        if engine is None:
            return
        accounts = [await t.account() for t in engine.tokens]
        self.query_one(StatusBar).accounts = accounts_summary(accounts)
        lost = [a.provider for a in accounts if a.status is AuthStatus.REAUTHORIZATION_REQUIRED]
        banner = self.query_one("#banner", Static)
        banner.update(f"{' and '.join(lost)} needs you to log in again: press a" if lost else "")
        banner.display = bool(lost)

    def action_stream_sessions(self) -> None:
        """Open the Stream screen."""
        engine = self.launcher.engine
        if engine is not None and engine.stream is not None:
            from .stream_screen import StreamScreen

            self.push_screen(StreamScreen(engine.stream, engine.clock.now_ms()))

    def action_workflows(self) -> None:
        """Open the workflows screen."""
        engine = self.launcher.engine
        if engine is not None and engine.pool is not None:
            from .workflows_screen import WorkflowsScreen

            self.push_screen(WorkflowsScreen(engine.pool))

    def action_dead_letters(self) -> None:
        """Open the dead letters screen."""
        engine = self.launcher.engine
        if engine is not None and engine.inbox is not None:
            from .dead_letters import DeadLettersScreen

            self.push_screen(DeadLettersScreen(engine.inbox))

    def action_accounts(self) -> None:
        """Open the Accounts screen."""
        engine = self.launcher.engine
        if engine is None:
            self.notify("Still starting; try again in a moment.")
            return
        from .accounts import AccountsScreen

        self.push_screen(AccountsScreen(engine))

    def action_raffle(self, then: str | None = None) -> None:
        """Open the Raffle screen (and run one of its actions, for the command palette)."""
        engine = self.launcher.engine
        if engine is None or engine.raffle is None:
            self.notify("Still starting; try again in a moment.")
            return
        screen = self.screen if isinstance(self.screen, RaffleScreen) else None
        if screen is None:
            panels = self._raffle_panels()
            screen = RaffleScreen(engine.raffle, raffle_open=any(p.raffle_open for p in panels))
            self.push_screen(screen)
        if then is not None:
            # After the first read: prize sent and the note act on the selected winner.
            self.call_after_refresh(self._run_after_read, screen, then)

    def action_songs(self, then: str | None = None) -> None:
        """Open the Songs screen (and run one of its actions, for the command palette)."""
        engine = self.launcher.engine
        if engine is None or engine.songs is None:
            self.notify("Still starting; try again in a moment.")
            return
        screen = self.screen if isinstance(self.screen, SongsScreen) else None
        if screen is None:
            screen = SongsScreen(engine.songs, engine.clock, stream=engine.stream)
            self.push_screen(screen)
        if then is not None:
            # After the first read: the actions name the selected request and the current track.
            self.call_after_refresh(self._run_after_read, screen, then)

    @staticmethod
    async def _run_after_read(screen: RaffleScreen | SongsScreen, action: str) -> None:
        """A palette action on a screen that acts on its selection: read the store first, then act."""
        await screen.refresh_from_store()
        await screen.run_action(action)

    def song_actions(self) -> SongActions | None:
        """The engine's song actions (the Songs screen's messages are performed through them)."""
        engine = self.launcher.engine
        return engine.song_actions if engine is not None else None

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette offers every raffle and song action, from any screen."""
        yield from super().get_system_commands(screen)
        engine = self.launcher.engine
        if engine is None:
            return
        if engine.raffle is not None:
            yield SystemCommand("Raffle", "Leaderboards, winners and raffle controls (r)", self.action_raffle)
            for title, help_text, action in RAFFLE_COMMANDS:
                yield SystemCommand(title, help_text, partial(self.action_raffle, action))
        if engine.songs is not None:
            yield SystemCommand("Songs", "The request queue and its controls (s)", self.action_songs)
            for title, help_text, action in SONG_COMMANDS:
                yield SystemCommand(title, help_text, partial(self.action_songs, action))

    def _raffle_panels(self) -> list[RafflePanel]:
        return list(self.screen_stack[0].query(RafflePanel))

    @on(RaffleOpenRequested)
    def _raffle_open_requested(self, message: RaffleOpenRequested) -> None:
        self._set_raffle_open(message.open)

    @work(exclusive=True, group="raffle-open", exit_on_error=False)
    async def _set_raffle_open(self, is_open: bool) -> None:
        actions = self.launcher.engine.raffle_actions if self.launcher.engine is not None else None
        if actions is None:
            return
        done = await actions.set_open(is_open)
        if done.is_err():
            self.notify(f"The raffle stays as it was: {done.unwrap_err().message()}", severity="warning", timeout=10)
            return
        for panel in self._raffle_panels():
            panel.raffle_open = is_open
        for screen in self.screen_stack:
            if isinstance(screen, RaffleScreen):
                screen.raffle_open = is_open
        self.notify("Raffle open: redemptions roll." if is_open else "Raffle closed: the reward is paused on Twitch.")

    @on(ManualRollRequested)
    @work(group="raffle-manual", exit_on_error=False)
    async def _manual_roll(self, message: ManualRollRequested) -> None:
        actions = self.launcher.engine.raffle_actions if self.launcher.engine is not None else None
        if actions is None:
            return
        started = await actions.manual_roll(message.display_name)
        if started.is_err():
            self.notify(f"No roll: {started.unwrap_err().message()}", severity="warning", timeout=10)
        else:
            self.notify(f"Rolling for {message.display_name}; the result appears in the raffle panel and chat.")

    @on(PostLeaderboardRequested)
    @work(group="raffle-post", exit_on_error=False)
    async def _post_leaderboard(self, message: PostLeaderboardRequested) -> None:
        actions = self.launcher.engine.raffle_actions if self.launcher.engine is not None else None
        if actions is None:
            return
        posted = await actions.post_leaderboard()
        if posted.is_err():
            self.notify(f"Not posted: {posted.unwrap_err().message()}", severity="warning", timeout=10)
        else:
            self.notify("Leaderboard posted to chat.")

    async def action_quit_console(self) -> None:
        """Stop every component and the demo, close the databases, exit 0."""
        await self.launcher.stop()
        self.exit(0)
