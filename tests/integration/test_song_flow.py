"""Song requests end to end against the simulator: redemption → workflow → queue → just-in-time push →
fulfilment; a rejection refunds with one reply; a moderator removal refunds."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdeck_tui.songs.models import RequestState
from streamdeck_tui.workflows.model import RunStatus
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

SPEED = 40.0  # simulated seconds per real second: a 3-minute track lasts under 5 s


def playable(rig: Rig, n: int = 3) -> list[str]:
    tracks = [t for t in rig.sim.catalogue.all() if t.is_playable and not t.explicit and t.duration_ms < 400_000]
    return [t.id for t in tracks[:n]]


async def ready(rig: Rig) -> str:
    assert (await rig.engine.setup_rewards()).is_ok()
    assert rig.engine.rewards is not None and rig.engine.song_sync is not None
    rig.engine.song_sync.fresh_ms = 200
    rig.engine.song_sync.poke()
    info = await rig.engine.rewards.get("song_request")
    assert info is not None
    return info.reward_id


async def run_status(rig: Rig, run_id: str) -> RunStatus | None:
    assert rig.engine.pool is not None
    run = await rig.engine.pool.journal.run(run_id)
    return None if run is None else run.status


def statuses(rig: Rig, reward_id: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for u in rig.sim.rewards.updates:
        if u.reward_id == reward_id:
            out.setdefault(u.redemption_id, []).append(u.status)
    return out


@pytest.mark.slow
async def test_a_request_waits_then_is_pushed_just_in_time_and_fulfilled(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, speed=SPEED, start_playing=True) as rig:
        reward_id = await ready(rig)
        queue = rig.engine.songs
        assert queue is not None
        [wanted] = playable(rig, 1)
        made = await rig.post(
            "/redemptions",
            {
                "reward_id": reward_id,
                "user": "kiwi",
                "user_input": f"https://open.spotify.com/intl-de/track/{wanted}?si=x",
            },
        )
        redemption_id = made["redemption"]["id"]

        async def stored() -> bool:
            return await queue.get(f"redemption:{redemption_id}") is not None

        await wait_for(stored, timeout=30)
        # Waiting in the console: Twitch has not been told anything yet.
        assert statuses(rig, reward_id).get(redemption_id) in (None, [])

        async def played() -> bool:
            req = await queue.get(f"redemption:{redemption_id}")
            return req is not None and req.state is RequestState.PLAYED

        await wait_for(played, timeout=60)
        assert statuses(rig, reward_id)[redemption_id] == ["FULFILLED"]
        assert [a.track_id for a in rig.sim.player.queue_adds] == [wanted]
        replies = [m.text for m in rig.sim.channel.sent_by_app() if "kiwi" in m.text.lower()]
        assert len(replies) == 1 and "#1 in the song queue" in replies[0]


@pytest.mark.slow
async def test_rejections_refund_once_with_the_reason_and_removal_refunds(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, speed=1.0, start_playing=True) as rig:
        reward_id = await ready(rig)
        queue = rig.engine.songs
        actions = rig.engine.song_actions
        assert queue is not None and actions is not None
        inputs = {
            "mango": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "lime": "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
            "fig": f"spotify:track:{playable(rig, 1)[0]}",
        }
        ids = {}
        for user, text in inputs.items():
            made = await rig.post("/redemptions", {"reward_id": reward_id, "user": user, "user_input": text})
            ids[user] = made["redemption"]["id"]

        async def all_done() -> bool:
            done = [await run_status(rig, f"song:{i}") for i in ids.values()]
            return all(s is RunStatus.COMPLETED for s in done)

        await wait_for(all_done, timeout=30)
        updates = statuses(rig, reward_id)
        assert updates.get(ids["mango"]) == ["CANCELED"] and updates.get(ids["lime"]) == ["CANCELED"]
        lines = [m.text for m in rig.sim.channel.sent_by_app()]
        assert sum("mango" in line.lower() for line in lines) == 1
        assert any("mango" in line.lower() and "spotify" in line.lower() for line in lines)
        assert any("lime" in line.lower() and "playlist" in line.lower() for line in lines)

        removed = await actions.remove(f"redemption:{ids['fig']}")
        assert removed.is_ok(), removed

        async def refunded() -> bool:
            return statuses(rig, reward_id).get(ids["fig"]) == ["CANCELED"]

        await wait_for(refunded, timeout=30)
        assert rig.sim.player.queue_adds == []


@pytest.mark.slow
async def test_a_track_over_the_length_limit_is_refunded_and_never_stored(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, start_playing=True) as rig:
        reward_id = await ready(rig)
        queue = rig.engine.songs
        assert queue is not None
        long = next(t for t in rig.sim.catalogue.all() if t.is_playable and t.duration_ms > 420_000)
        made = await rig.post(
            "/redemptions", {"reward_id": reward_id, "user": "kiwi", "user_input": f"spotify:track:{long.id}"}
        )
        redemption_id = made["redemption"]["id"]

        async def done() -> bool:
            return await run_status(rig, f"song:{redemption_id}") is RunStatus.COMPLETED

        await wait_for(done, timeout=30)
        assert await queue.all_requests() == []
        assert statuses(rig, reward_id)[redemption_id] == ["CANCELED"]
        [reply] = [m.text for m in rig.sim.channel.sent_by_app() if "kiwi" in m.text.lower()]
        assert "the limit is 7:00" in reply and "refunded" in reply
