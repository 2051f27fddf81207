"""Migrations: in order, once, refusing newer databases, atomic on failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from streamdeck_tui.runtime import Err, FakeClock, Ok
from streamdeck_tui.runtime.migrations import (
    DatabaseNewerThanCode,
    MigrationFailed,
    discover,
    split_statements,
)
from tests.support.counter import Counter, context


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def _applied(path: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT scope, version, name FROM schema_migrations ORDER BY scope, version").fetchall()


async def test_applied_in_order_once_and_restart_applies_nothing(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    (migrations / "counter" / "0002_add_label.sql").write_text("ALTER TABLE items ADD COLUMN label TEXT;\n")
    (migrations / "counter" / "0003_fill_label.sql").write_text(
        "-- depends on 0002 having run first\nUPDATE items SET label = 'x';\n"
        "CREATE TRIGGER t AFTER INSERT ON items BEGIN\n"
        "  UPDATE items SET label = 'auto' WHERE label IS NULL;\nEND;\n"
    )
    c = Counter(context(tmp_path, migrations, clock))
    assert await c.start() == Ok(None)
    await c.stop()
    db = tmp_path / "counter.sqlite3"
    assert _applied(db) == [
        ("_runtime", 1, "runtime"),
        ("counter", 1, "init"),
        ("counter", 2, "add_label"),
        ("counter", 3, "fill_label"),
    ]
    before = _dump(db)
    c2 = Counter(context(tmp_path, migrations, clock))
    assert await c2.start() == Ok(None)
    await c2.stop()
    assert _dump(db) == before


async def test_newer_database_refuses_to_start_and_is_left_untouched(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    c = Counter(context(tmp_path, migrations, clock))
    await c.start()
    await c.stop()
    db = tmp_path / "counter.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES ('counter', 7, 'from_the_future', 0)")
    before = _dump(db)
    c2 = Counter(context(tmp_path, migrations, clock))
    result = await c2.start()
    assert isinstance(result, Err)
    assert isinstance(result.error, DatabaseNewerThanCode)
    assert result.error.database_version == 7 and result.error.code_version == 1
    assert "Upgrade streamdeck-tui" in result.error.message()
    assert _dump(db) == before


async def test_broken_migration_leaves_file_unchanged_and_names_file_and_statement(
    tmp_path: Path, migrations: Path, clock: FakeClock
) -> None:
    c = Counter(context(tmp_path, migrations, clock))
    await c.start()
    await c.increment()
    await c.stop()
    db = tmp_path / "counter.sqlite3"
    before = _dump(db)
    broken = migrations / "counter" / "0002_broken.sql"
    broken.write_text(
        "CREATE TABLE half_done (x INTEGER);\n"
        "UPDATE counter SET value = 999;\n"
        "INSERT INTO no_such_table VALUES (1);\n"
        "CREATE TABLE never (y INTEGER);\n"
    )
    c2 = Counter(context(tmp_path, migrations, clock))
    result = await c2.start()
    assert isinstance(result, Err)
    assert isinstance(result.error, MigrationFailed)
    msg = result.error.message()
    assert str(broken) in msg
    assert "INSERT INTO no_such_table" in msg
    assert "no such table" in msg
    assert _dump(db) == before


def test_discover_rejects_bad_names_and_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_ok.sql").write_text("")
    (folder / "2_bad.sql").write_text("")
    assert isinstance(discover(folder, "m"), Err)
    (folder / "2_bad.sql").unlink()
    (folder / "0001_again.sql").write_text("")
    result = discover(folder, "m")
    assert isinstance(result, Err) and "used twice" in result.error.message()


def test_split_statements_keeps_triggers_whole() -> None:
    sql = (
        "CREATE TABLE a (x);\n-- a comment; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = 1;\n  UPDATE a SET x = 2;\nEND;\n"
        "INSERT INTO a VALUES ('semi;colon');\n"
    )
    parts = list(split_statements(sql))
    assert len(parts) == 3
    assert parts[1].startswith("-- a comment") or parts[1].startswith("CREATE TRIGGER")
    assert "semi;colon" in parts[2]
