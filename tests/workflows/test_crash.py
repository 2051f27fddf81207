"""SIGKILL at every step boundary and inside every step of a five-step workflow, then restart.

Every side effect the simulator observed happened exactly once, or the run is OUTCOME_UNKNOWN at an
ambiguous step and nothing after it happened. Points: "before:N" (boundary before step N), "start:N" (step N
journaled STARTED, its request not sent), "inside:N" (request sent, result not recorded), "after:5" (every
result recorded, the run not yet COMPLETED).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from streamdeck_tui.simulator import Simulator
from streamdeck_tui.workflows.model import RunStatus
from tests.support.crash_workflow import CHAT_STEPS, build
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
POINTS = [f"{where}:{n}" for n in range(1, 6) for where in ("before", "start", "inside")] + ["after:5"]
READS = "GET /helix/users"  # step 3's effect (a read: safe to repeat)


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
        where, n = point.split(":")
        killed_step = int(n)
        # The child died where the point says: what the journal holds at that moment.
        run_status, states = _journal_at_kill(tmp_path)
        assert run_status == "RUNNING"
        if where == "before":
            assert states == [("SUCCEEDED", 1)] * (killed_step - 1)
        elif where == "after":
            assert states == [("SUCCEEDED", 1)] * 5
        else:
            assert states == [("SUCCEEDED", 1)] * (killed_step - 1) + [("STARTED", 1)]
        reads_before = sim.requests.count(READS)

        pool = build(tmp_path, sim.twitch_helix_url, sim.twitch_client_id, token, http)
        await pool.start()
        try:
            status = await _settled(pool)
        finally:
            await pool.stop()
        said = [line.text for line in sim.channel.sent_by_app() if line.text.startswith(tag)]
        reads = sim.requests.count(READS)
        _, after = _journal_at_kill(tmp_path)
        if where in ("start", "inside") and killed_step in CHAT_STEPS:
            # An ambiguous step that may or may not have happened: a person decides, nothing is repeated.
            assert status is RunStatus.OUTCOME_UNKNOWN
            sent_in_child = [k for k in CHAT_STEPS if k < killed_step or (k == killed_step and where == "inside")]
            assert said == [f"{tag} {k}" for k in sent_in_child]
            assert after[killed_step - 1] == ("UNKNOWN", 1) and len(after) == killed_step
            assert reads == (0 if killed_step < 3 else 1)
        else:
            assert status is RunStatus.COMPLETED
            assert said == [f"{tag} {k}" for k in CHAT_STEPS]
            # The read ran once, or twice when the kill came after it was sent (a read may repeat).
            assert reads == (2 if point == "inside:3" else 1)
            if point == "start:3":
                assert reads_before == 0  # the request was never sent by the killed child ...
                assert after[2] == ("SUCCEEDED", 2)  # ... so the restart retried it once
            else:
                assert all(attempt == 1 for _, attempt in after[:2] + after[3:])


def _journal_at_kill(data: Path) -> tuple[str, list[tuple[str, int]]]:
    """The run's status and its steps' (state, attempt), read straight from the SQLite file."""
    with closing(sqlite3.connect(data / "workflow_pool.sqlite3")) as conn:
        (status,) = conn.execute("SELECT status FROM workflow_runs WHERE id = 'crash-run'").fetchone()
        rows = conn.execute(
            "SELECT state, attempt FROM workflow_steps WHERE run_id = 'crash-run' ORDER BY position"
        ).fetchall()
    return str(status), [(str(state), int(attempt)) for state, attempt in rows]


async def _settled(pool) -> RunStatus:  # type: ignore[no-untyped-def]
    async def terminal() -> bool:
        run = await pool.journal.run("crash-run")
        return run is not None and run.status.terminal

    await wait_for(terminal, timeout=10)
    run = await pool.journal.run("crash-run")
    return run.status
