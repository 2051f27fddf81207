"""The event log: chat, redemptions and everything else as it arrives, newest at the bottom."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import RichLog

from ..feed import ActivitySeen, ChatSeen, LinkChanged, RedemptionSeen

MAX_LINES = 500


def _clock(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone().strftime("%H:%M:%S")


def render_item(item: object) -> Text | None:
    """One log line for a feed item (None for items the log does not show)."""
    match item:
        case ChatSeen(at_ms=at, display_name=name, text=text, badges=badges):
            line = Text(f"{_clock(at)} ", style="dim")
            style = "bold magenta" if "broadcaster" in badges else "bold green" if "moderator" in badges else "bold"
            line.append(name, style=style)
            line.append(f": {text}")
            return line
        case RedemptionSeen(at_ms=at, display_name=name, reward_title=title, user_input=text):
            line = Text(f"{_clock(at)} ", style="dim")
            line.append("★ ", style="yellow")
            line.append(name, style="bold")
            line.append(f" redeemed {title}", style="yellow")
            if text:
                line.append(f": {text}")
            return line
        case ActivitySeen(at_ms=at, kind=kind, text=text):
            line = Text(f"{_clock(at)} ", style="dim")
            line.append(f"[{kind}] ", style="cyan")
            line.append(text)
            return line
        case LinkChanged(at_ms=at, state=state, detail=detail):
            return Text(f"{_clock(at)} twitch {state}: {detail}", style="dim italic")
    return None


class EventLog(RichLog):
    """A bounded log; lines are plain Rich text, never markup from viewers."""

    DEFAULT_CSS = """
    EventLog { border: round $primary; border-title-color: $accent; height: 100%; }
    """

    def __init__(self, *, id: str) -> None:
        # min_width: RichLog renders at 78 columns at least and crops the rest, which lost words mid-line.
        super().__init__(id=id, max_lines=MAX_LINES, min_width=20, wrap=True, markup=False, auto_scroll=True)
        self.border_title = "Events"
        self.lines_written = 0

    def add(self, item: object) -> None:
        """Append the line for `item`, if it has one."""
        line = render_item(item)
        if line is not None:
            self.write(line)
            self.lines_written += 1
