"""KeyboardRaffle: the store of raffle rolls, records, the leaderboard and the streamer's prize tracking."""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import asdict, dataclass, fields
from typing import Final, Literal, get_args

from ..runtime.component import Component, TxContext
from ..runtime.events import DomainEvent, deterministic_event_id
from ..runtime.result import Err, Ok, Result, TaggedError
from .raffle_draw import HIGH, LOW, distance

RollSource = Literal["redemption", "manual"]
SortBy = Literal["rolls", "wins", "closest"]

MAX_ID_LEN: Final = 200
MAX_NAME_LEN: Final = 100
MAX_NOTE_LEN: Final = 200
MAX_LEADERBOARD: Final = 100
MAX_RECENT: Final = 500
ROLL_EVENT: Final = "raffle_roll"

_ORDER: Final[dict[str, str]] = {
    "rolls": "total_rolls DESC, total_wins DESC, last_rolled_ms DESC, user_id",
    "wins": "total_wins DESC, total_rolls DESC, last_rolled_ms DESC, user_id",
    # Users who only ever won have no closest miss: they go last. Ties go to whoever got there first.
    "closest": "closest_distance IS NULL, closest_distance, closest_rolled_ms, user_id",
}


@dataclass(frozen=True, slots=True)
class InvalidRoll(TaggedError):
    """A roll to record (or delete) is malformed."""

    tag = "InvalidRoll"
    field: str
    detail: str

    def message(self) -> str:
        """Name the field and the rule it breaks."""
        return f"invalid roll: {self.field} {self.detail}"


@dataclass(frozen=True, slots=True)
class RollConflict(TaggedError):
    """A roll with this id is already stored with different numbers; it is never overwritten."""

    tag = "RollConflict"
    roll_id: str
    fields: tuple[str, ...]

    def message(self) -> str:
        """Say which stored fields differ."""
        return f"roll {self.roll_id} is already recorded with a different {', '.join(self.fields)}"


@dataclass(frozen=True, slots=True)
class InvalidArgument(TaggedError):
    """A query or console argument is out of range."""

    tag = "InvalidArgument"
    field: str
    detail: str

    def message(self) -> str:
        """Name the argument and the rule it breaks."""
        return f"invalid {self.field}: {self.detail}"


@dataclass(frozen=True, slots=True)
class NoRolls(TaggedError):
    """The viewer has never rolled."""

    tag = "NoRolls"
    user: str

    def message(self) -> str:
        """Say who has no rolls."""
        return f"{self.user} has not rolled yet"


@dataclass(frozen=True, slots=True)
class UnknownRoll(TaggedError):
    """No roll with this id is stored."""

    tag = "UnknownRoll"
    roll_id: str

    def message(self) -> str:
        """Name the roll."""
        return f"no roll {self.roll_id} is recorded"


@dataclass(frozen=True, slots=True)
class NoSuchWinner(TaggedError):
    """No winning roll with this id (a losing roll has no prize)."""

    tag = "NoSuchWinner"
    roll_id: str


RaffleError = InvalidRoll | RollConflict


@dataclass(frozen=True, slots=True)
class RollInput:
    """A roll to record: the numbers come from the draw; distance and winner are derived here."""

    id: str
    user_id: str
    display_name: str
    roll: int
    winning_number: int
    rolled_ms: int
    source: RollSource = "redemption"


@dataclass(frozen=True, slots=True)
class RecordedRoll:
    """A stored roll."""

    id: str
    user_id: str
    display_name: str
    roll: int
    winning_number: int
    distance: int
    is_winner: bool
    is_new_record: bool
    rolled_ms: int
    source: RollSource


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    """One user's raffle statistics."""

    user_id: str
    display_name: str
    total_rolls: int
    total_wins: int
    closest_distance: int | None
    closest_roll: int | None
    closest_winning_number: int | None
    last_rolled_ms: int


@dataclass(frozen=True, slots=True)
class ClosestRecord:
    """The closest miss anyone has ever rolled."""

    user_id: str
    display_name: str
    distance: int


