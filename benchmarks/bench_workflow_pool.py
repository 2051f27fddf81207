"""Warm vs cold workflow activation against the simulator with 20 ms of injected latency, side by side.

Activation latency: from `start_run()` to the first step's effect beginning. A cold start first does what
a warm executor did ahead of time: check the token and open a connection to Helix (`GET /helix/users`).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import ComponentContext, Ok, Result, Secret, SystemClock, TaggedError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.runtime.tokens import StaticTokenSource
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.helix import HelixClient
from streamdeck_tui.workflows.context import WorkflowContext

N = 300  # enough that p99 is not just the slowest few samples
LATENCY_MS = 20


class Stamp(BaseModel):
    n: int


class Timed:
    """One step that records when it began."""

    kind: ClassVar[str] = "timed"
    params_model: ClassVar[type[BaseModel]] = Stamp

    def __init__(self) -> None:
        self.began: dict[int, float] = {}

    async def run(self, ctx: WorkflowContext, params: Stamp) -> Result[None, TaggedError]:
        async def effect() -> Result[int, TaggedError]:
            self.began[params.n] = time.perf_counter()
            return Ok(params.n)

        await ctx.step("effect", effect, result=int)
        return Ok(None)


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


async def _measure(pool: WorkflowPool, timed: Timed, warm: bool, offset: int) -> list[float]:
    samples = []
    for i in range(N):
        n = offset + i
        if warm:
            await pool.warmed()
        t0 = time.perf_counter()
        await pool.start_run("timed", f"run-{n}", {"n": n})
        await pool.wait(f"run-{n}")
        samples.append(timed.began[n] - t0)
    return samples


async def run() -> dict[str, Any]:
    """Cold first (no warm executors), then warm (refilled before each start)."""
    async with Simulator() as sim, httpx.AsyncClient() as http:
        minted = (await http.post(f"{sim.control_url}/twitch/tokens", json={})).json()
        await http.post(f"{sim.control_url}/faults/latency", json={"endpoint": "*", "ms": LATENCY_MS})
        clock = SystemClock()
        helix = HelixClient(
            sim.twitch_helix_url, sim.twitch_client_id, StaticTokenSource(Secret(minted["access_token"])), http, clock
        )

        async def prepare() -> Result[None, TaggedError]:
            me = await helix.get_me()
            return Ok(None) if isinstance(me, Ok) else me

        with tempfile.TemporaryDirectory() as d:
            pool = WorkflowPool(ComponentContext(Path(d), clock, migrations_root()), warm=0)
            timed = Timed()
            pool.register(timed, prepare=prepare)
            await pool.start()
            cold = await _measure(pool, timed, warm=False, offset=0)
            pool.warm_target = 3
            pool.refill()
            warm = await _measure(pool, timed, warm=True, offset=N)
            await pool.stop()
    c, w = _figures(cold), _figures(warm)
    return {
        "n_each": N,
        "injected_latency_ms": LATENCY_MS,
        "cold": c,
        "warm": w,
        "p50_speedup": round(c["p50_ms"] / w["p50_ms"], 1),
        "p99_speedup": round(c["p99_ms"] / w["p99_ms"], 1),
    }
