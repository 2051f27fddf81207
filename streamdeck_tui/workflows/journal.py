"""Reads and writes of the workflow journal (runs and steps), always through the pool's input gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import RunStatus

if TYPE_CHECKING:
    from ..components.workflow_pool import WorkflowPool


@dataclass(frozen=True, slots=True)
class StepRow:
    """One journaled step."""

    position: int
    name: str
    state: str
    attempt: int
    result: str | None
    error: str | None
    next_retry_ms: int | None


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run."""

    id: str
    type: str
    params: str
    order_key: str
    status: RunStatus
    committed: bool
    error: str | None
    created_ms: int
    updated_ms: int


def _run(row: Any) -> RunRow:
    return RunRow(
        id=str(row["id"]),
        type=str(row["type"]),
        params=str(row["params"]),
        order_key=str(row["order_key"]),
        status=RunStatus(row["status"]),
        committed=bool(row["committed"]),
        error=row["error"],
        created_ms=int(row["created_ms"]),
        updated_ms=int(row["updated_ms"]),
    )


class Journal:
    """The pool's tables as the engine needs them."""

    def __init__(self, pool: WorkflowPool) -> None:
        self.pool = pool

    async def run(self, run_id: str) -> RunRow | None:
        """One run, or None."""
        async with self.pool.reading() as r:
            row = await r.fetch_one("SELECT * FROM workflow_runs WHERE id = ?", (run_id,))
        return None if row is None else _run(row)

    async def runs(self, statuses: tuple[RunStatus, ...], limit: int = 200) -> list[RunRow]:
        """Runs in the given states, oldest first."""
        marks = ",".join("?" * len(statuses))
        async with self.pool.reading() as r:
            rows = await r.fetch_all(
                f"SELECT * FROM workflow_runs WHERE status IN ({marks}) ORDER BY created_ms, rowid LIMIT ?",
                (*[s.value for s in statuses], limit),
            )
        return [_run(row) for row in rows]

    async def create(self, run_id: str, type_: str, params: str, order_key: str) -> tuple[RunRow, bool]:
        """Insert the run unless it exists; the first params always win. Returns (run, created)."""
        now = self.pool.clock.now_ms()
        async with self.pool.unit_of_work() as tx:
            existing = await tx.fetch_one("SELECT * FROM workflow_runs WHERE id = ?", (run_id,))
            if existing is not None:
                return _run(existing), False
            await tx.execute(
                "INSERT INTO workflow_runs (id, type, params, order_key, status, created_ms, updated_ms) "
                "VALUES (?, ?, ?, ?, 'RUNNING', ?, ?)",
                (run_id, type_, params, order_key, now, now),
            )
            row = await tx.fetch_one("SELECT * FROM workflow_runs WHERE id = ?", (run_id,))
        assert row is not None
        return _run(row), True

    async def set_status(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        """Move a run to `status`."""
        now = self.pool.clock.now_ms()
        async with self.pool.unit_of_work() as tx:
            await tx.execute(
                "UPDATE workflow_runs SET status = ?, error = COALESCE(?, error), updated_ms = ?, "
                "finished_ms = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?",
                (status.value, error, now, status.terminal, now, run_id),
            )
            if status.terminal:
                await tx.cancel(f"run:{run_id}")

    async def mark_committed(self, run_id: str) -> None:
        """Record the point of no return."""
        async with self.pool.unit_of_work() as tx:
            await tx.execute("UPDATE workflow_runs SET committed = 1 WHERE id = ?", (run_id,))

    async def step(self, run_id: str, position: int) -> StepRow | None:
        """The journaled step at `position`."""
        async with self.pool.reading() as r:
            row = await r.fetch_one(
                "SELECT * FROM workflow_steps WHERE run_id = ? AND position = ?", (run_id, position)
            )
        if row is None:
            return None
        return StepRow(
            position=int(row["position"]),
            name=str(row["name"]),
            state=str(row["state"]),
            attempt=int(row["attempt"]),
            result=row["result"],
            error=row["error"],
            next_retry_ms=row["next_retry_ms"],
        )

    async def steps(self, run_id: str) -> list[StepRow]:
        """Every step of a run, in order."""
        async with self.pool.reading() as r:
            rows = await r.fetch_all(
                "SELECT position FROM workflow_steps WHERE run_id = ? ORDER BY position", (run_id,)
            )
        out = []
        for row in rows:
            step = await self.step(run_id, int(row[0]))
            assert step is not None
            out.append(step)
        return out

    async def last_effects(
        self, type_: str, step: str, states: tuple[str, ...], since_ms: int, *, exclude_run: str, param: str, value: str
    ) -> tuple[int | None, int | None]:
        """When `step` last reached one of `states` in other runs of `type_` since `since_ms`: in any run, and in
        runs whose params have `param` equal to `value` (e.g. the same raider)."""
        marks = ",".join("?" * len(states))
        async with self.pool.reading() as r:
            row = await r.fetch_one(
                "SELECT MAX(s.updated_ms), "
                "MAX(CASE WHEN json_extract(w.params, '$.' || ?) = ? THEN s.updated_ms END) "
                "FROM workflow_steps s JOIN workflow_runs w ON w.id = s.run_id "
                f"WHERE w.type = ? AND s.name = ? AND s.run_id != ? AND s.state IN ({marks}) AND s.updated_ms > ?",
                (param, value, type_, step, exclude_run, *states, since_ms),
            )
        if row is None:
            return None, None
        return (None if row[0] is None else int(row[0])), (None if row[1] is None else int(row[1]))

    async def start_step(self, run_id: str, position: int, name: str, attempt: int, ambiguous: bool) -> None:
        """Record that an attempt begins (committed before the effect, so a crash is visible)."""
        now = self.pool.clock.now_ms()
        async with self.pool.unit_of_work() as tx:
            await tx.execute(
                "INSERT INTO workflow_steps (run_id, position, name, state, ambiguous, attempt, updated_ms) "
                "VALUES (?, ?, ?, 'STARTED', ?, ?, ?) ON CONFLICT (run_id, position) DO UPDATE SET "
                "state = 'STARTED', attempt = excluded.attempt, next_retry_ms = NULL, updated_ms = excluded.updated_ms",
                (run_id, position, name, int(ambiguous), attempt, now),
            )

    async def finish_step(
        self,
        run_id: str,
        position: int,
        state: str,
        *,
        result: str | None = None,
        error: str | None = None,
        next_retry_ms: int | None = None,
        attempt: int | None = None,
    ) -> None:
        """Record how an attempt (or a compensation) ended."""
        now = self.pool.clock.now_ms()
        async with self.pool.unit_of_work() as tx:
            await tx.execute(
                "UPDATE workflow_steps SET state = ?, result = COALESCE(?, result), error = ?, next_retry_ms = ?, "
                "attempt = COALESCE(?, attempt), updated_ms = ? WHERE run_id = ? AND position = ?",
                (state, result, error, next_retry_ms, attempt, now, run_id, position),
            )
            if next_retry_ms is not None:
                await tx.schedule(f"run:{run_id}", next_retry_ms, {"run_id": run_id})
