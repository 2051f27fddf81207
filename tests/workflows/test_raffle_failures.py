"""A raffle roll whose fulfilment fails: a permanent failure deletes the roll, then refunds, and announces nothing
(no event, no chat line); a retryable one is retried and the roll stands, fulfilled, published and announced once.
Against the simulator."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from streamdeck_tui.components.keyboard_raffle import ROLL_EVENT
from streamdeck_tui.runtime.events import DomainEvent
from streamdeck_tui.workflows.model import RunStatus
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

FULFIL_PATCH = "PATCH /helix/channel_points/custom_rewards/redemptions"
ROLL_WORDS = ("you rolled", "JACKPOT")


@dataclass(frozen=True)
class Seen:
    """A raffle event as the hub delivered it, with the redemption's status on Twitch at that very moment."""

    type: str
    roll_id: str
    twitch_status: str


async def _ready(rig: Rig) -> str:
    link = rig.engine.twitch
    await wait_for(lambda: link is not None and len(link.subscriptions) == 8)
    made = await rig.engine.setup_rewards()
    assert made.is_ok(), made
    assert rig.engine.rewards is not None
    info = await rig.engine.rewards.get("raffle")
    assert info is not None
    return info.reward_id


def _watch(rig: Rig) -> list[Seen]:
    """Record each raffle event with the redemption's status in the simulator when the hub publishes it."""
    seen: list[Seen] = []

    def listener(item: object) -> None:
        if isinstance(item, DomainEvent) and item.type == ROLL_EVENT:
            roll_id = str(item.payload["sagaId"])
            redemption = rig.sim.rewards.redemptions.get(roll_id.removeprefix("redemption:"))
            seen.append(Seen(item.type, roll_id, "?" if redemption is None else redemption.status))

    rig.engine.hub.subscribe(listener)
    return seen


async def _redeem(rig: Rig, reward_id: str, user: str) -> str:
    made: Any = await rig.post("/redemptions", {"reward_id": reward_id, "user": user})
    return str(made["redemption"]["id"])


async def _finished(rig: Rig, run_id: str) -> RunStatus:
    pool = rig.engine.pool
    assert pool is not None

    async def terminal() -> bool:
        run = await pool.journal.run(run_id)
        return run is not None and run.status.terminal

    await wait_for(terminal, timeout=30)
    run = await pool.journal.run(run_id)
    assert run is not None
    return run.status


def _stored_rolls(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "data" / "keyboard_raffle.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT id FROM rolls")]


def _published(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "data" / "keyboard_raffle.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT type FROM outbox ORDER BY seq")]


def _roll_lines(rig: Rig) -> list[str]:
    return [m.text for m in rig.sim.channel.sent_by_app() if any(w in m.text for w in ROLL_WORDS)]


async def _patch_calls(rig: Rig) -> int:
    read: Any = await rig.get("/requests")
    return int(read["counts"].get(FULFIL_PATCH, 0))


@pytest.mark.slow
async def test_a_permanent_fulfil_failure_deletes_the_roll_then_refunds_and_says_nothing(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        reward_id = await _ready(rig)
        seen = _watch(rig)
        await rig.post("/faults/fail", {"endpoint": FULFIL_PATCH, "status": 400, "count": 1})
        rid = await _redeem(rig, reward_id, "unlucky_viewer")

        assert await _finished(rig, f"raffle:{rid}") is RunStatus.FAILED
        # The roll was recorded, then deleted; it was never fulfilled, so it was never published either.
        assert _published(tmp_path) == [] and seen == []
        assert _stored_rolls(tmp_path) == []
        assert rig.engine.raffle is not None and (await rig.engine.raffle.totals()).rolls == 0
        # Refunded exactly once, after the delete; never fulfilled. The 400 was not retried: one fulfil, one refund.
        assert rig.sim.rewards.redemptions[rid].status == "CANCELED"
        assert [(u.redemption_id, u.status) for u in rig.sim.rewards.updates] == [(rid, "CANCELED")]
        assert await _patch_calls(rig) == 2
        assert _roll_lines(rig) == []
        pool = rig.engine.pool
        assert pool is not None
        steps = {s.name: s.state for s in await pool.journal.steps(f"raffle:{rid}")}
        assert steps["fulfil-redemption"] == "FAILED"
        assert steps["record-roll"] == "COMPENSATED" and steps["accept-redemption"] == "COMPENSATED"
        assert "announce" not in steps


@pytest.mark.slow
async def test_a_retryable_fulfil_failure_is_retried_and_the_roll_stands(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        reward_id = await _ready(rig)
        seen = _watch(rig)
        await rig.post("/faults/fail", {"endpoint": FULFIL_PATCH, "status": 503, "count": 2})
        rid = await _redeem(rig, reward_id, "patient_viewer")

        assert await _finished(rig, f"raffle:{rid}") is RunStatus.COMPLETED
        roll_id = f"redemption:{rid}"
        # Published once, and only after Twitch took the fulfilment.
        await wait_for(lambda: seen == [Seen(ROLL_EVENT, roll_id, "FULFILLED")])
        assert _published(tmp_path) == [ROLL_EVENT]
        assert _stored_rolls(tmp_path) == [roll_id]
        # Two 503s, then the third attempt went through: fulfilled once, never refunded.
        assert await _patch_calls(rig) == 3
        assert rig.sim.rewards.redemptions[rid].status == "FULFILLED"
        assert [(u.redemption_id, u.status) for u in rig.sim.rewards.updates] == [(rid, "FULFILLED")]
        pool = rig.engine.pool
        assert pool is not None
        fulfil = next(s for s in await pool.journal.steps(f"raffle:{rid}") if s.name == "fulfil-redemption")
        assert (fulfil.state, fulfil.attempt) == ("SUCCEEDED", 3)
        assert rig.engine.raffle is not None
        [roll] = await rig.engine.raffle.recent_rolls(5)
        lines = _roll_lines(rig)
        assert len(lines) == 1
        assert lines[0].startswith("@patient_viewer ") and f"{roll.roll}" in lines[0]
        assert f"{roll.winning_number}" in lines[0]