@dataclass(frozen=True, slots=True)
class Winner:
    """A winning roll and whether its prize has been sent."""

    roll: RecordedRoll
    prize_sent: bool
    note: str
    updated_ms: int


@dataclass(frozen=True, slots=True)
class RaffleTotals:
    """Counts for the console header and the tests."""

    rolls: int
    wins: int
    players: int
    prizes_pending: int


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _check_text(field: str, value: object, max_len: int) -> InvalidRoll | None:
    if not isinstance(value, str) or not value.strip():
        return InvalidRoll(field, "must be a non-empty string")
    if len(value) > max_len:
        return InvalidRoll(field, f"is longer than {max_len} characters")
    if _has_control(value):
        return InvalidRoll(field, "contains control characters")
    return None


def _check_int(field: str, value: object, low: int, high: int | None) -> InvalidRoll | None:
    # bool is an int subclass: True must not pass as a roll of 1.
    if type(value) is not int or value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        return InvalidRoll(field, f"must be an integer {bounds}")
    return None


def validate_roll(inp: RollInput) -> Result[RollInput, InvalidRoll]:
    """Check a roll's fields before anything touches the database."""
    problem = (
        _check_text("id", inp.id, MAX_ID_LEN)
        or _check_text("user_id", inp.user_id, MAX_ID_LEN)
        or _check_text("display_name", inp.display_name, MAX_NAME_LEN)
        or _check_int("roll", inp.roll, LOW, HIGH)
        or _check_int("winning_number", inp.winning_number, LOW, HIGH)
        or _check_int("rolled_ms", inp.rolled_ms, 0, None)
    )
    if problem is None and inp.source not in get_args(RollSource):
        problem = InvalidRoll("source", f"must be one of {', '.join(get_args(RollSource))}")
    return Ok(inp) if problem is None else Err(problem)


def clean_note(note: str) -> str:
    """A prize note without control characters (line breaks become spaces), trimmed."""
    kept = (" " if ch in "\t\r\n" else ch for ch in note)
    return "".join(ch for ch in kept if unicodedata.category(ch) != "Cc").strip()


# Rows come from STRICT tables whose CHECKs enforce every rule (types, ranges, derived values, source), so
# reading one back is a matter of names; only SQLite's 0/1 flags become bools.
def _roll(row: sqlite3.Row) -> RecordedRoll:
    values = {f.name: row[f.name] for f in fields(RecordedRoll)}
    flags = {"is_winner": bool(row["is_winner"]), "is_new_record": bool(row["is_new_record"])}
    return RecordedRoll(**(values | flags))


def _entry(row: sqlite3.Row) -> LeaderboardEntry:
    return LeaderboardEntry(**{f.name: row[f.name] for f in fields(LeaderboardEntry)})


def _winner(row: sqlite3.Row) -> Winner:
    return Winner(_roll(row), bool(row["prize_sent"]), str(row["note"]), int(row["updated_ms"]))


def roll_payload(roll: RecordedRoll) -> dict[str, object]:
    """The `raffle_roll` event payload (keys as the achievements consumer expects them)."""
    return {
        "userId": roll.user_id,
        "userDisplayName": roll.display_name,
        "sagaId": roll.id,
        "roll": roll.roll,
        "winningNumber": roll.winning_number,
        "distance": roll.distance,
        "isWinner": roll.is_winner,
        "isNewRecord": roll.is_new_record,
    }


_IMMUTABLE: Final = ("user_id", "display_name", "roll", "winning_number", "rolled_ms", "source")
# The INSERT binds a RecordedRoll by field name, plus when it was stored.
_ROLL_COLUMNS: Final = (*(f.name for f in fields(RecordedRoll)), "recorded_ms")
_INSERT_ROLL: Final = (
    f"INSERT INTO rolls ({', '.join(_ROLL_COLUMNS)}) VALUES ({', '.join(':' + c for c in _ROLL_COLUMNS)})"
)
_WINNER_SELECT: Final = (
    "SELECT r.*, w.prize_sent, w.note, w.updated_ms FROM raffle_winners w JOIN rolls r ON r.id = w.roll_id"
)


