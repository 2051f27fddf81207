"""The console: boots the engine (and the demo), renders what the hub says, quits cleanly."""

from __future__ import annotations

import logging

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from ..components.tokens import AuthStatus
from ..launcher import Launcher
from ..runtime.resources import assets_root
from .event_log import EventLog
from .messages import FeedItem, StreamChanged, to_message
from .status_bar import StatusBar, accounts_summary

log = logging.getLogger("streamdeck_tui.ui")


class Slot(Static):
    """A titled dashboard panel; a feature that has not landed yet says so in one line."""

    def __init__(self, title: str, placeholder: str, *, id: str) -> None:
        super().__init__(placeholder, id=id, classes="slot")
        self.border_title = title


class StreamdeckApp(App[int]):
    """Renders what the engine tells it and calls component methods; nothing else."""

    TITLE = "streamdeck-tui"
    CSS_PATH = str(assets_root() / "app.tcss")
    BINDINGS = [
        Binding("q", "quit_console", "Quit", id="quit"),
        Binding("a", "accounts", "Accounts", id="accounts"),
        Binding("t", "stream_sessions", "Stream", id="stream"),
        Binding("d", "dead_letters", "Dead letters", id="dead_letters"),
        Binding("w", "workflows", "Workflows", id="workflows"),
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
        result = await self.launcher.start()
        if result.is_err():
            self.start_error = result.unwrap_err().message()
            self.notify(self.start_error, title="Could not start", severity="error", timeout=60)
            self.query_one(EventLog).write(self.start_error)
            return
        engine = result.unwrap()
        engine.hub.subscribe(self._from_hub)
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

    async def action_quit_console(self) -> None:
        """Stop every component and the demo, close the databases, exit 0."""
        await self.launcher.stop()
        self.exit(0)
