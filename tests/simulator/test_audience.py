"""The scripted audience: chat and redemptions reach the app over EventSub; the script covers edge cases."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.rewards import Reward, RewardFields
from streamdeck_tui.simulator.server import Simulator

from .conftest import eventsub_connect, subscribe, twitch_login

_TRACK_ID = re.compile(r"(?:open\.spotify\.com/track/|spotify:track:)([0-9A-Za-z]{22})")


async def test_audience_chats_and_redeems_over_the_websocket(http: httpx.AsyncClient) -> None:
    async with Simulator(seed=11) as sim:  # real clock: the script runs on real time at high speed
        me = await twitch_login(http, sim)
        rewards = f"{sim.twitch_helix_url}/channel_points/custom_rewards"
        for title in ("Song Request", "Keyboard Raffle"):
            created = await http.post(
                rewards,
                headers=me.headers,
                params={"broadcaster_id": me.user_id},
                json={"title": title, "cost": 100},
            )
            assert created.status_code == 200
        client = await eventsub_connect(sim.eventsub_url)
        chat = {"broadcaster_user_id": me.user_id, "user_id": me.user_id}
        for sub_type, condition in (
            ("channel.chat.message", chat),
            ("channel.channel_points_custom_reward_redemption.add", None),
            ("stream.online", None),
        ):
            assert (await subscribe(http, sim, me, client.session_id, sub_type, condition=condition)).status_code == 202

        started = await http.post(f"{sim.control_url}/audience/start", json={"speed": 40})
        assert started.status_code == 200
        seen: dict[str, list[dict[str, Any]]] = {}

        def titles() -> set[str]:
            return {e["reward"]["title"] for e in seen.get("channel.channel_points_custom_reward_redemption.add", [])}

        async with asyncio.timeout(10):
            while not ("channel.chat.message" in seen and {"Song Request", "Keyboard Raffle"} <= titles()):
                frame = await client.next_of("notification")
                seen.setdefault(frame["metadata"]["subscription_type"], []).append(frame["payload"]["event"])
        await http.post(f"{sim.control_url}/audience/stop")

        assert seen["stream.online"][0]["broadcaster_user_id"] == me.user_id
        redemption = next(
            e
            for e in seen["channel.channel_points_custom_reward_redemption.add"]
            if e["reward"]["title"] == "Song Request"
        )
        assert redemption["status"] == "unfulfilled"
        fulfilled = await http.patch(
            f"{rewards}/redemptions",
            headers=me.headers,
            params={
                "broadcaster_id": me.user_id,
                "reward_id": redemption["reward"]["id"],
                "id": redemption["id"],
            },
            json={"status": "FULFILLED"},
        )
        assert fulfilled.status_code == 200
        streams = await http.get(f"{sim.twitch_helix_url}/streams", headers=me.headers)
        assert streams.json()["data"][0]["viewer_count"] >= 1
        await client.ws.close()


async def test_script_covers_song_request_edge_cases(clock: FakeClock) -> None:
    sim = Simulator(clock=clock, seed=4)
    song = sim.rewards.create("app", RewardFields(title="Song Request", cost=10))
    assert isinstance(song, Reward)
    sim.channel.go_live(20)
    for _ in range(600):
        sim.audience.tick()
    inputs = [r.user_input for r in sim.rewards.redemptions.values() if r.reward.title == "Song Request"]
    ids = [m.group(1) for text in inputs if (m := _TRACK_ID.search(text))]
    tracks = [sim.catalogue.get(i) for i in ids]
    known = [t for t in tracks if t is not None]
    assert any(t is None for t in tracks), "an unknown track id"
    assert any(t.duration_ms > 600_000 for t in known), "a track that is too long"
    assert any(t.explicit for t in known), "an explicit track"
    assert len(set(ids)) < len(ids), "a duplicate request"
    assert any(not _TRACK_ID.search(text) for text in inputs), "search text or a foreign link"
    assert sim.audience.stats["raid"] == 1
    assert sim.audience.stats["chat"] > 100
    assert sim.audience.stats["follow"] > 0
    assert sim.channel.stream.viewer_count >= 1


async def test_redemptions_wait_for_the_apps_rewards(clock: FakeClock) -> None:
    sim = Simulator(clock=clock, seed=9)
    for _ in range(200):
        sim.audience.tick()
    titles = {r.reward.title for r in sim.rewards.redemptions.values()}
    assert titles <= {"Hydrate!"}  # only the dashboard reward exists, so no song requests or raffle rolls
    assert sim.audience.stats["song_request"] == 0