class KeyboardRaffle(Component):
    """Rolls keyed by redemption id: a replay returns the stored roll, a different one is a conflict."""

    name = "keyboard_raffle"

    async def record_roll(self, inp: RollInput) -> Result[RecordedRoll, RaffleError]:
        """Store a roll; a replay changes nothing. Its `raffle_roll` event waits for `publish_roll`."""
        valid = validate_roll(inp)
        if isinstance(valid, Err):
            return valid

        async def work(tx: TxContext) -> Result[RecordedRoll, RaffleError]:
            row = await tx.fetch_one("SELECT * FROM rolls WHERE id = ?", (inp.id,))
            if row is not None:
                stored = _roll(row)
                differing = tuple(f for f in _IMMUTABLE if getattr(stored, f) != getattr(inp, f))
                return Err(RollConflict(inp.id, differing)) if differing else Ok(stored)
            away = distance(inp.roll, inp.winning_number)
            won = away == 0
            best = await tx.fetch_one("SELECT min(distance) FROM rolls WHERE is_winner = 0")
            best_distance = None if best is None else best[0]
            # Strictly closer than everyone's best miss; a tie does not take the record away.
            record = not won and (best_distance is None or away < int(best_distance))
            base = (inp.id, inp.user_id, inp.display_name, inp.roll, inp.winning_number)
            roll = RecordedRoll(*base, away, won, record, inp.rolled_ms, inp.source)
            now = self.clock.now_ms()
            await tx.execute(_INSERT_ROLL, {**asdict(roll), "recorded_ms": now})
            if won:
                await tx.execute(
                    "INSERT INTO raffle_winners (roll_id, prize_sent, note, updated_ms) VALUES (?, 0, '', ?)",
                    (roll.id, now),
                )
            return Ok(roll)

        return await self.transact(work)

    async def publish_roll(self, roll_id: str) -> Result[RecordedRoll, InvalidRoll | UnknownRoll]:
        """Publish the stored roll's `raffle_roll` event (once: its id is derived from the roll id).

        The raffle workflow calls this after the redemption was fulfilled, as the original did: a roll that is
        refunded instead (deleted before fulfilment) is never announced to achievements, the console or overlays.
        """
        problem = _check_text("id", roll_id, MAX_ID_LEN)
        if problem is not None:
            return Err(problem)

        async def work(tx: TxContext) -> Result[RecordedRoll, InvalidRoll | UnknownRoll]:
            row = await tx.fetch_one("SELECT * FROM rolls WHERE id = ?", (roll_id,))
            if row is None:
                return Err(UnknownRoll(roll_id))
            roll = _roll(row)
            event_id = deterministic_event_id(ROLL_EVENT, roll.id)
            await tx.publish(DomainEvent(event_id, ROLL_EVENT, self.name, roll.rolled_ms, roll_payload(roll)))
            return Ok(roll)

        return await self.transact(work)

    async def delete_roll(self, roll_id: str) -> Result[bool, InvalidRoll]:
        """Remove a roll (the saga's compensation); a missing roll is Ok(False)."""
        problem = _check_text("id", roll_id, MAX_ID_LEN)
        if problem is not None:
            return Err(problem)

        async def work(tx: TxContext) -> Result[bool, InvalidRoll]:
            row = await tx.fetch_one("SELECT * FROM rolls WHERE id = ?", (roll_id,))
            if row is None:
                return Ok(False)
            # The winners row goes with it (ON DELETE CASCADE). Nothing is published: only a roll that was
            # never fulfilled is deleted (the workflow's undo), and such a roll was never published either.
            await tx.execute("DELETE FROM rolls WHERE id = ?", (roll_id,))
            return Ok(True)

        return await self.transact(work)

    async def leaderboard(
        self, sort_by: SortBy = "rolls", limit: int = 10
    ) -> Result[list[LeaderboardEntry], InvalidArgument]:
        """Users ranked by rolls (desc), wins (desc) or closest miss (asc, users without a miss last)."""
        order = _ORDER.get(sort_by)
        if order is None:
            return Err(InvalidArgument("sort_by", f"must be one of {', '.join(_ORDER)}"))
        if type(limit) is not int or not 1 <= limit <= MAX_LEADERBOARD:
            return Err(InvalidArgument("limit", f"must be an integer 1..{MAX_LEADERBOARD}"))
        async with self.reading() as r:
            rows = await r.fetch_all(f"SELECT * FROM raffle_leaderboard ORDER BY {order} LIMIT ?", (limit,))
        return Ok([_entry(row) for row in rows])

    async def user_stats(self, user_id: str) -> Result[LeaderboardEntry, NoRolls]:
        """One user's statistics by Twitch user id."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT * FROM raffle_leaderboard WHERE user_id = ?", (user_id,))
        return Err(NoRolls(user_id)) if row is None else Ok(_entry(row))

    async def user_stats_by_name(self, display_name: str) -> Result[LeaderboardEntry, NoRolls]:
        """One user's statistics by the name on their latest roll, ignoring case and a leading '@'."""
        wanted = display_name.strip().lstrip("@").casefold()
        if not wanted:
            return Err(NoRolls(display_name))
        # SQLite's NOCASE folds ASCII only; Twitch display names can be localized, so compare in Python.
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT * FROM raffle_leaderboard ORDER BY last_rolled_ms DESC, user_id")
        for row in rows:
            if str(row["display_name"]).casefold() == wanted:
                return Ok(_entry(row))
        return Err(NoRolls(display_name))

    async def closest_record(self) -> ClosestRecord | None:
        """The closest miss ever (the first to reach it keeps it on a tie), or None; wins do not count."""
        async with self.reading() as r:
            row = await r.fetch_one(
                "SELECT user_id, display_name, closest_distance FROM raffle_leaderboard "
                "WHERE closest_distance IS NOT NULL ORDER BY closest_distance, closest_rolled_ms, user_id "
                "LIMIT 1"
            )
        if row is None:
            return None
        return ClosestRecord(str(row["user_id"]), str(row["display_name"]), int(row["closest_distance"]))

    async def recent_rolls(self, limit: int = 50) -> list[RecordedRoll]:
        """The newest rolls first, for the console's live feed (limit clamped to 1..500)."""
        limit = max(1, min(MAX_RECENT, limit))
        async with self.reading() as r:
            rows = await r.fetch_all(
                "SELECT * FROM rolls ORDER BY rolled_ms DESC, recorded_ms DESC, id LIMIT ?", (limit,)
            )
        return [_roll(row) for row in rows]

    async def winners(self) -> list[Winner]:
        """Every winning roll, newest first, with its prize state."""
        async with self.reading() as r:
            rows = await r.fetch_all(f"{_WINNER_SELECT} ORDER BY r.rolled_ms DESC, r.id")
        return [_winner(row) for row in rows]

    async def set_prize(
        self, roll_id: str, sent: bool, note: str = ""
    ) -> Result[Winner, NoSuchWinner | InvalidArgument]:
        """Mark a winner's prize as sent (or not) with a short note (control characters removed)."""
        cleaned = clean_note(note)
        if len(cleaned) > MAX_NOTE_LEN:
            return Err(InvalidArgument("note", f"is longer than {MAX_NOTE_LEN} characters"))

        async def work(tx: TxContext) -> Result[Winner, NoSuchWinner | InvalidArgument]:
            changed = await tx.execute(
                "UPDATE raffle_winners SET prize_sent = ?, note = ?, updated_ms = ? WHERE roll_id = ?",
                (int(bool(sent)), cleaned, self.clock.now_ms(), roll_id),
            )
            if not changed:
                return Err(NoSuchWinner(roll_id))
            row = await tx.fetch_one(f"{_WINNER_SELECT} WHERE w.roll_id = ?", (roll_id,))
            assert row is not None
            return Ok(_winner(row))

        return await self.transact(work)

    async def totals(self) -> RaffleTotals:
        """How many rolls, wins, players, and winners still waiting for their prize."""
        async with self.reading() as r:
            row = await r.fetch_one(
                "SELECT count(*), coalesce(sum(is_winner), 0), count(DISTINCT user_id), "
                "(SELECT count(*) FROM raffle_winners WHERE prize_sent = 0) FROM rolls"
            )
        assert row is not None
        return RaffleTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))
