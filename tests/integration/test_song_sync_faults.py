"""The push under Spotify trouble, against the simulator: an unreachable Spotify keeps the request waiting and
retries; PREMIUM_REQUIRED pauses the queue with what to do until the streamer resumes; a failed read keeps the
last snapshot and backs off."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdeck_tui.songs.models import RequestState
from streamdeck_tui.songs.sync import backoff_ms
from tests.integration.test_song_flow import SPEED, playable, ready, statuses
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

PUSH = "POST /v1/me/player/queue"


async def request_one(rig: Rig, reward_id: str) -> tuple[str, str]:
    [track_id] = playable(rig, 1)
    made = await rig.post(
        "/redemptions", {"reward_id": reward_id, "user": "kiwi", "user_input": f"spotify:track:{track_id}"}
    )
    return f"redemption:{made['redemption']['id']}", made["redemption"]["id"]


async def state_of(rig: Rig, request_id: str) -> RequestState | None:
    assert rig.engine.songs is not None
    req = await rig.engine.songs.get(request_id)
    return None if req is None else req.state


def test_backoff_doubles_from_15_s_to_300_s() -> None:
    assert [backoff_ms(n) // 1000 for n in range(1, 8)] == [15, 30, 60, 120, 240, 300, 300]


@pytest.mark.slow
async def test_an_unreachable_spotify_keeps_the_request_waiting_and_the_push_retries(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, speed=SPEED, start_playing=True) as rig:
        reward_id = await ready(rig)
        await rig.post("/faults/fail", {"endpoint": PUSH, "status": 503, "count": 3})
        request_id, redemption_id = await request_one(rig, reward_id)

        async def played() -> bool:
            return await state_of(rig, request_id) is RequestState.PLAYED

        await wait_for(played, timeout=60)
        assert len(rig.sim.player.queue_adds) == 1  # three refused pushes, then exactly one that landed
        assert statuses(rig, reward_id)[redemption_id] == ["FULFILLED"]


@pytest.mark.slow
async def test_premium_required_pauses_the_queue_until_the_streamer_resumes(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, speed=SPEED, start_playing=True) as rig:
        reward_id = await ready(rig)
        queue, actions = rig.engine.songs, rig.engine.song_actions
        assert queue is not None and actions is not None
        await rig.post("/faults/fail", {"endpoint": PUSH, "status": 403, "count": 1, "reason": "PREMIUM_REQUIRED"})
        request_id, redemption_id = await request_one(rig, reward_id)

        async def paused() -> bool:
            return (await queue.now_playing()).paused_reason is not None

        await wait_for(paused, timeout=60)
        reason = (await queue.now_playing()).paused_reason
        assert reason is not None and reason.startswith("PREMIUM_REQUIRED") and "Premium" in reason
        assert await state_of(rig, request_id) is RequestState.WAITING
        assert redemption_id not in statuses(rig, reward_id)  # still UNFULFILLED: nothing is lost
        assert rig.sim.player.queue_adds == []

        assert (await actions.resume()).is_ok()

        async def pushed() -> bool:
            return len(rig.sim.player.queue_adds) == 1

        await wait_for(pushed, timeout=60)
        assert (await queue.now_playing()).paused_reason is None


@pytest.mark.slow
async def test_a_failed_read_keeps_the_last_snapshot(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, start_playing=True) as rig:
        await ready(rig)
        queue, sync = rig.engine.songs, rig.engine.song_sync
        assert queue is not None and sync is not None

        async def synced() -> bool:
            return (await queue.now_playing()).track is not None

        await wait_for(synced, timeout=30)
        before = await queue.now_playing()
        await rig.post("/faults/fail", {"endpoint": "GET /v1/me/player/queue", "status": 503, "count": 2})
        assert await sync.cycle() == backoff_ms(1)
        assert await sync.cycle() == backoff_ms(2)
        after = await queue.now_playing()
        assert after.track == before.track and after.sync_failures == 2 and after.last_error
        await sync.cycle()
        assert (await queue.now_playing()).sync_failures == 0
