"""KeyboardRaffle against a real SQLite file: idempotent rolls, records, leaderboard, prizes, outbox."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamdeck_tui.components.keyboard_raffle import (
    ClosestRecord,
    InvalidArgument,
    InvalidRoll,
    KeyboardRaffle,
    NoRolls,
    NoSuchWinner,
    RaffleTotals,
    RecordedRoll,
    RollConflict,
    RollInput,
    UnknownRoll,
)
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, deterministic_event_id
from streamdeck_tui.runtime.resources import migrations_root


async def _started(data_dir: Path, clock: FakeClock) -> KeyboardRaffle:
    raffle = KeyboardRaffle(ComponentContext(data_dir, clock, migrations_root()))
    assert await raffle.start() == Ok(None)
    return raffle


@pytest.fixture
async def raffle(tmp_path: Path, clock: FakeClock) -> AsyncIterator[KeyboardRaffle]:
    component = await _started(tmp_path, clock)
    yield component
    await component.stop()


def inp(
    rid: str, user: str = "u1", name: str = "Alice", roll: int = 100, win: int = 150, at: int = 1_000, **kw: Any
) -> RollInput:
    return RollInput(rid, user, name, roll, win, at, **kw)


async def record(raffle: KeyboardRaffle, *args: Any, **kw: Any) -> RecordedRoll:
    result = await raffle.record_roll(inp(*args, **kw))
    assert isinstance(result, Ok), result
    return result.value


def outbox(raffle: KeyboardRaffle) -> list[sqlite3.Row]:
    with sqlite3.connect(raffle.db_path) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT event_id, type, occurred_ms, payload FROM outbox ORDER BY seq").fetchall()


# -- recording --------------------------------------------------------------------------------------------


async def test_records_a_roll_and_the_first_miss_is_a_record(raffle: KeyboardRaffle) -> None:
    rolled = await record(raffle, "r1", roll=100, win=150)
    assert rolled == RecordedRoll("r1", "u1", "Alice", 100, 150, 50, False, True, 1_000, "redemption")
    assert await raffle.recent_rolls() == [rolled]
    assert await raffle.winners() == []


async def test_distance_zero_is_a_winner_and_never_a_record(raffle: KeyboardRaffle) -> None:
    won = await record(raffle, "r1", roll=4242, win=4242)
    assert (won.distance, won.is_winner, won.is_new_record) == (0, True, False)
    [winner] = await raffle.winners()
    assert (winner.roll, winner.prize_sent, winner.note) == (won, False, "")
    assert await raffle.totals() == RaffleTotals(rolls=1, wins=1, players=1, prizes_pending=1)


async def test_the_event_is_published_only_when_asked_and_exactly_once_even_after_replays(
    raffle: KeyboardRaffle,
) -> None:
    first = await record(raffle, "r1", roll=100, win=150, at=7_000)
    for _ in range(3):
        assert await raffle.record_roll(inp("r1", roll=100, win=150, at=7_000)) == Ok(first)
    assert outbox(raffle) == []  # recorded, not yet fulfilled: nothing announced
    for _ in range(3):
        assert await raffle.publish_roll("r1") == Ok(first)
    [event] = outbox(raffle)
    assert event["event_id"] == deterministic_event_id("raffle_roll", "r1")
    assert event["type"] == "raffle_roll"
    assert event["occurred_ms"] == 7_000
    assert json.loads(event["payload"]) == {
        "userId": "u1",
        "userDisplayName": "Alice",
        "sagaId": "r1",
        "roll": 100,
        "winningNumber": 150,
        "distance": 50,
        "isWinner": False,
        "isNewRecord": True,
    }


async def test_concurrent_calls_with_one_id_store_one_roll(raffle: KeyboardRaffle) -> None:
    same = await asyncio.gather(*(raffle.record_roll(inp("r1")) for _ in range(5)))
    assert len({repr(r) for r in same}) == 1
    assert isinstance(same[0], Ok)
    mixed = await asyncio.gather(*(raffle.record_roll(inp("r2", roll=r)) for r in (1, 2, 3)))
    assert sum(isinstance(r, Ok) for r in mixed) == 1
    assert all(isinstance(r, Err) and isinstance(r.error, RollConflict) for r in mixed if isinstance(r, Err))
    assert len(await raffle.recent_rolls()) == 2


async def test_a_replay_returns_the_original_record_flag(raffle: KeyboardRaffle) -> None:
    assert (await record(raffle, "r1", roll=100, win=150)).is_new_record
    assert (await record(raffle, "r2", user="u2", roll=100, win=110)).is_new_record
    # r1 would not be a record today (r2 is closer); the replay still reports what was stored.
    replay = await record(raffle, "r1", roll=100, win=150)
    assert replay.is_new_record


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"roll": 101}, ("roll",)),
        ({"win": 151, "name": "Mallory"}, ("display_name", "winning_number")),
        ({"user": "u9"}, ("user_id",)),
        ({"at": 2_000}, ("rolled_ms",)),
        ({"source": "manual"}, ("source",)),
    ],
)
async def test_a_replay_with_different_numbers_is_a_conflict_and_overwrites_nothing(
    raffle: KeyboardRaffle, changes: dict[str, Any], fields: tuple[str, ...]
) -> None:
    original = await record(raffle, "r1", roll=100, win=150)
    assert await raffle.record_roll(inp("r1", **{"roll": 100, "win": 150, **changes})) == Err(
        RollConflict("r1", fields)
    )
    assert await raffle.recent_rolls() == [original]
    assert await raffle.publish_roll("r1") == Ok(original)  # what is announced is the original, too
    assert json.loads(outbox(raffle)[0]["payload"])["roll"] == 100


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (inp("", roll=1), "id"),
        (inp("   "), "id"),
        (inp("r", user=""), "user_id"),
        (inp("r", name=" "), "display_name"),
        (inp("r", name="a\nb"), "display_name"),
        (inp("r", roll=0), "roll"),
        (inp("r", roll=10_001), "roll"),
        (inp("r", roll=True), "roll"),
        (inp("r", win=0), "winning_number"),
        (inp("r", win=2.5), "winning_number"),  # type: ignore[arg-type]
        (inp("r", at=-1), "rolled_ms"),
        (inp("r", source="chat"), "source"),
    ],
)
async def test_invalid_input_is_refused_before_storage(raffle: KeyboardRaffle, bad: RollInput, field: str) -> None:
    result = await raffle.record_roll(bad)
    assert isinstance(result, Err)
    assert isinstance(result.error, InvalidRoll)
    assert result.error.field == field
    assert await raffle.totals() == RaffleTotals(0, 0, 0, 0)
    assert outbox(raffle) == []


async def test_derived_values_are_computed_by_the_store(raffle: KeyboardRaffle) -> None:
    # The input has no distance or winner fields at all; the row holds what the store derived.
    await record(raffle, "r1", roll=9_000, win=1)
    with sqlite3.connect(raffle.db_path) as conn:
        row = conn.execute("SELECT distance, is_winner FROM rolls WHERE id = 'r1'").fetchone()
    assert row == (8_999, 0)


async def test_a_manual_roll_is_recorded_and_published_the_same_way(raffle: KeyboardRaffle) -> None:
    rolled = await record(raffle, "m1", roll=3, win=3, source="manual")
    assert (rolled.source, rolled.is_winner) == ("manual", True)
    assert await raffle.publish_roll("m1") == Ok(rolled)
    assert [e["type"] for e in outbox(raffle)] == ["raffle_roll"]


async def test_publishing_a_missing_or_malformed_roll_is_an_error(raffle: KeyboardRaffle) -> None:
    assert await raffle.publish_roll("nope") == Err(UnknownRoll("nope"))
    assert await raffle.publish_roll("") == Err(InvalidRoll("id", "must be a non-empty string"))
    assert outbox(raffle) == []


async def test_multiple_rolls_per_user(raffle: KeyboardRaffle) -> None:
    await record(raffle, "r1", roll=100, win=130, at=1_000)
    await record(raffle, "r2", roll=77, win=77, at=2_000)
    await record(raffle, "r3", name="AliceNew", roll=500, win=510, at=3_000)
    stats = await raffle.user_stats("u1")
    assert isinstance(stats, Ok)
    e = stats.value
    assert (e.display_name, e.total_rolls, e.total_wins, e.last_rolled_ms) == ("AliceNew", 3, 1, 3_000)
    assert (e.closest_distance, e.closest_roll, e.closest_winning_number) == (10, 500, 510)


async def test_only_strictly_better_misses_are_records(raffle: KeyboardRaffle) -> None:
    steps = [  # (user, roll, winning number, expected record flag)
        ("u1", 100, 150, True),  # first miss
        ("u2", 100, 160, False),  # further away
        ("u3", 200, 250, False),  # a tie is not a record
        ("u4", 5, 5, False),  # a win is never a record
        ("u2", 300, 251, True),  # 49 beats 50, whoever rolled it
        ("u1", 1, 2, True),
        ("u5", 9_999, 10_000, False),  # tie with the record of 1
    ]
    for i, (user, roll, win, expected) in enumerate(steps):
        rolled = await record(raffle, f"r{i}", user=user, name=user, roll=roll, win=win, at=i)
        assert rolled.is_new_record is expected, (i, rolled)


# -- deleting ---------------------------------------------------------------------------------------------


async def test_delete_removes_the_roll_and_its_prize_row_and_publishes_nothing(raffle: KeyboardRaffle) -> None:
    await record(raffle, "r1", roll=8, win=8)
    assert await raffle.delete_roll("r1") == Ok(True)
    assert await raffle.recent_rolls() == []
    assert await raffle.winners() == []
    # Only an unfulfilled roll is deleted (the workflow's undo); it was never published, so nothing follows.
    assert outbox(raffle) == []
    assert await raffle.publish_roll("r1") == Err(UnknownRoll("r1"))


async def test_deleting_a_missing_roll_is_idempotent(raffle: KeyboardRaffle) -> None:
    assert await raffle.delete_roll("nope") == Ok(False)
    await record(raffle, "r1")
    assert await raffle.delete_roll("r1") == Ok(True)
    assert await raffle.delete_roll("r1") == Ok(False)
    assert outbox(raffle) == []
    assert await raffle.delete_roll("") == Err(InvalidRoll("id", "must be a non-empty string"))


async def test_the_leaderboard_follows_a_delete(raffle: KeyboardRaffle) -> None:
    await record(raffle, "r1", roll=100, win=101)
    await record(raffle, "r2", roll=100, win=200)
    assert await raffle.delete_roll("r1") == Ok(True)
    stats = await raffle.user_stats("u1")
    assert isinstance(stats, Ok)
    assert (stats.value.total_rolls, stats.value.closest_distance) == (1, 100)
    assert await raffle.delete_roll("r2") == Ok(True)
    assert await raffle.user_stats("u1") == Err(NoRolls("u1"))
    assert await raffle.leaderboard("rolls") == Ok([])


# -- statistics and leaderboard ---------------------------------------------------------------------------


async def test_stats_not_found_totals_wins_and_closest(raffle: KeyboardRaffle) -> None:
    assert await raffle.user_stats("u1") == Err(NoRolls("u1"))
    await record(raffle, "r1", roll=10, win=10)
    stats = await raffle.user_stats("u1")
    assert isinstance(stats, Ok)
    # Only wins so far: there is no closest miss.
    assert (stats.value.total_rolls, stats.value.total_wins, stats.value.closest_distance) == (1, 1, None)
    await record(raffle, "r2", roll=10, win=30)
    await record(raffle, "r3", roll=10, win=20)
    stats = await raffle.user_stats("u1")
    assert isinstance(stats, Ok)
    assert (stats.value.total_rolls, stats.value.total_wins, stats.value.closest_distance) == (3, 1, 10)


async def test_stats_by_name_ignore_case_and_use_the_latest_name(raffle: KeyboardRaffle) -> None:
    await record(raffle, "r1", user="u1", name="OldName", at=1)
    await record(raffle, "r2", user="u1", name="CoolCat", at=2)
    await record(raffle, "r3", user="u2", name="Ärger", at=3)
    for query in ("CoolCat", "coolcat", "@COOLCAT", " coolCat "):
        found = await raffle.user_stats_by_name(query)
        assert isinstance(found, Ok), query
        assert (found.value.user_id, found.value.total_rolls) == ("u1", 2)
    found = await raffle.user_stats_by_name("ärger")
    assert isinstance(found, Ok)
    assert found.value.user_id == "u2"
    assert await raffle.user_stats_by_name("OldName") == Err(NoRolls("OldName"))
    assert await raffle.user_stats_by_name("@") == Err(NoRolls("@"))


async def _three_players(raffle: KeyboardRaffle) -> None:
    # a: 3 rolls, 0 wins, closest 5 | b: 2 rolls, 2 wins, no miss | c: 1 roll, 0 wins, closest 1
    for i, (roll, win) in enumerate([(100, 200), (100, 105), (1, 9_000)]):
        await record(raffle, f"a{i}", user="a", name="A", roll=roll, win=win, at=i)
    for i in range(2):
        await record(raffle, f"b{i}", user="b", name="B", roll=50, win=50, at=10 + i)
    await record(raffle, "c0", user="c", name="C", roll=7, win=8, at=20)


@pytest.mark.parametrize(
    ("sort_by", "order"), [("rolls", ["a", "b", "c"]), ("wins", ["b", "a", "c"]), ("closest", ["c", "a", "b"])]
)
async def test_leaderboard_sorting(raffle: KeyboardRaffle, sort_by: Any, order: list[str]) -> None:
    await _three_players(raffle)
    board = await raffle.leaderboard(sort_by)
    assert isinstance(board, Ok)
    assert [e.user_id for e in board.value] == order
    limited = await raffle.leaderboard(sort_by, limit=2)
    assert isinstance(limited, Ok)
    assert [e.user_id for e in limited.value] == order[:2]


@pytest.mark.parametrize(
    ("sort_by", "limit", "field"), [("rolls", 0, "limit"), ("wins", 101, "limit"), ("x", 5, "sort_by")]
)
async def test_leaderboard_arguments_are_checked(raffle: KeyboardRaffle, sort_by: Any, limit: int, field: str) -> None:
    result = await raffle.leaderboard(sort_by, limit)
    assert isinstance(result, Err)
    assert isinstance(result.error, InvalidArgument)
    assert result.error.field == field


async def test_closest_record_ignores_winners(raffle: KeyboardRaffle) -> None:
    assert await raffle.closest_record() is None
    await record(raffle, "w", user="w", name="Winner", roll=5, win=5)
    assert await raffle.closest_record() is None
    await record(raffle, "x", user="x", name="Xena", roll=10, win=13)
    await record(raffle, "y", user="y", name="Yuri", roll=10, win=7)  # tie: the first one keeps it
    assert await raffle.closest_record() == ClosestRecord("x", "Xena", 3)
    await record(raffle, "z", user="z", name="Zoe", roll=10, win=11)
    assert await raffle.closest_record() == ClosestRecord("z", "Zoe", 1)


# -- console: feed, prizes, totals ------------------------------------------------------------------------


async def test_recent_rolls_newest_first_with_a_limit(raffle: KeyboardRaffle) -> None:
    for i in range(5):
        await record(raffle, f"r{i}", at=1_000 + i)
    assert [r.id for r in await raffle.recent_rolls(3)] == ["r4", "r3", "r2"]


async def test_prize_tracking(raffle: KeyboardRaffle, clock: FakeClock) -> None:
    await record(raffle, "win", roll=1, win=1)
    await record(raffle, "loss", roll=1, win=2)
    clock.advance(5)
    updated = await raffle.set_prize("win", True, "  shipped\tvia post\x07\n ")
    assert isinstance(updated, Ok)
    assert (updated.value.prize_sent, updated.value.note) == (True, "shipped via post")
    assert updated.value.updated_ms == clock.now_ms()
    assert await raffle.winners() == [updated.value]
    assert await raffle.totals() == RaffleTotals(rolls=2, wins=1, players=1, prizes_pending=0)
    assert await raffle.set_prize("loss", True) == Err(NoSuchWinner("loss"))
    too_long = await raffle.set_prize("win", False, "x" * 201)
    assert isinstance(too_long, Err)
    assert isinstance(too_long.error, InvalidArgument)
    assert (await raffle.winners())[0].note == "shipped via post"


async def test_rolls_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    first = await _started(tmp_path, clock)
    rolled = await record(first, "r1")
    await first.stop()
    again = await _started(tmp_path, clock)
    assert await again.recent_rolls() == [rolled]
    assert await again.record_roll(inp("r1")) == Ok(rolled)
    await again.stop()


# -- the schema enforces the rules on its own -------------------------------------------------------------

COLUMNS = "id user_id display_name roll winning_number distance is_winner is_new_record rolled_ms source recorded_ms"
GOOD = dict(zip(COLUMNS.split(), ["raw", "u", "U", 10, 20, 10, 0, 0, 1, "redemption", 1], strict=True))


@pytest.mark.parametrize(
    "bad",
    [
        {"distance": 9},
        {"is_winner": 1},
        {"roll": 20, "distance": 0, "is_winner": 0},
        {"roll": 20, "distance": 0, "is_winner": 1, "is_new_record": 1},
        {"roll": 0, "distance": 20},
        {"winning_number": 10_001, "distance": 9_991},
        {"user_id": ""},
        {"display_name": ""},
        {"source": "chat"},
        {"is_new_record": 2},
    ],
)
async def test_check_constraints_refuse_a_hand_written_bad_row(
    tmp_path: Path, clock: FakeClock, bad: dict[str, Any]
) -> None:
    component = await _started(tmp_path, clock)
    await component.stop()
    sql = f"INSERT INTO rolls ({', '.join(GOOD)}) VALUES ({', '.join('?' * len(GOOD))})"
    with sqlite3.connect(component.db_path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(sql, list(GOOD.values()))  # the good row is accepted
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(sql, list({**GOOD, "id": "bad", **bad}.values()))
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO raffle_winners (roll_id, updated_ms) VALUES ('ghost', 0)")


# -- the record flag against a model ----------------------------------------------------------------------

rolls_strategy = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.integers(1, 40), st.integers(1, 40)), max_size=25
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rolls=rolls_strategy)
def test_record_flags_and_stats_match_a_simple_model(rolls: list[tuple[str, int, int]]) -> None:
    async def scenario(data_dir: Path) -> None:
        raffle = await _started(data_dir, FakeClock())
        try:
            await check(raffle)
        finally:
            await raffle.stop()

    async def check(raffle: KeyboardRaffle) -> None:
        best: int | None = None
        for i, (user, roll, win) in enumerate(rolls):
            away = abs(roll - win)
            expected = away > 0 and (best is None or away < best)
            if away > 0:
                best = away if best is None else min(best, away)
            got = await record(raffle, f"r{i}", user=user, name=user.upper(), roll=roll, win=win, at=i)
            assert got.is_new_record is expected
        for user in {u for u, _, _ in rolls}:
            mine = [abs(r - w) for u, r, w in rolls if u == user]
            stats = await raffle.user_stats(user)
            assert isinstance(stats, Ok)
            misses = [d for d in mine if d > 0]
            assert stats.value.total_rolls == len(mine)
            assert stats.value.total_wins == mine.count(0)
            assert stats.value.closest_distance == (min(misses) if misses else None)

    with tempfile.TemporaryDirectory() as d:
        asyncio.run(scenario(Path(d)))
