"""Numbered SQL migrations per component, applied in order, one transaction each."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .clock import Clock
from .result import Err, Ok, Result, TaggedError
from .storage import Database

RUNTIME_SCOPE: Final = "_runtime"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    scope TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    name TEXT NOT NULL,
    applied_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, version)
) STRICT
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One `NNNN_name.sql` file."""

    scope: str
    version: int
    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class BadMigrationFile(TaggedError):
    """A file in a migrations folder does not follow `NNNN_name.sql`, or a number repeats."""

    tag = "BadMigrationFile"
    path: str
    detail: str

    def message(self) -> str:
        """Name the file and the rule it breaks."""
        return f"migration {self.path}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DatabaseNewerThanCode(TaggedError):
    """The file was written by a newer streamdeck-tui; running older code on it could corrupt it."""

    tag = "DatabaseNewerThanCode"
    path: str
    scope: str
    database_version: int
    code_version: int

    def message(self) -> str:
        """Explain the mismatch and the remedy."""
        return (
            f"{self.path} has {self.scope} schema version {self.database_version}, but this streamdeck-tui "
            f"knows only up to {self.code_version}. Upgrade streamdeck-tui; the file was left untouched."
        )


@dataclass(frozen=True, slots=True)
class MigrationFailed(TaggedError):
    """A statement in a migration failed; the transaction was rolled back and the file is as it was."""

    tag = "MigrationFailed"
    path: str
    statement: str
    detail: str

    def message(self) -> str:
        """Name the file, the statement and SQLite's complaint."""
        stmt = " ".join(self.statement.split())
        if len(stmt) > 160:
            stmt = stmt[:157] + "..."
        return f"migration {self.path} failed at `{stmt}`: {self.detail} (database left unchanged)"


MigrationError = BadMigrationFile | DatabaseNewerThanCode | MigrationFailed


def discover(folder: Path, scope: str) -> Result[list[Migration], BadMigrationFile]:
    """List the migrations in `folder` in version order; a missing folder means none."""
    if not folder.is_dir():
        return Ok([])
    found: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        m = _NAME.match(path.name)
        if m is None:
            return Err(BadMigrationFile(str(path), "name must look like 0001_short_name.sql"))
        version = int(m.group(1))
        if version == 0:
            return Err(BadMigrationFile(str(path), "numbers start at 0001"))
        if version in found:
            return Err(BadMigrationFile(str(path), f"number {version:04d} is used twice"))
        found[version] = Migration(scope, version, m.group(2), path)
    return Ok([found[v] for v in sorted(found)])


def split_statements(sql: str) -> Iterator[str]:
    """Split a script into complete statements (triggers with BEGIN...END stay whole)."""
    buf: list[str] = []
    for line in sql.splitlines(keepends=True):
        buf.append(line)
        candidate = "".join(buf)
        if sqlite3.complete_statement(candidate):
            if candidate.strip().strip(";").strip():
                yield candidate.strip()
            buf = []
    rest = "".join(buf).strip()
    if rest and not all(ln.strip().startswith("--") or not ln.strip() for ln in rest.splitlines()):
        yield rest


async def applied_versions(db: Database) -> dict[str, int]:
    """The highest applied version per scope (empty for a new file)."""
    exists = await db.fetch_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    if exists is None:
        return {}
    rows = await db.fetch_all("SELECT scope, MAX(version) AS v FROM schema_migrations GROUP BY scope")
    return {str(r["scope"]): int(r["v"]) for r in rows}


async def migrate(
    db: Database, plan: list[tuple[str, list[Migration]]], clock: Clock
) -> Result[list[Migration], MigrationError]:
    """Apply what is missing from each scope's list, refusing a database newer than the code."""
    current = await applied_versions(db)
    for scope, migrations in plan:
        known = migrations[-1].version if migrations else 0
        if current.get(scope, 0) > known:
            return Err(DatabaseNewerThanCode(str(db.path), scope, current[scope], known))
    if not current:
        async with db.write() as tx:
            await tx.execute(_BOOTSTRAP)
    applied: list[Migration] = []
    for scope, migrations in plan:
        for migration in migrations:
            if migration.version <= current.get(scope, 0):
                continue
            result = await _apply_one(db, migration, clock)
            if isinstance(result, Err):
                return result
            applied.append(migration)
    return Ok(applied)


async def _apply_one(db: Database, migration: Migration, clock: Clock) -> Result[None, MigrationFailed]:
    try:
        sql = migration.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Err(MigrationFailed(str(migration.path), "", f"cannot read the file: {exc}"))
    failure: MigrationFailed | None = None
    await db.execute_raw("BEGIN IMMEDIATE")
    try:
        for statement in split_statements(sql):
            try:
                await db.execute_raw(statement)
            except sqlite3.Error as exc:
                failure = MigrationFailed(str(migration.path), statement, str(exc))
                break
        if failure is None:
            await db.execute_raw(
                "INSERT INTO schema_migrations (scope, version, name, applied_ms) VALUES (?, ?, ?, ?)",
                (migration.scope, migration.version, migration.name, clock.now_ms()),
            )
    except BaseException:
        await db.execute_raw("ROLLBACK")
        raise
    if failure is not None:
        await db.execute_raw("ROLLBACK")
        return Err(failure)
    await db.execute_raw("COMMIT")
    return Ok(None)
