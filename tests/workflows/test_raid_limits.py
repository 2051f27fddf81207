"""The raid workflow's shoutout limits, read from the journal: what counts as a shoutout, and the waits."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any, cast

from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import ComponentContext, Err, FakeClock, Ok, Result
from streamdeck_tui.runtime.http import HttpStatusError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.twitch.helix import HelixClient, HelixError
from streamdeck_tui.twitch.models import ChatMessageSent
from streamdeck_tui.workflows.model import RunStatus
from streamdeck_tui.workflows.raid_shoutout import (
    SAME_TARGET_EVERY_MS,
    SHOUTOUT_EVERY_MS,
    SHOUTOUT_STEP,
    THANKS_STEP,
    WINDOW_STEP,
    RaidShoutout,
    ShoutoutHistory,
    shoutout_history,
)
from tests.support.waiting import wait_for

MIN = 60_000


class FakeHelix:
    """Chat and shoutouts as Twitch would take them, with scripted refusals of the next shoutouts."""

    def __init__(self) -> None:
        self.chat: list[str] = []
        self.shoutouts: list[str] = []
        self.refusals: deque[HttpStatusError] = deque()

    async def send_chat(self, broadcaster_id: str, sender_id: str, text: str) -> Result[ChatMessageSent, HelixError]:
        self.chat.append(text)
        return Ok(ChatMessageSent(message_id=f"m{len(self.chat)}", is_sent=True))

    async def send_shoutout(self, broadcaster_id: str, to_id: str) -> Result[None, HelixError]:
        if self.refusals:
            return Err(self.refusals.popleft())
        self.shoutouts.append(to_id)
        return Ok(None)


async def _pool(tmp_path: Path, clock: FakeClock, helix: FakeHelix) -> WorkflowPool:
    pool = WorkflowPool(ComponentContext(tmp_path, clock, migrations_root()))
    pool.register(RaidShoutout(lambda: cast(HelixClient, helix)))
    assert await pool.start() == Ok(None)
    return pool


def _params(raider: str) -> dict[str, Any]:
    return {
        "message_id": f"msg-{raider}",
        "broadcaster_id": "b1",
        "raider_id": raider,
        "raider_login": raider,
        "raider_name": raider,
        "viewers": 5,
    }


async def _row(
    pool: WorkflowPool, run_id: str, raider: str, state: str, at_ms: int, *, type_: str = "raid_shoutout"
) -> None:
    """A run whose shoutout step ended in `state` at `at_ms`, as an earlier engine left it."""
    params = json.dumps(_params(raider))
    async with pool.unit_of_work() as tx:
        await tx.execute(
            "INSERT INTO workflow_runs (id, type, params, status, created_ms, updated_ms) "
            "VALUES (?, ?, ?, 'COMPLETED', ?, ?)",
            (run_id, type_, params, at_ms, at_ms),
        )
        result, retry = ("true", None) if state == "SUCCEEDED" else (None, at_ms + 1000)
        await tx.execute(
            "INSERT INTO workflow_steps (run_id, position, name, state, attempt, result, next_retry_ms, updated_ms) "
            "VALUES (?, 2, ?, ?, 1, ?, ?, ?)",
            (run_id, SHOUTOUT_STEP, state, result, retry if state == "RETRYING" else None, at_ms),
        )


def test_the_windows_open_exactly_two_minutes_and_an_hour_later() -> None:
    history = ShoutoutHistory(last_ms=1_000, last_to_target_ms=None)
    assert history.global_wait_ms(1_000) == SHOUTOUT_EVERY_MS
    assert history.global_wait_ms(1_000 + SHOUTOUT_EVERY_MS - 1) == 1
    assert history.global_wait_ms(1_000 + SHOUTOUT_EVERY_MS) == 0
    same = ShoutoutHistory(last_ms=1_000, last_to_target_ms=1_000)
    assert same.wait_ms(1_000 + SHOUTOUT_EVERY_MS) == SAME_TARGET_EVERY_MS - SHOUTOUT_EVERY_MS
    assert same.wait_ms(1_000 + SAME_TARGET_EVERY_MS) == 0
    assert ShoutoutHistory(None, None).wait_ms(0) == 0


async def test_what_counts_as_a_shoutout_in_the_journal(tmp_path: Path, clock: FakeClock) -> None:
    pool = await _pool(tmp_path, clock, FakeHelix())
    now = clock.now_ms()
    await _row(pool, "sent", "alpha", "SUCCEEDED", now - 50 * MIN)
    await _row(pool, "lost", "beta", "UNKNOWN", now - 3 * MIN)  # may have gone out
    await _row(pool, "refused", "alpha", "RETRYING", now - 1 * MIN)
    await _row(pool, "failed", "alpha", "FAILED", now - 1 * MIN)
    await _row(pool, "other", "alpha", "SUCCEEDED", now - 1 * MIN, type_="song_request")
    await _row(pool, "old", "gamma", "SUCCEEDED", now - 61 * MIN)
    assert await shoutout_history(pool, "alpha", "mine", now) == ShoutoutHistory(now - 3 * MIN, now - 50 * MIN)
    assert await shoutout_history(pool, "gamma", "mine", now) == ShoutoutHistory(now - 3 * MIN, None)
    # A run's own earlier attempt is not a reason for it to wait.
    assert await shoutout_history(pool, "beta", "lost", now) == ShoutoutHistory(now - 50 * MIN, None)
    await _row(pool, "crashed", "delta", "STARTED", now - 10_000)
    assert (await shoutout_history(pool, "alpha", "mine", now)).last_ms == now - 10_000
    await pool.stop()


async def test_a_shoutout_twitch_refuses_with_429_waits_two_minutes(tmp_path: Path, clock: FakeClock) -> None:
    helix = FakeHelix()
    # Someone shouted out by hand on Twitch: the refusal carries no Retry-After.
    helix.refusals.append(HttpStatusError("Twitch", 429, "", "too many shoutouts"))
    pool = await _pool(tmp_path, clock, helix)
    await pool.start_run("raid_shoutout", "raid:1", _params("alpha"), order_key="raid")
    assert await pool.wait("raid:1") is RunStatus.RUNNING
    step = await pool.journal.step("raid:1", 2)
    assert step is not None and (step.name, step.state) == (SHOUTOUT_STEP, "RETRYING")
    assert step.next_retry_ms == clock.now_ms() + SHOUTOUT_EVERY_MS
    clock.advance(SHOUTOUT_EVERY_MS / 1000)
    await wait_for(lambda: _status(pool, "raid:1", RunStatus.COMPLETED))
    assert helix.shoutouts == ["alpha"] and len(helix.chat) == 1
    await pool.stop()


async def test_a_replay_past_the_window_step_still_waits_for_a_shoutout_sent_meanwhile(
    tmp_path: Path, clock: FakeClock
) -> None:
    helix = FakeHelix()
    pool = await _pool(tmp_path, clock, helix)
    now = clock.now_ms()
    # The window was open when this run decided, then it crashed; another raid's shoutout went out since.
    async with pool.unit_of_work() as tx:
        await tx.execute(
            "INSERT INTO workflow_runs (id, type, params, order_key, status, created_ms, updated_ms) "
            "VALUES ('raid:b', 'raid_shoutout', ?, 'raid', 'RUNNING', ?, ?)",
            (json.dumps(_params("beta")), now, now),
        )
        for position, name, result in ((0, THANKS_STEP, '"m0"'), (1, WINDOW_STEP, '{"send":true,"note":""}')):
            await tx.execute(
                "INSERT INTO workflow_steps (run_id, position, name, state, attempt, result, updated_ms) "
                "VALUES ('raid:b', ?, ?, 'SUCCEEDED', 1, ?, ?)",
                (position, name, result, now),
            )
    await _row(pool, "raid:a", "alpha", "SUCCEEDED", now - 30_000)
    run = await pool.journal.run("raid:b")
    assert run is not None
    assert await pool.launch(run) is RunStatus.RUNNING
    step = await pool.journal.step("raid:b", 2)
    assert step is not None and step.state == "RETRYING" and step.next_retry_ms == now + 90_000
    assert helix.shoutouts == [] and helix.chat == []
    clock.advance(90)
    await wait_for(lambda: _status(pool, "raid:b", RunStatus.COMPLETED))
    assert helix.shoutouts == ["beta"] and helix.chat == []
    await pool.stop()


async def _status(pool: WorkflowPool, run_id: str, status: RunStatus) -> bool:
    run = await pool.journal.run(run_id)
    return run is not None and run.status is status
