"""The header line: channel, LIVE/OFFLINE as a word and a colour, uptime, viewers, link state."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Sparkline, Static

from ..components.stream_lifecycle import StreamSnapshot
from ..components.tokens import AuthStatus, TokenHealth
from ..formatting import format_uptime

_MARKS = {
    AuthStatus.AUTHORIZED: "✓",
    AuthStatus.REAUTHORIZATION_REQUIRED: "✗ log in",
    AuthStatus.NOT_CONFIGURED: "not connected",
}


def accounts_summary(accounts: list[TokenHealth]) -> str:
    """One short mark per account, e.g. "Twitch ✓ sim  Spotify not connected"."""
    parts = []
    for a in accounts:
        mark = "…" if a.refreshing else _MARKS[a.status]
        who = f" {a.login}" if a.login and a.status is AuthStatus.AUTHORIZED else ""
        parts.append(f"{a.provider} {mark}{who}")
    return "  ".join(parts)


class StatusBar(Horizontal):
    """Renders a `StreamSnapshot`; the app ticks `now_ms` once a second for the uptime."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    StatusBar > Static { width: auto; margin-right: 3; }
    StatusBar #channel { text-style: bold; }
    StatusBar #live-state.live { background: $error; color: $text; text-style: bold; padding: 0 1; }
    StatusBar #live-state.offline { color: $text-muted; padding: 0 1; }
    StatusBar #link { color: $text-muted; }
    StatusBar Sparkline { width: 16; height: 1; margin-right: 3; display: none; }
    StatusBar #link.trouble { color: $warning; }
    """

    snapshot: reactive[StreamSnapshot | None] = reactive(None)
    now_ms: reactive[int] = reactive(0)
    channel: reactive[str] = reactive("streamdeck-tui")
    link: reactive[str] = reactive("")
    accounts: reactive[str] = reactive("")

    def compose(self) -> ComposeResult:
        yield Static(id="channel")
        yield Static("OFFLINE", id="live-state", classes="offline")
        yield Static(id="uptime")
        yield Static(id="viewers")
        yield Sparkline([], id="spark")
        yield Static(id="link")
        yield Static(id="accounts")

    def set_samples(self, viewers: list[int]) -> None:
        """The current session's viewer counts, for the sparkline (last 30 samples)."""
        spark = self.query_one(Sparkline)
        spark.data = viewers[-30:]
        spark.display = len(viewers) > 1

    def watch_accounts(self, accounts: str) -> None:
        self.query_one("#accounts", Static).update(accounts)

    def watch_channel(self, channel: str) -> None:
        self.query_one("#channel", Static).update(channel)

    def watch_link(self, link: str) -> None:
        label = self.query_one("#link", Static)
        label.update(f"twitch: {link}" if link else "")
        label.set_class(link not in ("", "connected"), "trouble")

    def watch_snapshot(self) -> None:
        self._render_state()

    def watch_now_ms(self) -> None:
        self._render_state()

    def _render_state(self) -> None:
        snap = self.snapshot
        state = self.query_one("#live-state", Static)
        live = snap is not None and snap.live
        state.update("● LIVE" if live else "OFFLINE")
        state.set_class(live, "live")
        state.set_class(not live, "offline")
        uptime = ""
        viewers = ""
        if snap is not None and snap.live and snap.started_ms is not None:
            uptime = format_uptime((self.now_ms - snap.started_ms) // 1000)
            viewers = f"{snap.viewers:,} viewers"
        self.query_one("#uptime", Static).update(uptime)
        self.query_one("#viewers", Static).update(viewers)
