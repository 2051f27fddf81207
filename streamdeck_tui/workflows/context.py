"""The workflow context: journaled steps, time, randomness and ids that a replay reproduces."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from ..runtime.http import NetworkError
from ..runtime.result import Err, Ok, Result, TaggedError
from .model import JournalMismatch, StepFailed, StepOutcomeUnknown, Undo, is_retryable, retry_delay_s

if TYPE_CHECKING:
    from ..components.workflow_pool import WorkflowPool

T = TypeVar("T")
log = logging.getLogger("streamdeck_tui.workflows")


class Suspend(BaseException):
    """Unwinds a run until a retry is due (BaseException so workflow code cannot swallow it by accident)."""

    def __init__(self, due_ms: int) -> None:
        super().__init__(due_ms)
        self.due_ms = due_ms


@dataclass
class Compensation:
    """How to undo one succeeded step, with the value it produced."""

    position: int
    name: str
    undo: Undo
    value: Any


@dataclass
class WorkflowContext:
    """Handed to `Workflow.run`; every call that touches the world goes through `step`."""

    pool: WorkflowPool
    run_id: str
    compensations: list[Compensation] = field(default_factory=list)
    _position: int = 0

    async def step(
        self,
        name: str,
        fn: Callable[[], Awaitable[Result[T, Any]]],
        *,
        result: Any,
        ambiguous: bool = False,
        attempts: int = 3,
        timeout_s: float = 30.0,
        undo: Callable[[T], Awaitable[Result[Any, TaggedError]]] | None = None,
    ) -> Result[T, StepFailed | StepOutcomeUnknown]:
        """Run `fn` once in effect: a recorded result is returned on replay, failures retry by policy.

        `result` is the type of the value (checked on the way in and out of SQLite). `ambiguous` marks an
        effect that must not repeat (a chat line, a queue add): a lost response or a crash mid-step ends
        in OUTCOME_UNKNOWN instead of a blind retry. `undo` is registered when the step succeeds.
        """
        position = self._position
        self._position += 1
        adapter: TypeAdapter[Any] = TypeAdapter(result)
        journal = self.pool.journal
        row = await journal.step(self.run_id, position)
        now = self.pool.clock.now_ms()
        if row is not None and row.name != name:
            raise JournalMismatch(f"position {position}: journal has {row.name!r}, code asks for {name!r}")
        if row is not None and row.state in (
            "SUCCEEDED",
            "COMPENSATION_PENDING",
            "COMPENSATED",
            "COMPENSATION_FAILED",
        ):
            value = adapter.validate_json(row.result or "null")
            if undo is not None and row.state in ("SUCCEEDED", "COMPENSATION_PENDING"):
                self.compensations.append(Compensation(position, name, undo, value))
            return Ok(value)
        if row is not None and row.state == "FAILED":
            return Err(StepFailed(name, row.error or "failed"))
        if row is not None and row.state == "UNKNOWN":
            return Err(StepOutcomeUnknown(name, row.error or "interrupted"))
        if row is not None and row.state == "STARTED" and ambiguous:
            # The process died between starting this effect and recording it.
            await journal.finish_step(self.run_id, position, "UNKNOWN", error="interrupted mid-step")
            return Err(StepOutcomeUnknown(name, "interrupted mid-step"))
        if row is not None and row.state == "RETRYING" and (row.next_retry_ms or 0) > now:
            raise Suspend(row.next_retry_ms or now)
        attempt = (row.attempt if row is not None else 0) + 1
        await journal.start_step(self.run_id, position, name, attempt, ambiguous)
        outcome: Result[Any, Any]
        try:
            async with asyncio.timeout(timeout_s):
                outcome = await fn()
        except TimeoutError:
            outcome = Err(NetworkError("step", f"timed out after {timeout_s:.0f} s"))
        except Exception as exc:
            log.exception("step %s of %s raised", name, self.run_id)
            await journal.finish_step(self.run_id, position, "FAILED", error=f"bug: {type(exc).__name__}")
            return Err(StepFailed(name, f"bug: {type(exc).__name__}"))
        if isinstance(outcome, Ok):
            try:
                encoded = adapter.dump_json(adapter.validate_python(outcome.value)).decode()
            except ValidationError as exc:
                await journal.finish_step(self.run_id, position, "FAILED", error="result of the wrong shape")
                return Err(StepFailed(name, f"result of the wrong shape: {exc.errors()[0]['msg']}"))
            await journal.finish_step(self.run_id, position, "SUCCEEDED", result=encoded)
            if undo is not None:
                self.compensations.append(Compensation(position, name, undo, outcome.value))
            return Ok(outcome.value)
        error = outcome.error
        text = error.message() if isinstance(error, TaggedError) else str(error)
        if ambiguous and isinstance(error, NetworkError):
            await journal.finish_step(self.run_id, position, "UNKNOWN", error=text[:300])
            return Err(StepOutcomeUnknown(name, text))
        if is_retryable(error) and attempt < attempts:
            due = self.pool.clock.now_ms() + int(retry_delay_s(error, attempt) * 1000)
            await journal.finish_step(self.run_id, position, "RETRYING", error=text[:300], next_retry_ms=due)
            raise Suspend(due)
        await journal.finish_step(self.run_id, position, "FAILED", error=text[:300])
        return Err(StepFailed(name, text))

    async def now_ms(self) -> int:
        """The time, recorded once: a replay sees the same instant."""
        clock = self.pool.clock
        return (await self.step("now", lambda: _ok(clock.now_ms()), result=int)).unwrap()

    async def random_below(self, n: int) -> int:
        """A CSPRNG number in 0..n-1, recorded once."""
        return (await self.step("random", lambda: _ok(secrets.randbelow(n)), result=int)).unwrap()

    async def new_id(self) -> str:
        """A fresh UUID, recorded once."""
        return (await self.step("id", lambda: _ok(str(uuid.uuid4())), result=str)).unwrap()

    async def commit(self) -> None:
        """The point of no return: a failure after this is POST_COMMIT_FAILED, never compensated."""
        await self.pool.journal.mark_committed(self.run_id)


async def _ok(value: T) -> Result[T, Any]:
    return Ok(value)


def encode_params(params: Any) -> str:
    """Params as compact JSON."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
