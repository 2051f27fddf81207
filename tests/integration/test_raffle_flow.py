"""200 raffle redemptions from 50 viewers against the simulator, end to end through the workflow."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from streamdeck_tui.workflows.model import RunStatus
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

REDEMPTIONS = 200
VIEWERS = 50
# The two announcements (reference §4.6), read back into (name, roll, winning number, distance, new record).
LOSS = re.compile(
    r"@(?P<name>\w+) no keyboard this time 😢 The winning number was (?P<win>\d+), "
    r"you rolled (?P<roll>\d+) \(distance: (?P<away>\d+)\)\.(?P<record> That's the closest anyone has ever "
    r"come: only (?P<record_away>\d+) away, a new record!)?"
)
WIN = re.compile(
    r"@(?P<name>\w+) 🎉 JACKPOT, THE KEYBOARD IS YOURS! 🎉 Your roll: (?P<roll>\d+) \| Winning number: (?P<win>\d+)"
)
Announced = tuple[str, int, int, int, bool]


def _announced(text: str) -> Announced:
    """One chat line as the roll it announces; a line that is neither a win nor a loss fails the test."""
    if (won := WIN.fullmatch(text)) is not None:
        return (won["name"], int(won["roll"]), int(won["win"]), 0, False)
    lost = LOSS.fullmatch(text)
    assert lost is not None, f"not a roll announcement: {text!r}"
    if lost["record"]:
        assert lost["record_away"] == lost["away"], text
    return (lost["name"], int(lost["roll"]), int(lost["win"]), int(lost["away"]), bool(lost["record"]))


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

        # Every line the app sent is one roll's announcement, and every roll has exactly one, with its numbers.
        sent = rig.sim.channel.sent_by_app()
        assert all(line.is_sent for line in sent), [line.drop_reason for line in sent if not line.is_sent]
        announced = Counter(_announced(line.text) for line in sent)
        with sqlite3.connect(tmp_path / "data" / "keyboard_raffle.sqlite3") as conn:
            rows = conn.execute(
                "SELECT display_name, roll, winning_number, distance, is_new_record FROM rolls"
            ).fetchall()
        stored = Counter((name, roll, win, away, bool(record)) for name, roll, win, away, record in rows)
        assert len(rows) == REDEMPTIONS
        assert announced == stored
        assert all(away == abs(roll - win) for _, roll, win, away, _ in announced)

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
