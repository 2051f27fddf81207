"""WorkflowPool: warm activation, cold fallback, refill, and order under a burst."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import PoolStatus, WorkflowPool
from streamdeck_tui.engine import NotConnected
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.workflows.context import WorkflowContext
from streamdeck_tui.workflows.model import RunStatus
from tests.support.sim import running_engine
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


class Overlap:
    """A one-step workflow whose step holds at a gate, recording which runs are in flight at once."""

    kind: ClassVar[str] = "overlap"
    params_model: ClassVar[type[BaseModel]] = Request

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started: list[tuple[str, int]] = []
        self.in_flight: list[tuple[str, int]] = []  # (viewer, run number) holding at the gate
        self.max_in_flight = 0
        self.violations: list[str] = []
        self.last_of: dict[str, str] = {}  # viewer -> id of their previous run

    async def run(self, ctx: WorkflowContext, params: Request) -> Result[None, TaggedError]:
        async def effect() -> Result[int, TaggedError]:
            viewer, n = params.viewer, params.n
            for other, m in self.in_flight:
                if other == viewer:
                    self.violations.append(f"{viewer}: run {n} started while run {m} was in its step")
            previous = self.last_of.get(viewer)
            if previous is not None:
                run = await ctx.pool.journal.run(previous)
                if run is None or run.status is not RunStatus.COMPLETED:
                    self.violations.append(f"{viewer}: run {n} started before {previous} had finished")
            self.last_of[viewer] = ctx.run_id
            self.started.append((viewer, n))
            self.in_flight.append((viewer, n))
            self.max_in_flight = max(self.max_in_flight, len(self.in_flight))
            await self.gate.wait()
            self.in_flight.remove((viewer, n))
            return Ok(n)

        done = await ctx.step("effect", effect, result=int)
        return Ok(None) if done.is_ok() else done  # type: ignore[return-value]

    def release(self) -> None:
        """Let exactly the runs holding at the gate now go on; later arrivals hold again."""
        self.gate.set()
        self.gate.clear()


@pytest.mark.parametrize(("viewers", "concurrency"), [(3, 5), (7, 4)])
async def test_burst_of_fifty_keeps_each_viewers_order(tmp_path: Path, viewers: int, concurrency: int) -> None:
    """One viewer's runs never overlap and keep their order; different viewers' runs do overlap, to the bound."""
    pool = WorkflowPool(ComponentContext(tmp_path, FakeClock(), migrations_root()), warm=3, concurrency=concurrency)
    overlap = Overlap()
    pool.register(overlap)
    assert await pool.start() == Ok(None)
    try:
        starts = [(f"viewer{i % viewers}", i) for i in range(50)]
        for viewer, n in starts:
            started = await pool.start_run("overlap", f"b{n}", {"viewer": viewer, "n": n}, order_key=viewer)
            assert started.is_ok()
        bound = min(viewers, concurrency)
        await wait_for(lambda: len(overlap.in_flight) >= bound)
        assert overlap.violations == []
        assert len(overlap.in_flight) == bound
        assert pool.status()["overlap"].busy == bound
        assert pool.status()["overlap"].queued == 50 - bound
        rounds = 0
        while (len(overlap.started) < 50 or overlap.in_flight) and not overlap.violations:
            assert overlap.in_flight, "nothing holds at the gate, yet runs are missing"
            overlap.release()
            rounds += 1
            # Wait until the released runs are finished and the next ones (if any) hold at the gate.
            await wait_for(lambda r=rounds: _next_round_holding(pool, overlap, starts, r, bound))  # type: ignore[misc]
        assert overlap.violations == []
        for _, n in starts:
            assert await pool.wait(f"b{n}") is RunStatus.COMPLETED
        assert overlap.max_in_flight == bound  # the bound was used, never exceeded
        for viewer in {v for v, _ in starts}:
            assert [n for v, n in overlap.started if v == viewer] == [n for v, n in starts if v == viewer], viewer
        # Runs started in order are served in order overall too (FIFO slots), apart from the per-viewer waits.
        assert [n for _, n in overlap.started][:bound] == list(range(bound))
        assert pool.status()["overlap"].busy == pool.status()["overlap"].queued == 0
    finally:
        overlap.gate.set()
        await pool.stop()


async def _next_round_holding(
    pool: WorkflowPool, overlap: Overlap, starts: list[tuple[str, int]], rounds: int, bound: int
) -> bool:
    if overlap.violations:
        return True
    finished = 0
    for _, n in starts:
        run = await pool.journal.run(f"b{n}")
        finished += run is not None and run.status is RunStatus.COMPLETED
    waiting = 50 - finished
    return (
        finished == len(overlap.started) - len(overlap.in_flight) and len(overlap.in_flight) == min(bound, waiting)
        if waiting
        else not overlap.in_flight
    )


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


async def test_stream_online_refills_warm_executors_that_were_used_up(tmp_path: Path) -> None:
    """The engine subscribes the pool to stream_online: going live tops up every type's warm executors."""
    provider_up = {"ok": False}
    prepared: list[int] = []

    async def prepare() -> Result[None, TaggedError]:
        prepared.append(1)
        return Ok(None) if provider_up["ok"] else Err(NotConnected("Test"))

    async with running_engine(tmp_path, spotify=True) as rig:
        pool = rig.engine.pool
        assert pool is not None
        link = rig.engine.twitch
        await wait_for(lambda: link is not None and "stream.online" in link.subscriptions)
        await pool.warmed()
        # (song_request is likely cold here: its warm-up at connect ran before the Spotify login.)
        recorder = Recorder()
        pool.register(recorder, prepare=prepare)
        provider_up["ok"] = True
        pool.refill(Recorder.kind)
        await pool.warmed()
        assert pool.status()[Recorder.kind].warm == 3
        # The provider goes away; the warm executors are used up and the background refills fail.
        provider_up["ok"] = False
        for i in range(3):
            await pool.start_run(Recorder.kind, f"r{i}", {"viewer": f"v{i}", "n": i})
            assert await pool.wait(f"r{i}") is RunStatus.COMPLETED
        await pool.warmed()
        assert (pool.warm_starts, pool.status()[Recorder.kind].warm) == (3, 0)
        provider_up["ok"] = True  # back, but nothing asks for a refill ...
        before = len(prepared)
        assert pool.status()[Recorder.kind].warm == 0
        await rig.post("/stream/online", {"viewer_count": 50})  # ... until the stream goes live
        await wait_for(lambda: pool.status()[Recorder.kind].warm == 3)
        assert len(prepared) == before + 3
        await pool.warmed()
        assert {kind: s.warm for kind, s in pool.status().items()} == {
            "keyboard_raffle": 3,
            "raid_shoutout": 3,
            Recorder.kind: 3,
            "song_request": 3,
        }
