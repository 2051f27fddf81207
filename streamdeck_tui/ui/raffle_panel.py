"""The raffle's dashboard panel: the record, totals, open/closed, a live feed of rolls with a distance gauge, and
a big celebration on a win."""

from __future__ import annotations

import math
from typing import Final

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Digits, Static

from ..components.keyboard_raffle import KeyboardRaffle, RaffleTotals, RecordedRoll
from ..components.raffle_draw import HIGH, LOW

FEED_SIZE: Final = 8
GAUGE_WIDTH: Final = 10
NAME_WIDTH: Final = 18
CELEBRATION_S: Final = 8.0
MAX_DISTANCE: Final = HIGH - LOW
EMPTY_HINT: Final = "No rolls yet: viewers roll by redeeming the keyboard raffle reward (or press r, then m)."


# -- plain helpers ------------------------------------------------------------------------------------------


def gauge_fill(distance: int, width: int = GAUGE_WIDTH) -> int:
    """How many of `width` cells are full: a hit fills them all, 9999 away none. Logarithmic, so that the
    near misses (the interesting ones) are told apart: 9 away is 3/4 full, 99 half, 999 a quarter."""
    away = max(0, min(MAX_DISTANCE, distance))
    closeness = 1.0 - math.log10(away + 1) / math.log10(MAX_DISTANCE + 1)
    return max(0, min(width, round(closeness * width)))


def distance_gauge(distance: int, width: int = GAUGE_WIDTH) -> str:
    """A small bar, closer = fuller: "███████░░░"."""
    full = gauge_fill(distance, width)
    return "█" * full + "░" * (width - full)


def _clip(name: str, width: int = NAME_WIDTH) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def totals_line(totals: RaffleTotals) -> str:
    """ "42 rolls · 1 win · 12 players · 1 prize pending"."""
    pending = f"{totals.prizes_pending:,} prize" + ("" if totals.prizes_pending == 1 else "s") + " pending"
    parts = (_plural(totals.rolls, "roll"), _plural(totals.wins, "win"), _plural(totals.players, "player"), pending)
    return " · ".join(parts)


# -- the dashboard panel ------------------------------------------------------------------------------------


