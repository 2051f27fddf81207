"""One SQLite file per component: connection settings and explicit write transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiosqlite

from .result import Err, Ok, Result, TaggedError

BUSY_TIMEOUT_MS: Final = 5_000

Params = Sequence[Any] | dict[str, Any]


@dataclass(frozen=True, slots=True)
class StorageError(TaggedError):
    """The database file could not be opened or used."""

    tag = "StorageError"
    path: str
    detail: str

    def message(self) -> str:
        """Say which file and what went wrong."""
        return f"database {self.path}: {self.detail}"


class Tx:
    """An open write transaction; everything done through it commits or rolls back together."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self.published: list[Any] = []
        self.timers_changed = False

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cur = await self._conn.execute(sql, params)
        count = cur.rowcount
        await cur.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each row of parameters."""
        await self._conn.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new rowid."""
        cur = await self._conn.execute(sql, params)
        rowid = cur.lastrowid
        await cur.close()
        return int(rowid or 0)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Read one row inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Read all rows inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())


class Database:
    """An aiosqlite connection in autocommit mode, so transactions are ours to begin and end."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> Result[Database, StorageError]:
        """Open (or create) the file with WAL, a busy timeout, foreign keys and full sync."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            return Err(StorageError(str(path), str(exc)))
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            # FULL keeps a committed redemption even across a power cut, not only a process crash.
            await conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            await conn.close()
            return Err(StorageError(str(path), str(exc)))
        return Ok(cls(path, conn))

    def view(self) -> Tx:
        """Statements on the connection without opening a transaction (the caller holds the gate)."""
        return Tx(self._conn)

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        await self._conn.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A `BEGIN IMMEDIATE` transaction: committed on normal exit, rolled back on any exception."""
        tx = Tx(self._conn)
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            yield tx
        except BaseException:
            # Also after a cancellation that landed while BEGIN was still running in aiosqlite's thread:
            # the connection must never be left inside a transaction.
            if self._conn.in_transaction:
                await self._conn.execute("ROLLBACK")
            raise
        await self._conn.execute("COMMIT")

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Read one row outside any write transaction."""
        async with self._conn.execute(sql, params) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Read all rows outside any write transaction."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def execute_raw(self, sql: str, params: Params = ()) -> None:
        """Run a statement with no transaction of ours around it (BEGIN/COMMIT/ROLLBACK themselves)."""
        await self._conn.execute(sql, params)

    async def integrity_check(self) -> str:
        """Return SQLite's `PRAGMA integrity_check` verdict ("ok" when healthy)."""
        rows = await self.fetch_all("PRAGMA integrity_check")
        return "; ".join(str(r[0]) for r in rows)
