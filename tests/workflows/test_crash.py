"""SIGKILL at every step boundary and inside every step of a five-step workflow, then restart.

Every side effect the simulator observed happened exactly once, or the run is OUTCOME_UNKNOWN at an
ambiguous step and nothing after it happened.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from streamdeck_tui.simulator import Simulator
from streamdeck_tui.workflows.model import RunStatus
from tests.support.crash_workflow import CHAT_STEPS, build
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
POINTS = [f"{where}:{n}" for n in range(1, 6) for where in ("before", "inside")]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
async def test_kill_and_restart_repeats_no_effect(tmp_path: Path, point: str) -> None:
    async with Simulator() as sim, httpx.AsyncClient() as http:
        minted = (await http.post(f"{sim.control_url}/twitch/tokens", json={})).json()
        token, broadcaster = minted["access_token"], minted["user_id"]
        tag = f"crash-{point}"
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.crash_workflow",
                str(tmp_path),
                sim.twitch_helix_url,
                sim.twitch_client_id,
                token,
                broadcaster,
                tag,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "KILL_AT": point},
        )
        assert child.stdout is not None
        line = (await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=60)).strip()
        assert line == f"AT {point}", line
        child.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(child.wait, 10) == -signal.SIGKILL

        pool = build(tmp_path, sim.twitch_helix_url, sim.twitch_client_id, token, http)
        await pool.start()
        try:
            status = await _settled(pool)
        finally:
            await pool.stop()
        said = [line.text for line in sim.channel.sent_by_app() if line.text.startswith(tag)]
        where, n = point.split(":")
        killed_step = int(n)
        if where == "inside" and killed_step in CHAT_STEPS:
            assert status is RunStatus.OUTCOME_UNKNOWN
            assert said == [f"{tag} {k}" for k in CHAT_STEPS if k <= killed_step]
        else:
            assert status is RunStatus.COMPLETED
            assert said == [f"{tag} {k}" for k in CHAT_STEPS]


async def _settled(pool) -> RunStatus:  # type: ignore[no-untyped-def]
    async def terminal() -> bool:
        run = await pool.journal.run("crash-run")
        return run is not None and run.status.terminal

    await wait_for(terminal, timeout=10)
    run = await pool.journal.run("crash-run")
    return run.status
