"""Runs one workflow to its next stop: completion, a scheduled retry, compensation, or a terminal failure."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..runtime.result import Err, TaggedError
from .context import Suspend, WorkflowContext
from .model import (
    COMPENSATION_ATTEMPTS,
    JournalMismatch,
    RunStatus,
    StepOutcomeUnknown,
    is_retryable,
    retry_delay_s,
)

if TYPE_CHECKING:
    from ..components.workflow_pool import WorkflowPool

log = logging.getLogger("streamdeck_tui.workflows")


async def execute(pool: WorkflowPool, run_id: str) -> RunStatus:
    """Replay the run from its journal and carry it as far as it can go now."""
    journal = pool.journal
    run = await journal.run(run_id)
    if run is None or run.status.terminal:
        return run.status if run is not None else RunStatus.FAILED
    workflow = pool.workflow(run.type)
    if workflow is None:
        await journal.set_status(run_id, RunStatus.FAILED, f"no workflow of type {run.type!r}")
        return RunStatus.FAILED
    try:
        params = workflow.params_model.model_validate_json(run.params)
    except ValidationError as exc:
        await journal.set_status(run_id, RunStatus.FAILED, f"stored params unreadable: {exc.errors()[0]['msg']}")
        return RunStatus.FAILED
    ctx = WorkflowContext(pool, run_id)
    try:
        result = await workflow.run(ctx, params)
    except Suspend:
        return run.status
    except JournalMismatch as exc:
        log.error("workflow %s: %s", run_id, exc)
        await journal.set_status(run_id, RunStatus.FAILED, f"journal mismatch: {exc}")
        return RunStatus.FAILED
    except Exception as exc:
        log.exception("workflow %s raised", run_id)
        result = Err(WorkflowBug(type(exc).__name__))
    if not isinstance(result, Err):
        if run.status is RunStatus.COMPENSATING:
            return await _compensate(pool, ctx, run_id, "compensation requested")
        await journal.set_status(run_id, RunStatus.COMPLETED)
        return RunStatus.COMPLETED
    error = result.error
    message = error.message()
    fresh = await journal.run(run_id)
    assert fresh is not None
    if fresh.status is RunStatus.COMPENSATING:
        return await _compensate(pool, ctx, run_id, message)
    if isinstance(error, StepOutcomeUnknown):
        await journal.set_status(run_id, RunStatus.OUTCOME_UNKNOWN, message)
        return RunStatus.OUTCOME_UNKNOWN
    if fresh.committed:
        await journal.set_status(run_id, RunStatus.POST_COMMIT_FAILED, message)
        return RunStatus.POST_COMMIT_FAILED
    await journal.set_status(run_id, RunStatus.COMPENSATING, message)
    return await _compensate(pool, ctx, run_id, message)


async def _compensate(pool: WorkflowPool, ctx: WorkflowContext, run_id: str, cause: str) -> RunStatus:
    """Undo succeeded steps in reverse; each undo is durable and retried; FAILED only when all succeeded."""
    journal = pool.journal
    for comp in reversed(ctx.compensations):
        row = await journal.step(run_id, comp.position)
        if row is None or row.state == "COMPENSATED":
            continue
        if row.state == "COMPENSATION_PENDING" and (row.next_retry_ms or 0) > pool.clock.now_ms():
            return RunStatus.COMPENSATING  # the timer resumes it
        try:
            outcome = await comp.undo(comp.value)
        except Exception as exc:
            log.exception("compensation %s of %s raised", comp.name, run_id)
            outcome = Err(WorkflowBug(type(exc).__name__))
        if not isinstance(outcome, Err):
            await journal.finish_step(run_id, comp.position, "COMPENSATED", error=None)
            continue
        attempt = row.attempt + 1
        text = outcome.error.message()
        if attempt >= COMPENSATION_ATTEMPTS:
            await journal.finish_step(run_id, comp.position, "COMPENSATION_FAILED", error=text[:300], attempt=attempt)
            await journal.set_status(run_id, RunStatus.COMPENSATION_FAILED, f"{comp.name}: {text}")
            return RunStatus.COMPENSATION_FAILED
        delay_s = retry_delay_s(outcome.error if is_retryable(outcome.error) else None, attempt)
        due = pool.clock.now_ms() + int(delay_s * 1000)
        await journal.finish_step(
            run_id,
            comp.position,
            "COMPENSATION_PENDING",
            error=text[:300],
            next_retry_ms=due,
            attempt=attempt,
        )
        return RunStatus.COMPENSATING
    await journal.set_status(run_id, RunStatus.FAILED, cause)
    return RunStatus.FAILED


@dataclass(frozen=True, slots=True)
class WorkflowBug(TaggedError):
    """A workflow or an undo raised: a failure of that run, logged with its traceback."""

    tag = "WorkflowBug"
    kind: str

    def message(self) -> str:
        """The exception type."""
        return f"bug: {self.kind}"
