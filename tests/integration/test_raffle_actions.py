"""The streamer's raffle actions against the simulator: open/close pauses the reward on Twitch, a manual roll
is recorded as manual and announced, the leaderboard goes to chat, bad names change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdeck_tui.components.keyboard_raffle import RaffleTotals
from streamdeck_tui.workflows.model import RunStatus
from tests.integration.test_raffle_commands import Seed, command, ready, seed
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for


async def _ready(rig: Rig) -> None:
    made = await rig.engine.setup_rewards()
    assert made.is_ok(), made
    assert rig.engine.raffle_actions is not None


def _reward_paused(rig: Rig, reward_id: str) -> bool:
    return rig.sim.rewards.rewards[reward_id].is_paused


@pytest.mark.slow
async def test_close_and_open_pause_and_resume_the_reward_on_twitch(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await _ready(rig)
        actions, rewards = rig.engine.raffle_actions, rig.engine.rewards
        assert actions is not None and rewards is not None
        info = await rewards.get("raffle")
        assert info is not None and info.is_open and await actions.is_open()

        closed = await actions.set_open(False)
        assert closed.is_ok(), closed
        assert _reward_paused(rig, info.reward_id) and not await actions.is_open()

        opened = await actions.set_open(True)
        assert opened.is_ok(), opened
        assert not _reward_paused(rig, info.reward_id) and await actions.is_open()

        # Setting up again adopts the same reward instead of making a second one.
        again = await rig.engine.setup_rewards()
        assert again.is_ok() and {r.reward_id for r in again.unwrap() if r.purpose == "raffle"} == {info.reward_id}


@pytest.mark.slow
async def test_manual_roll_is_recorded_as_manual_and_announced(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await _ready(rig)
        actions, raffle, pool = rig.engine.raffle_actions, rig.engine.raffle, rig.engine.pool
        assert actions is not None and raffle is not None and pool is not None
        await rig.post("/chat", {"user": "kiwi_fan", "text": "hi"})  # the viewer exists on the channel
        started = await actions.manual_roll("@Kiwi_Fan ")
        assert started.is_ok(), started

        async def done() -> bool:
            run = await pool.journal.run(started.unwrap())
            return run is not None and run.status is RunStatus.COMPLETED

        await wait_for(done, timeout=30)
        [rolled] = await raffle.recent_rolls(5)
        assert rolled.source == "manual" and rolled.display_name.lower() == "kiwi_fan"
        assert rig.sim.rewards.updates == []  # nothing to fulfil or refund: no redemption behind it
        lines = [m.text for m in rig.sim.channel.sent_by_app()]
        assert any(str(rolled.roll) in line and "kiwi_fan" in line.lower() for line in lines)


@pytest.mark.slow
async def test_bad_or_unknown_names_roll_nothing(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await _ready(rig)
        actions, raffle = rig.engine.raffle_actions, rig.engine.raffle
        assert actions is not None and raffle is not None
        for typed in ("", "   @ ", "two words", "x" * 200, "<script>"):
            refused = await actions.manual_roll(typed)
            assert refused.is_err(), typed
        unknown = await actions.manual_roll("nobody_by_this_name_42")
        assert unknown.is_err() and "no Twitch user" in unknown.unwrap_err().message()
        assert await raffle.totals() == RaffleTotals(0, 0, 0, 0)


@pytest.mark.slow
async def test_post_leaderboard_sends_the_same_line_as_the_chat_command(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await ready(rig)
        actions = rig.engine.raffle_actions
        assert actions is not None
        await seed(
            rig,
            [Seed("bronze_b", 1, (40,)), Seed("gold_g", 3), Seed("silver_s", 2, (5, 6)), Seed("no_luck", 0, (1,) * 9)],
        )
        expected = "Raffle wins: 1. @gold_g (3) 2. @silver_s (2) 3. @bronze_b (1)"

        posted = await actions.post_leaderboard()
        assert posted.is_ok(), posted
        assert posted.unwrap() == expected
        [line] = rig.sim.channel.sent_by_app()
        assert line.is_sent and line.text == expected

        await command(rig, "no_luck", "!raffle")  # Twitch drops a repeat of the sender's previous line
        assert await command(rig, "no_luck", "!leaderboard") == line.text