class RafflePanel(Widget):
    """Record, totals, open/closed and the last rolls; `refresh_from_store` updates the widgets in place."""

    COMPONENT_CLASSES = {
        "raffle-panel--gauge",
        "raffle-panel--gauge-empty",
        "raffle-panel--name",
        "raffle-panel--win",
        "raffle-panel--record",
        "raffle-panel--muted",
    }
    DEFAULT_CSS = """
    RafflePanel {
        layers: base celebration;
        border: round $primary; border-title-color: $accent; padding: 0 1; height: 100%;
    }
    RafflePanel > .raffle-line { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    RafflePanel #raffle-state.open { color: $success; text-style: bold; }
    RafflePanel #raffle-state.closed { color: $text-muted; }
    RafflePanel #raffle-record { text-style: bold; }
    RafflePanel #raffle-totals { color: $text-muted; }
    RafflePanel #raffle-hint { color: $text-muted; height: auto; margin-top: 1; }
    RafflePanel #raffle-feed { height: auto; margin-top: 1; }
    RafflePanel #raffle-feed > Static { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    RafflePanel #raffle-celebration {
        layer: celebration; display: none; width: 100%; height: 100%;
        align: center middle; background: $success; color: $text; border: double $warning;
    }
    RafflePanel #raffle-celebration > Static { width: 100%; content-align: center middle; text-style: bold; }
    RafflePanel #raffle-celebration Digits { width: 100%; text-align: center; color: $text; }
    RafflePanel .raffle-panel--gauge { color: $success; }
    RafflePanel .raffle-panel--gauge-empty { color: $text-disabled; }
    RafflePanel .raffle-panel--name { text-style: bold; }
    RafflePanel .raffle-panel--win { color: $warning; text-style: bold; }
    RafflePanel .raffle-panel--record { color: $accent; text-style: bold; }
    RafflePanel .raffle-panel--muted { color: $text-muted; }
    """

    raffle_open: reactive[bool] = reactive(False)

    def __init__(
        self,
        raffle: KeyboardRaffle,
        *,
        raffle_open: bool = False,
        celebration_s: float = CELEBRATION_S,
        id: str | None = "raffle",
    ) -> None:
        super().__init__(id=id)
        self.raffle = raffle
        self.celebration_s = celebration_s
        self.border_title = "Raffle"
        self.set_reactive(RafflePanel.raffle_open, raffle_open)
        self.rolls: list[RecordedRoll] = []
        self.totals: RaffleTotals | None = None
        self._celebration_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="raffle-state", classes="raffle-line")
        yield Static("Record: none yet", id="raffle-record", classes="raffle-line")
        yield Static("", id="raffle-totals", classes="raffle-line")
        yield Static(EMPTY_HINT, id="raffle-hint")
        with Vertical(id="raffle-feed"):
            for n in range(FEED_SIZE):
                yield Static("", id=f"raffle-roll-{n}")
        with Vertical(id="raffle-celebration"):
            yield Static("🎉  JACKPOT!  THE KEYBOARD IS WON!  🎉", id="celebration-title")
            yield Static("", id="celebration-name")
            yield Digits("", id="celebration-roll")

    def on_mount(self) -> None:
        """The open/closed line, then a first read (the store may already hold rolls)."""
        self._show_state()
        self.run_worker(self.refresh_from_store(), exclusive=True, group="raffle-panel", exit_on_error=False)

    def watch_raffle_open(self) -> None:
        self._show_state()

    def _show_state(self) -> None:
        state = self.query_one("#raffle-state", Static)
        state.update("● Raffle open: redemptions roll" if self.raffle_open else "○ Raffle closed")
        state.set_class(self.raffle_open, "open")
        state.set_class(not self.raffle_open, "closed")

    async def refresh_from_store(self) -> None:
        """Re-read the record, the totals and the last rolls; widgets are updated in place, never remounted."""
        record = await self.raffle.closest_record()
        totals = await self.raffle.totals()
        rolls = await self.raffle.recent_rolls(FEED_SIZE)
        if not self.is_mounted:
            return
        self.rolls, self.totals = rolls, totals
        record_line = (
            Text(f"Record: {record.distance:,} away, by {_clip(record.display_name, 40)}")
            if record is not None
            else Text("Record: none yet")
        )
        self.query_one("#raffle-record", Static).update(record_line)
        self.query_one("#raffle-totals", Static).update(totals_line(totals))
        self.query_one("#raffle-hint", Static).display = not rolls
        self.query_one("#raffle-feed").display = bool(rolls)
        for n in range(FEED_SIZE):
            row = self.query_one(f"#raffle-roll-{n}", Static)
            if n < len(rolls):
                row.update(self.feed_line(rolls[n]))
                row.display = True
            else:
                row.update("")
                row.display = False

    def feed_line(self, roll: RecordedRoll) -> Text:
        """One roll: gauge, distance, who, the two numbers, and a win or record mark (viewer text is never
        markup)."""
        style = self.get_component_rich_style
        full = gauge_fill(roll.distance)
        line = Text()
        line.append("█" * full, style=style("raffle-panel--gauge"))
        line.append("░" * (GAUGE_WIDTH - full), style=style("raffle-panel--gauge-empty"))
        line.append(f" {roll.distance:>4} ")
        line.append(_clip(roll.display_name), style=style("raffle-panel--name"))
        line.append(f"  {roll.roll} vs {roll.winning_number}", style=style("raffle-panel--muted"))
        if roll.is_winner:
            line.append("  🎉 WIN", style=style("raffle-panel--win"))
        elif roll.is_new_record:
            line.append("  ★ record", style=style("raffle-panel--record"))
        if roll.source == "manual":
            line.append("  (manual)", style=style("raffle-panel--muted"))
        return line

    @property
    def celebrating(self) -> bool:
        """Whether the win banner is showing."""
        return bool(self.query_one("#raffle-celebration").display)

    async def celebrate(self, display_name: str, roll: int) -> None:
        """A big banner over the panel for a few seconds; a second win restarts the countdown."""
        self.query_one("#celebration-name", Static).update(Text(f"{_clip(display_name, 40)} hit the winning number!"))
        self.query_one("#celebration-roll", Digits).update(str(roll))
        self.query_one("#raffle-celebration").display = True
        if self._celebration_timer is not None:
            self._celebration_timer.stop()
        self._celebration_timer = self.set_timer(self.celebration_s, self._end_celebration, name="raffle-celebration")

    def _end_celebration(self) -> None:
        self._celebration_timer = None
        self.query_one("#raffle-celebration").display = False
