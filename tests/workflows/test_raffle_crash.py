"""SIGKILL between the draw and the record: after restart the same numbers are recorded, none redrawn."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from streamdeck_tui.simulator import Simulator
from streamdeck_tui.workflows.model import RunStatus
from tests.support.raffle_crash import build
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


class CountingSource:
    """A byte source that must not be used after the restart."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        return b"\x00" * n


@pytest.mark.slow
async def test_killed_between_draw_and_record_records_the_same_numbers(tmp_path: Path) -> None:
    async with Simulator() as sim, httpx.AsyncClient() as http:
        minted = (await http.post(f"{sim.control_url}/twitch/tokens", json={})).json()
        token, broadcaster = minted["access_token"], minted["user_id"]
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.raffle_crash",
                str(tmp_path),
                sim.twitch_helix_url,
                sim.twitch_client_id,
                token,
                broadcaster,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        line = (await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=60)).strip()
        assert line == "DRAWN"
        child.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(child.wait, 10) == -signal.SIGKILL

        with sqlite3.connect(tmp_path / "workflow_pool.sqlite3") as conn:
            (drawn,) = conn.execute("SELECT result FROM workflow_steps WHERE name = 'draw'").fetchone()
        numbers = json.loads(drawn)

        source = CountingSource()
        pool, raffle = build(tmp_path, sim.twitch_helix_url, sim.twitch_client_id, token, http, source)
        await raffle.start()
        await pool.start()
        try:

            async def done() -> bool:
                run = await pool.journal.run("raffle:crash")
                return run is not None and run.status is RunStatus.COMPLETED

            await wait_for(done)
            rolls = await raffle.recent_rolls(10)
        finally:
            await pool.stop()
            await raffle.stop()
        assert len(rolls) == 1
        assert (rolls[0].roll, rolls[0].winning_number) == (numbers["roll"], numbers["winning_number"])
        assert source.reads == 0
        said = [ln.text for ln in sim.channel.sent_by_app() if "kiwi" in ln.text]
        assert len(said) == 1 and str(numbers["roll"]) in said[0]
