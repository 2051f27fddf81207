"""The vocabulary of durable workflows: statuses, step options, errors, and what a workflow is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol

from pydantic import BaseModel

from ..runtime.http import HttpStatusError, NetworkError
from ..runtime.result import Result, TaggedError

if TYPE_CHECKING:
    from .context import WorkflowContext

COMPENSATION_ATTEMPTS: Final = 5
MAX_BACKOFF_S: Final = 30.0
MAX_RETRY_AFTER_S: Final = 30 * 60.0


class RunStatus(StrEnum):
    """Where a run is; the last five are terminal."""

    RUNNING = "RUNNING"
    COMPENSATING = "COMPENSATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"
    OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
    POST_COMMIT_FAILED = "POST_COMMIT_FAILED"

    @property
    def terminal(self) -> bool:
        """No more work will happen without a person."""
        return self not in (RunStatus.RUNNING, RunStatus.COMPENSATING)


@dataclass(frozen=True, slots=True)
class StepFailed(TaggedError):
    """A step failed for good (not retryable, or out of attempts)."""

    tag = "StepFailed"
    step: str
    cause: str

    def message(self) -> str:
        """Which step and why."""
        return f"{self.step} failed: {self.cause}"


@dataclass(frozen=True, slots=True)
class StepOutcomeUnknown(TaggedError):
    """An external effect may or may not have happened (lost response, crash mid-step): never retried blindly."""

    tag = "StepOutcomeUnknown"
    step: str
    cause: str

    def message(self) -> str:
        """Which step, and that a person must decide."""
        return f"{self.step}: outcome unknown ({self.cause}); mark it done, refund, or retry"


@dataclass(frozen=True, slots=True)
class Rejected(TaggedError):
    """The workflow decided not to serve the request (a business rule); compensation and refund follow."""

    tag = "Rejected"
    reason: str

    def message(self) -> str:
        """The reason, for the viewer and the console."""
        return self.reason


class JournalMismatch(Exception):
    """The code asked for a different step than the journal recorded at this position (a bug or an upgrade)."""


def is_retryable(error: object) -> bool:
    """Network errors, 429 and 5xx may pass on a later attempt; other failures will not."""
    return isinstance(error, NetworkError) or (isinstance(error, HttpStatusError) and error.retryable)


def retry_delay_s(error: object, attempt: int) -> float:
    """Honour Retry-After on a 429 (1 s to 30 min); otherwise 1 s doubling to 30 s."""
    if isinstance(error, HttpStatusError) and error.status == 429 and error.retry_after_s is not None:
        return min(MAX_RETRY_AFTER_S, max(1.0, error.retry_after_s))
    return min(MAX_BACKOFF_S, float(2 ** max(0, attempt - 1)))


Undo = Callable[[Any], Awaitable[Result[Any, TaggedError]]]


class Workflow(Protocol):
    """A deterministic function of its params and its journal; side effects only inside steps."""

    kind: ClassVar[str]
    params_model: ClassVar[type[BaseModel]]

    async def run(self, ctx: WorkflowContext, params: Any) -> Result[None, TaggedError]:
        """Do the work; return Err to fail (compensation follows unless committed)."""
        ...
