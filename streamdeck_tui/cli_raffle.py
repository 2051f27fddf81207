"""Read-only raffle reports: `streamdeck-tui raffle leaderboard [--by rolls|wins|closest] [--json]` and
`streamdeck-tui raffle winners [--json]`."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Final

from .components.keyboard_raffle import MAX_LEADERBOARD, KeyboardRaffle, LeaderboardEntry, SortBy, Winner
from .config import LoadedSettings
from .engine import Engine
from .formatting import local_time
from .runtime.clock import iso_from_ms
from .runtime.result import Err

ACTIONS: Final = ("leaderboard", "winners")
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
NAME_WIDTH: Final = 25
ORDERS: Final[dict[str, SortBy]] = {"rolls": "rolls", "wins": "wins", "closest": "closest"}


def run_raffle(loaded: LoadedSettings, action: str, by: str, as_json: bool) -> int:
    """Print the leaderboard (ordered by `by`) or the winners; returns the exit code."""
    if action not in ACTIONS:
        print(f"unknown raffle action {action!r}: use one of {', '.join(ACTIONS)}", file=sys.stderr)
        return EXIT_USAGE
    sort_by = ORDERS.get(by)
    if sort_by is None:
        print(f"unknown order {by!r}: use one of {', '.join(ORDERS)}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_raffle(loaded, action, sort_by, as_json))


async def _raffle(loaded: LoadedSettings, action: str, by: SortBy, as_json: bool) -> int:
    engine = Engine(loaded.settings, components=(KeyboardRaffle,))
    started = await engine.start(connect=False)
    if isinstance(started, Err):
        print(started.error.message())
        return EXIT_FAILED
    try:
        raffle = engine.components[KeyboardRaffle.name]
        assert isinstance(raffle, KeyboardRaffle)
        if action == "winners":
            _print_winners(await raffle.winners(), as_json)
            return EXIT_OK
        board = await raffle.leaderboard(by, MAX_LEADERBOARD)
    finally:
        await engine.stop()
    if isinstance(board, Err):
        print(board.error.message(), file=sys.stderr)
        return EXIT_FAILED
    _print_leaderboard(board.value, by, as_json)
    return EXIT_OK


def _clip(name: str, width: int = NAME_WIDTH) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def leaderboard_rows(entries: list[LeaderboardEntry]) -> list[dict[str, object]]:
    """The leaderboard as JSON-ready rows, ranked from 1."""
    return [
        {
            "rank": rank,
            "user_id": e.user_id,
            "display_name": e.display_name,
            "rolls": e.total_rolls,
            "wins": e.total_wins,
            "closest_distance": e.closest_distance,
            "closest_roll": e.closest_roll,
            "closest_winning_number": e.closest_winning_number,
            "last_rolled_at": iso_from_ms(e.last_rolled_ms),
        }
        for rank, e in enumerate(entries, start=1)
    ]


def winner_rows(winners: list[Winner]) -> list[dict[str, object]]:
    """The winners, newest first, as JSON-ready rows."""
    return [
        {
            "roll_id": w.roll.id,
            "user_id": w.roll.user_id,
            "display_name": w.roll.display_name,
            "roll": w.roll.roll,
            "winning_number": w.roll.winning_number,
            "rolled_at": iso_from_ms(w.roll.rolled_ms),
            "source": w.roll.source,
            "prize_sent": w.prize_sent,
            "note": w.note,
            "updated_at": iso_from_ms(w.updated_ms),
        }
        for w in winners
    ]


def _print_leaderboard(entries: list[LeaderboardEntry], by: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(leaderboard_rows(entries), indent=2))
        return
    if not entries:
        print("Nobody has rolled for the keyboard yet.")
        return
    print(f"Raffle leaderboard by {by}")
    print(f"{'#':>3} {'Viewer':{NAME_WIDTH}} {'Rolls':>6} {'Wins':>5} {'Closest':>8} {'Last roll':16}")
    for rank, e in enumerate(entries, start=1):
        closest = f"{e.closest_distance:,}" if e.closest_distance is not None else "-"
        print(
            f"{rank:>3} {_clip(e.display_name):{NAME_WIDTH}} {e.total_rolls:>6,} {e.total_wins:>5,} "
            f"{closest:>8} {local_time(e.last_rolled_ms):16}"
        )


def _print_winners(winners: list[Winner], as_json: bool) -> None:
    if as_json:
        print(json.dumps(winner_rows(winners), indent=2))
        return
    if not winners:
        print("Nobody has won the keyboard yet.")
        return
    print(f"{'Won':16} {'Viewer':{NAME_WIDTH}} {'Roll':>5} {'Prize':8} Note")
    for w in winners:
        prize = "sent" if w.prize_sent else "pending"
        name = _clip(w.roll.display_name)
        print(f"{local_time(w.roll.rolled_ms):16} {name:{NAME_WIDTH}} {w.roll.roll:>5} {prize:8} {w.note}")
