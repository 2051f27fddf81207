"""A workflow whose steps do what a test scripts, so the engine's rules can be observed one by one."""

from __future__ import annotations

from collections import defaultdict, deque
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.runtime.http import HttpStatusError, NetworkError
from streamdeck_tui.workflows.context import WorkflowContext
from streamdeck_tui.workflows.model import Rejected

STEPS = ("reserve", "charge", "announce", "ship", "thank")
AMBIGUOUS = {"announce"}


class Params(BaseModel):
    """Who the run is for."""

    viewer: str


class Script:
    """Outcomes per step (consumed per attempt; default Ok), and what happened."""

    def __init__(self) -> None:
        self.outcomes: dict[str, deque[Result[Any, TaggedError]]] = defaultdict(deque)
        self.calls: list[str] = []
        self.undos: list[str] = []
        self.undo_outcomes: dict[str, deque[Result[Any, TaggedError]]] = defaultdict(deque)
        self.commit_after: str | None = None
        self.reject_after: str | None = None

    def fail(self, step: str, *errors: TaggedError) -> None:
        """The next attempts of `step` fail with these errors."""
        self.outcomes[step].extend(Err(e) for e in errors)

    async def effect(self, step: str) -> Result[str, TaggedError]:
        self.calls.append(step)
        queue = self.outcomes[step]
        return queue.popleft() if queue else Ok(f"{step}-done")

    async def undo(self, step: str) -> Result[None, TaggedError]:
        self.undos.append(step)
        queue = self.undo_outcomes[step]
        return queue.popleft() if queue else Ok(None)


class Scripted:
    """Five steps; the first two and the fourth can be undone; `announce` is an ambiguous effect."""

    kind: ClassVar[str] = "scripted"
    params_model: ClassVar[type[BaseModel]] = Params

    def __init__(self, script: Script) -> None:
        self.script = script

    async def run(self, ctx: WorkflowContext, params: Params) -> Result[None, TaggedError]:
        for step in STEPS:
            done = await ctx.step(
                step,
                lambda s=step: self.script.effect(s),  # type: ignore[misc]
                result=str,
                ambiguous=step in AMBIGUOUS,
                undo=(lambda value, s=step: self.script.undo(s)) if step in ("reserve", "charge", "ship") else None,  # type: ignore[misc]
            )
            if isinstance(done, Err):
                return done
            if self.script.commit_after == step:
                await ctx.commit()
            if self.script.reject_after == step:
                return Err(Rejected("the policy said no"))
        return Ok(None)


def http(status: int, retry_after: float | None = None) -> HttpStatusError:
    return HttpStatusError("Test", status, "", "scripted", retry_after)


def network() -> NetworkError:
    return NetworkError("Test", "connection reset")


async def pool_with(tmp_path: Path, clock: FakeClock, script: Script, **kwargs: Any) -> WorkflowPool:
    from streamdeck_tui.runtime.resources import migrations_root

    pool = WorkflowPool(ComponentContext(tmp_path, clock, migrations_root()), **kwargs)
    pool.register(Scripted(script))
    assert await pool.start() == Ok(None)
    return pool
