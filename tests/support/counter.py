"""A small component used to test the runtime against real SQLite files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamdeck_tui.runtime import (
    Component,
    ComponentContext,
    DomainEvent,
    Err,
    FakeClock,
    Ok,
    Result,
    TaggedError,
    TxContext,
    deterministic_event_id,
)
from streamdeck_tui.runtime.resources import migrations_root

COUNTER_SQL = """
CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO counter (id, value) VALUES (1, 0);
CREATE TABLE items (name TEXT PRIMARY KEY) STRICT;
CREATE TABLE fired (key TEXT NOT NULL, at_ms INTEGER NOT NULL) STRICT;
"""

SINK_SQL = """
CREATE TABLE applied (event_id TEXT NOT NULL, value INTEGER NOT NULL) STRICT;
"""


def make_migrations(root: Path) -> Path:
    """A migrations folder with every real scope plus `counter` and `sink` test scopes."""
    shutil.copytree(migrations_root(), root)
    (root / "counter").mkdir(parents=True)
    (root / "counter" / "0001_init.sql").write_text(COUNTER_SQL)
    (root / "sink").mkdir(parents=True)
    (root / "sink" / "0001_init.sql").write_text(SINK_SQL)
    return root


@dataclass(frozen=True, slots=True)
class NameTaken(TaggedError):
    """An item of this name exists."""

    tag = "NameTaken"
    name: str


class Counter(Component):
    """Read-modify-write on one row; items; timers recorded in `fired`; events published on bump."""

    name = "counter"

    async def increment(self) -> int:
        """Read, yield to the loop, write: only correct when the gate serialises callers."""
        async with self.unit_of_work() as tx:
            row = await tx.fetch_one("SELECT value FROM counter WHERE id = 1")
            assert row is not None
            value = int(row["value"]) + 1
            await tx.execute("UPDATE counter SET value = ? WHERE id = 1", (value,))
            return value

    async def value(self) -> int:
        """Current count."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT value FROM counter WHERE id = 1")
        assert row is not None
        return int(row["value"])

    async def add_items(self, names: list[str]) -> Result[int, NameTaken]:
        """Insert all names or none."""

        async def work(tx: TxContext) -> Result[int, NameTaken]:
            for n in names:
                if await tx.fetch_one("SELECT 1 FROM items WHERE name = ?", (n,)):
                    return Err(NameTaken(n))
                await tx.execute("INSERT INTO items (name) VALUES (?)", (n,))
            return Ok(len(names))

        return await self.transact(work)

    async def add_items_then_crash(self, names: list[str]) -> None:
        """Insert, then fail with a bug half-way through."""
        async with self.unit_of_work() as tx:
            for i, n in enumerate(names):
                if i == len(names) // 2:
                    raise RuntimeError("bug half-way through a unit of work")
                await tx.execute("INSERT INTO items (name) VALUES (?)", (n,))

    async def items(self) -> list[str]:
        """All item names."""
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT name FROM items ORDER BY name")
        return [str(r["name"]) for r in rows]

    async def bump(self, by: int, key: str) -> None:
        """Change state and publish the matching event in one transaction."""
        async with self.unit_of_work() as tx:
            await tx.execute("UPDATE counter SET value = value + ? WHERE id = 1", (by,))
            await tx.publish(
                DomainEvent(
                    id=deterministic_event_id("bump", key),
                    type="bumped",
                    source=self.name,
                    occurred_ms=self.clock.now_ms(),
                    payload={"by": by},
                )
            )

    async def schedule(self, key: str, due_ms: int) -> None:
        """Persist a timer."""
        async with self.unit_of_work() as tx:
            await tx.schedule(key, due_ms, {"key": key})

    async def cancel(self, key: str) -> bool:
        """Cancel a timer."""
        async with self.unit_of_work() as tx:
            return await tx.cancel(key)

    async def on_timer(self, tx: TxContext, key: str, payload: dict[str, Any]) -> None:
        """Record that the timer fired, in the same transaction that removes it."""
        await tx.execute("INSERT INTO fired (key, at_ms) VALUES (?, ?)", (key, self.clock.now_ms()))

    async def fired(self) -> list[str]:
        """Keys of fired timers, in firing order."""
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT key FROM fired ORDER BY rowid")
        return [str(r["key"]) for r in rows]


class Sink(Component):
    """A durable subscriber: applies `bumped` events idempotently by event id."""

    name = "sink"

    async def handle(self, event: DomainEvent) -> Result[bool, TaggedError]:
        """Dispatcher entry point."""

        async def apply(tx: TxContext, ev: DomainEvent) -> Result[None, TaggedError]:
            await tx.execute("INSERT INTO applied (event_id, value) VALUES (?, ?)", (ev.id, int(ev.payload["by"])))
            return Ok(None)

        return await self.consume(event, apply)

    async def applied(self) -> list[tuple[str, int]]:
        """Every application, duplicates included if any slipped through."""
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT event_id, value FROM applied ORDER BY rowid")
        return [(str(r["event_id"]), int(r["value"])) for r in rows]


def context(data_dir: Path, migrations: Path, clock: FakeClock | None = None, **kw: Any) -> ComponentContext:
    """A context for test components."""
    return ComponentContext(data_dir=data_dir, clock=clock or FakeClock(), migrations_root=migrations, **kw)
