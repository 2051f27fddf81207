"""Keyboard raffle rules with no I/O: the unbiased draw, distance and winner, and the chat lines."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

LOW: Final = 1
HIGH: Final = 10_000
WORD_BYTES: Final = 4
WORD_SPACE: Final = 2**32
CHAT_LIMIT: Final = 500  # Twitch rejects chat messages longer than 500 characters.
LEADERBOARD_SIZE: Final = 5


class ByteSource(Protocol):
    """Where random bytes come from (the OS CSPRNG in production, a script in tests)."""

    def read(self, n: int) -> bytes:
        """Return exactly `n` random bytes."""
        ...


class OsRandom:
    """The operating system's CSPRNG."""

    def read(self, n: int) -> bytes:
        """Return `n` bytes from `secrets`."""
        return secrets.token_bytes(n)


@dataclass(frozen=True, slots=True)
class RafflePair:
    """The two independent numbers of one redemption."""

    winning_number: int
    roll: int


def rejection_limit(span: int) -> int:
    """The first 32-bit word that is redrawn: the largest multiple of `span` that fits in 2^32."""
    return (WORD_SPACE // span) * span


def draw(source: ByteSource, low: int = LOW, high: int = HIGH) -> int:
    """A uniform integer in low..high (inclusive) by rejection sampling on 32-bit words."""
    if high < low:
        raise ValueError(f"empty range {low}..{high}")
    span = high - low + 1
    if span > WORD_SPACE:
        raise ValueError(f"range {low}..{high} is wider than a 32-bit word")
    limit = rejection_limit(span)
    while True:
        chunk = source.read(WORD_BYTES)
        if len(chunk) != WORD_BYTES:
            raise ValueError(f"byte source returned {len(chunk)} bytes, expected {WORD_BYTES}")
        word = int.from_bytes(chunk, "big")
        # Words at or above the limit would make the low residues one draw more likely than the rest.
        if word < limit:
            return low + word % span


def draw_pair(source: ByteSource) -> RafflePair:
    """Draw the winning number, then the viewer's roll, both uniform in 1..10000."""
    winning = draw(source)
    return RafflePair(winning_number=winning, roll=draw(source))


def distance(roll: int, winning_number: int) -> int:
    """How far the roll landed from the winning number."""
    return abs(roll - winning_number)


def is_winner(roll: int, winning_number: int) -> bool:
    """Only an exact hit wins; being close wins nothing."""
    return roll == winning_number


# -- chat lines (every builder returns at most CHAT_LIMIT characters) -------------------------------------


def _fit(text: str) -> str:
    return text if len(text) <= CHAT_LIMIT else text[: CHAT_LIMIT - 1] + "…"


def _mention(name: str) -> str:
    return "@" + name.strip().lstrip("@")


def win_message(user_name: str, roll: int, winning_number: int) -> str:
    """The chat line for a viewer who hit the winning number."""
    return _fit(
        f"{_mention(user_name)} 🎉 JACKPOT, THE KEYBOARD IS YOURS! 🎉 "
        f"Your roll: {roll} | Winning number: {winning_number}"
    )


def record_note(distance_: int) -> str:
    """A short addition for a roll that beat the closest-ever miss."""
    return f"That's the closest anyone has ever come: only {distance_} away, a new record!"


def loss_message(user_name: str, roll: int, winning_number: int, new_record: bool = False) -> str:
    """The chat line for a miss, with the record note when it set a new closest-ever distance."""
    away = distance(roll, winning_number)
    text = (
        f"{_mention(user_name)} no keyboard this time 😢 The winning number was {winning_number}, "
        f"you rolled {roll} (distance: {away})."
    )
    return _fit(f"{text} {record_note(away)}" if new_record else text)


def roll_message(user_name: str, roll: int, winning_number: int, new_record: bool = False) -> str:
    """The win or loss line for one roll."""
    if is_winner(roll, winning_number):
        return win_message(user_name, roll, winning_number)
    return loss_message(user_name, roll, winning_number, new_record)


def nobody_rolled_message() -> str:
    """The leaderboard answer before anyone has rolled."""
    return "Nobody has rolled for the keyboard yet. Redeem a roll to get things started!"


def no_winner_message() -> str:
    """The leaderboard answer when there are rolls but no winner."""
    return "Nobody has won the keyboard yet. Redeem a roll and you could be the first!"


def leaderboard_unavailable_message() -> str:
    """The leaderboard answer when the store could not be read."""
    return "Sorry, the raffle leaderboard can't be read right now. Try again in a moment."


def leaderboard_message(winners: Sequence[tuple[str, int]], total_rolls: int) -> str:
    """The `!leaderboard` line: the top 5 (name, wins) pairs with at least one win, best first."""
    if total_rolls <= 0:
        return nobody_rolled_message()
    ranked = [(name, wins) for name, wins in winners if wins > 0][:LEADERBOARD_SIZE]
    if not ranked:
        return no_winner_message()
    parts = [f"{i}. {_mention(name)} ({wins})" for i, (name, wins) in enumerate(ranked, start=1)]
    return _fit("Raffle wins: " + " ".join(parts))


def stats_fragment(total_rolls: int, closest_distance: int | None, wins: int) -> str:
    """The raffle part of `!stats`: rolls, then the closest miss and wins when there are any."""
    text = f"{total_rolls} roll" + ("" if total_rolls == 1 else "s")
    extras = []
    if closest_distance is not None:
        extras.append(f"closest: {closest_distance}")
    if wins > 0:
        extras.append(f"{wins} win" + ("" if wins == 1 else "s") + "!")
    return f"{text} ({', '.join(extras)})" if extras else text
