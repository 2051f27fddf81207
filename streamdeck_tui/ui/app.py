"""The console shell: starts the engine, shows the dashboard, quits cleanly."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.widgets import Footer, Static

from ..engine import Engine
from ..runtime.resources import assets_root


class Slot(Static):
    """A titled dashboard panel; a feature that has not landed yet says so in one line."""

    def __init__(self, title: str, placeholder: str, *, id: str) -> None:
        super().__init__(placeholder, id=id, classes="slot")
        self.border_title = title


class StatusBar(Horizontal):
    """Channel, live state, uptime and viewers."""

    def compose(self) -> ComposeResult:
        yield Static("streamdeck-tui", id="channel")
        yield Static("OFFLINE", id="live-state", classes="offline")
        yield Static("", id="uptime")
        yield Static("", id="viewers")


class StreamdeckApp(App[int]):
    """The console; it renders what the engine tells it and calls component methods, nothing else."""

    TITLE = "streamdeck-tui"
    CSS_PATH = str(assets_root() / "app.tcss")
    BINDINGS = [Binding("q", "quit_console", "Quit", id="quit")]

    def __init__(self, engine: Engine, *, demo: bool = False) -> None:
        super().__init__()
        self.engine = engine
        self.demo = demo
        self.start_error: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Grid(id="dashboard"):
            yield Slot("Now Playing + Queue", "Song requests arrive in a later release.", id="songs")
            yield Slot("Raffle", "The keyboard raffle arrives in a later release.", id="raffle")
            yield Slot("Achievements", "Achievements arrive in a later release.", id="achievements")
            yield Slot("Events", "Waiting for events...", id="events")
        yield Footer()

    async def on_mount(self) -> None:
        """Start the engine; a failure is shown, never raised."""
        result = await self.engine.start()
        if result.is_err():
            self.start_error = result.unwrap_err().message()
            self.notify(self.start_error, title="Could not start", severity="error", timeout=30)
            self.query_one("#events", Slot).update(self.start_error)

    async def action_quit_console(self) -> None:
        """Stop every component, close the databases, exit 0."""
        await self.engine.stop()
        self.exit(0)
