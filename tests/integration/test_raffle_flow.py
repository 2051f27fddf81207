"""200 raffle redemptions from 50 viewers against the simulator, end to end through the workflow."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from streamdeck_tui.workflows.model import RunStatus
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

REDEMPTIONS = 200
VIEWERS = 50


async def _subscribed(rig: Rig) -> bool:
    link = rig.engine.twitch
    return link is not None and len(link.subscriptions) == 8


@pytest.mark.slow
async def test_two_hundred_redemptions_give_two_hundred_rolls_each_fulfilled_once(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await wait_for(lambda: _subscribed(rig))
        await rig.engine.setup_rewards()
        rewards, raffle, pool = rig.engine.rewards, rig.engine.raffle, rig.engine.pool
        assert rewards is not None and raffle is not None and pool is not None
        info = await rewards.get("raffle")
        assert info is not None
        for i in range(REDEMPTIONS):
            await rig.post("/redemptions", {"reward_id": info.reward_id, "user": f"viewer_{i % VIEWERS}"})

        async def all_done() -> bool:
            runs = await pool.journal.runs((RunStatus.COMPLETED,), limit=1000)
            return sum(1 for r in runs if r.type == "keyboard_raffle") == REDEMPTIONS

        await wait_for(all_done, timeout=120)
        assert (await raffle.totals()).rolls == REDEMPTIONS

        updates = [u for u in rig.sim.rewards.updates if u.reward_id == info.reward_id]
        per_redemption = Counter(u.redemption_id for u in updates)
        assert len(per_redemption) == REDEMPTIONS
        assert set(per_redemption.values()) == {1}
        assert {u.status for u in updates} == {"FULFILLED"}

        lines = [line.text for line in rig.sim.channel.sent_by_app() if "you rolled" in line.text or "won" in line.text]
        assert len(lines) == REDEMPTIONS

        board = await raffle.leaderboard("rolls", 100)
        assert board.is_ok()
        entries = board.unwrap()
        assert len(entries) == VIEWERS
        with sqlite3.connect(tmp_path / "data" / "keyboard_raffle.sqlite3") as conn:
            by_user = dict(conn.execute("SELECT user_id, COUNT(*) FROM rolls GROUP BY user_id").fetchall())
            wins = dict(conn.execute("SELECT user_id, SUM(is_winner) FROM rolls GROUP BY user_id").fetchall())
        assert {e.user_id: e.total_rolls for e in entries} == by_user
        assert {e.user_id: e.total_wins for e in entries} == wins
        assert sum(by_user.values()) == REDEMPTIONS
