"""The component base: the input gate, units of work, lifecycle."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from streamdeck_tui.runtime import Err, FakeClock, Health, Ok
from tests.support.counter import Counter, NameTaken, context


async def test_hundred_concurrent_read_modify_writes_end_with_exact_count(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    counter = Counter(context(tmp_path, migrations, clock))
    assert await counter.start() == Ok(None)
    results = await asyncio.gather(*(counter.increment() for _ in range(100)))
    assert sorted(results) == list(range(1, 101))
    assert await counter.value() == 100
    await counter.stop()
    # The count is on disk, not only in memory.
    with sqlite3.connect(tmp_path / "counter.sqlite3") as conn:
        assert conn.execute("SELECT value FROM counter").fetchone()[0] == 100


async def test_unit_of_work_failing_half_way_leaves_no_partial_rows(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    counter = Counter(context(tmp_path, migrations, clock))
    await counter.start()
    with pytest.raises(RuntimeError, match="half-way"):
        await counter.add_items_then_crash(["a", "b", "c", "d"])
    assert await counter.items() == []
    # An expected failure (Err) half-way rolls back too.
    assert await counter.add_items(["x"]) == Ok(1)
    result = await counter.add_items(["y", "z", "x", "w"])
    assert result == Err(NameTaken("x"))
    assert await counter.items() == ["x"]
    await counter.stop()


async def test_settings_of_the_connection(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    counter = Counter(context(tmp_path, migrations, clock))
    await counter.start()
    async with counter.reading() as r:
        journal = await r.fetch_one("PRAGMA journal_mode")
        fks = await r.fetch_one("PRAGMA foreign_keys")
        busy = await r.fetch_one("PRAGMA busy_timeout")
    assert journal is not None and journal[0] == "wal"
    assert fks is not None and fks[0] == 1
    assert busy is not None and busy[0] >= 1000
    assert counter.health.state is Health.HEALTHY
    await counter.stop()
    assert counter.health.state is Health.STOPPED


async def test_nested_unit_of_work_joins_the_open_transaction(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    counter = Counter(context(tmp_path, migrations, clock))
    await counter.start()
    async with counter.unit_of_work() as outer:
        await outer.execute("INSERT INTO items (name) VALUES ('outer')")
        # A public method called from inside a unit of work must not deadlock on the gate.
        assert await counter.increment() == 1
    assert await counter.items() == ["outer"]
    assert await counter.value() == 1
    await counter.stop()


async def test_stop_waits_for_the_unit_in_flight(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    counter = Counter(context(tmp_path, migrations, clock))
    await counter.start()
    entered = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> None:
        async with counter.unit_of_work() as tx:
            await tx.execute("INSERT INTO items (name) VALUES ('slow')")
            entered.set()
            await release.wait()

    task = asyncio.create_task(slow())
    await entered.wait()
    stopping = asyncio.create_task(counter.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await task
    await stopping
    with sqlite3.connect(tmp_path / "counter.sqlite3") as conn:
        assert conn.execute("SELECT name FROM items").fetchall() == [("slow",)]


async def test_unusable_data_dir_is_a_start_error(tmp_path: Path, migrations: Path, clock: FakeClock) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    counter = Counter(context(blocker / "data", migrations, clock))
    result = await counter.start()
    assert isinstance(result, Err)
    assert str(blocker) in result.error.message()
    assert counter.health.state is Health.FAILED
