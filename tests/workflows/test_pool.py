"""WorkflowPool: warm activation, cold fallback, refill, and order under a burst."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import PoolStatus, WorkflowPool
from streamdeck_tui.runtime import ComponentContext, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.workflows.context import WorkflowContext
from streamdeck_tui.workflows.model import RunStatus
from tests.support.waiting import wait_for


class Request(BaseModel):
    viewer: str
    n: int


class Recorder:
    """A one-step workflow that records the order runs reach their step, with a gate to hold them."""

    kind: ClassVar[str] = "recorder"
    params_model: ClassVar[type[BaseModel]] = Request

    def __init__(self) -> None:
        self.order: list[tuple[str, int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, ctx: WorkflowContext, params: Request) -> Result[None, TaggedError]:
        async def effect() -> Result[int, TaggedError]:
            self.order.append((params.viewer, params.n))
            await self.gate.wait()
            return Ok(params.n)

        done = await ctx.step("effect", effect, result=int)
        return Ok(None) if done.is_ok() else done  # type: ignore[return-value]


async def _pool(tmp_path: Path, **kwargs: object) -> tuple[WorkflowPool, Recorder, list[int]]:
    prepared: list[int] = []

    async def prepare() -> Result[None, TaggedError]:
        prepared.append(1)
        return Ok(None)

    pool = WorkflowPool(ComponentContext(tmp_path, FakeClock(), migrations_root()), **kwargs)  # type: ignore[arg-type]
    recorder = Recorder()
    pool.register(recorder, prepare=prepare)
    assert await pool.start() == Ok(None)
    return pool, recorder, prepared


async def test_warm_activation_exhaustion_falls_back_to_cold_and_refills(tmp_path: Path) -> None:
    pool, recorder, prepared = await _pool(tmp_path, warm=3)
    pool.refill()
    await pool.warmed()
    assert pool.status()["recorder"] == PoolStatus(warm=3, busy=0, queued=0)
    assert len(prepared) == 3
    pool.warm_target = 0  # no background refills while we watch the warm ones being used up
    recorder.gate.clear()
    for i in range(5):
        await pool.start_run("recorder", f"r{i}", {"viewer": f"v{i}", "n": i})
    await wait_for(lambda: len(recorder.order) == 4)  # concurrency 4; the fifth waits
    assert pool.status()["recorder"] == PoolStatus(warm=0, busy=4, queued=1)
    assert pool.warm_starts == 3 and pool.cold_starts == 1
    recorder.gate.set()
    for i in range(5):
        assert await pool.wait(f"r{i}") is RunStatus.COMPLETED
    assert (pool.warm_starts, pool.cold_starts) == (3, 2)
    assert len(prepared) == 5  # three warm-ups ahead of time, two cold preparations
    pool.warm_target = 3
    pool.refill()
    await pool.warmed()
    assert pool.status()["recorder"] == PoolStatus(warm=3, busy=0, queued=0)
    await pool.stop()


async def test_burst_of_fifty_keeps_each_viewers_order(tmp_path: Path) -> None:
    pool, recorder, _ = await _pool(tmp_path, warm=3, concurrency=4)
    starts = [(f"viewer{i % 7}", i) for i in range(50)]
    for viewer, n in starts:
        started = await pool.start_run("recorder", f"b{n}", {"viewer": viewer, "n": n}, order_key=viewer)
        assert started.is_ok()
    for _, n in starts:
        await pool.wait(f"b{n}")
    assert sorted(recorder.order, key=lambda x: x[1]) == starts
    for viewer in {v for v, _ in starts}:
        seen = [n for v, n in recorder.order if v == viewer]
        assert seen == sorted(seen), viewer
    # Runs started in order are served in order overall too (FIFO slots), apart from the per-viewer waits.
    assert [n for _, n in recorder.order][:4] == [0, 1, 2, 3]
    await pool.stop()


async def test_running_runs_resume_after_a_restart(tmp_path: Path) -> None:
    pool, recorder, _ = await _pool(tmp_path)
    recorder.gate.clear()
    await pool.start_run("recorder", "r1", {"viewer": "kiwi", "n": 1})
    await wait_for(lambda: len(recorder.order) == 1)
    await pool.stop()  # mid-step: the step was started but never recorded
    again, recorder2, _ = await _pool(tmp_path)
    await wait_for(lambda: recorder2.order == [("kiwi", 1)])
    assert await again.wait("r1") is RunStatus.COMPLETED
    await again.stop()
