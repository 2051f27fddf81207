"""Helix: authentication, chat, rewards, redemptions, rate limits, shoutouts and bans."""

from __future__ import annotations

import httpx
import pytest

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.server import Simulator

from .conftest import TwitchLogin, twitch_login


async def test_helix_requires_token_and_client_id(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    url = f"{sim.twitch_helix_url}/users"
    assert (await http.get(url)).status_code == 401
    no_client = await http.get(url, headers={"Authorization": f"Bearer {broadcaster.access_token}"})
    assert (no_client.status_code, no_client.json()["message"]) == (401, "Client-Id header required")
    wrong_client = {**broadcaster.headers, "Client-Id": "someoneelse"}
    assert (await http.get(url, headers=wrong_client)).json()["message"] == "Client ID and OAuth token do not match"
    bad_token = {**broadcaster.headers, "Authorization": "Bearer nope"}
    assert (await http.get(url, headers=bad_token)).status_code == 401
    ok = await http.get(url, headers=broadcaster.headers)
    assert ok.status_code == 200
    assert ok.json()["data"][0]["login"] == "simstreamer"


async def test_expired_token_gets_401(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin, clock: FakeClock
) -> None:
    clock.advance(14_400)
    reply = await http.get(f"{sim.twitch_helix_url}/users", headers=broadcaster.headers)
    assert (reply.status_code, reply.json()["message"]) == (401, "Invalid OAuth token")


async def test_missing_scope_gets_401(http: httpx.AsyncClient, sim: Simulator) -> None:
    reader = await twitch_login(http, sim, scopes=("user:read:chat",))
    reply = await http.post(
        f"{sim.twitch_helix_url}/chat/messages",
        headers=reader.headers,
        json={"broadcaster_id": reader.user_id, "sender_id": reader.user_id, "message": "hi"},
    )
    assert reply.status_code == 401
    assert "user:write:chat" in reply.json()["message"]


async def test_streams_reflect_live_state(http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin) -> None:
    url = f"{sim.twitch_helix_url}/streams"
    params = {"user_id": broadcaster.user_id, "type": "live"}
    assert (await http.get(url, headers=broadcaster.headers, params=params)).json()["data"] == []
    await http.post(f"{sim.control_url}/stream/online", json={"viewer_count": 42})
    live = (await http.get(url, headers=broadcaster.headers, params=params)).json()["data"]
    assert live[0]["viewer_count"] == 42
    assert live[0]["type"] == "live"
    await http.put(f"{sim.control_url}/viewers", json={"count": 7})
    assert (await http.get(url, headers=broadcaster.headers, params=params)).json()["data"][0]["viewer_count"] == 7
    await http.post(f"{sim.control_url}/stream/offline")
    assert (await http.get(url, headers=broadcaster.headers, params=params)).json()["data"] == []
    counts = (await http.get(f"{sim.control_url}/requests")).json()["counts"]
    assert counts["GET /helix/streams"] == 4


async def _say(http: httpx.AsyncClient, sim: Simulator, login: TwitchLogin, text: str) -> httpx.Response:
    body = {"broadcaster_id": sim.users.broadcaster.id, "sender_id": login.user_id, "message": text}
    return await http.post(f"{sim.twitch_helix_url}/chat/messages", headers=login.headers, json=body)


async def test_chat_messages_are_recorded_and_limited(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin, clock: FakeClock
) -> None:
    sent = await _say(http, sim, broadcaster, "Now playing: something")
    assert sent.status_code == 200
    assert sent.json()["data"][0]["is_sent"] is True

    too_long = await _say(http, sim, broadcaster, "x" * 501)
    assert too_long.status_code == 422
    exactly = await _say(http, sim, broadcaster, "y" * 500)
    assert exactly.status_code == 200

    clock.advance(1)
    again = await _say(http, sim, broadcaster, "y" * 500)
    assert again.json()["data"][0]["is_sent"] is False
    assert again.json()["data"][0]["drop_reason"]["code"] == "msg_duplicate"

    lines = (await http.get(f"{sim.control_url}/sent/chat")).json()["messages"]
    assert [(line["text"][:10], line["is_sent"]) for line in lines] == [
        ("Now playin", True),
        ("y" * 10, True),
        ("y" * 10, False),
    ]


async def test_sender_must_be_the_token_user(http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin) -> None:
    body = {"broadcaster_id": broadcaster.user_id, "sender_id": "123", "message": "hi"}
    reply = await http.post(f"{sim.twitch_helix_url}/chat/messages", headers=broadcaster.headers, json=body)
    assert reply.status_code == 401
    malformed = await http.post(
        f"{sim.twitch_helix_url}/chat/messages", headers=broadcaster.headers, content=b"{not json"
    )
    assert malformed.status_code == 400


async def _create_reward(
    http: httpx.AsyncClient, sim: Simulator, login: TwitchLogin, **fields: object
) -> httpx.Response:
    return await http.post(
        f"{sim.twitch_helix_url}/channel_points/custom_rewards",
        headers=login.headers,
        params={"broadcaster_id": login.user_id},
        json={"title": "Song Request", "cost": 500, "is_user_input_required": True, **fields},
    )


async def test_custom_reward_create_update_and_pause(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    created = await _create_reward(http, sim, broadcaster, prompt="Paste a Spotify link")
    assert created.status_code == 200
    reward = created.json()["data"][0]
    assert (reward["title"], reward["cost"], reward["is_paused"]) == ("Song Request", 500, False)

    duplicate = await _create_reward(http, sim, broadcaster)
    assert duplicate.status_code == 400
    assert (await _create_reward(http, sim, broadcaster, title="x" * 46)).status_code == 400
    assert (await _create_reward(http, sim, broadcaster, title="Free", cost=0)).status_code == 400
    assert (await _create_reward(http, sim, broadcaster, title="Wrong", cost="5")).status_code == 400

    url = f"{sim.twitch_helix_url}/channel_points/custom_rewards"
    params = {"broadcaster_id": broadcaster.user_id, "id": reward["id"]}
    paused = await http.patch(url, headers=broadcaster.headers, params=params, json={"is_paused": True, "cost": 750})
    assert paused.status_code == 200
    assert (paused.json()["data"][0]["is_paused"], paused.json()["data"][0]["cost"]) == (True, 750)
    refused = await http.post(f"{sim.control_url}/redemptions", json={"reward_id": reward["id"]})
    assert refused.status_code == 409

    await http.patch(url, headers=broadcaster.headers, params=params, json={"is_paused": False, "is_enabled": False})
    listed = await http.get(
        url,
        headers=broadcaster.headers,
        params={"broadcaster_id": broadcaster.user_id, "only_manageable_rewards": "true"},
    )
    assert [(r["id"], r["is_enabled"]) for r in listed.json()["data"]] == [(reward["id"], False)]
    everything = await http.get(url, headers=broadcaster.headers, params={"broadcaster_id": broadcaster.user_id})
    assert {r["title"] for r in everything.json()["data"]} == {"Song Request", "Hydrate!"}


async def test_rewards_only_on_own_channel(http: httpx.AsyncClient, sim: Simulator) -> None:
    viewer = await twitch_login(http, sim, login=sim.users.viewers[0].login)
    reply = await http.post(
        f"{sim.twitch_helix_url}/channel_points/custom_rewards",
        headers=viewer.headers,
        params={"broadcaster_id": sim.users.broadcaster.id},
        json={"title": "Nope", "cost": 1},
    )
    assert reply.status_code == 403


async def _patch_redemption(
    http: httpx.AsyncClient,
    sim: Simulator,
    login: TwitchLogin,
    reward_id: str,
    redemption_id: str,
    status: str,
) -> httpx.Response:
    return await http.patch(
        f"{sim.twitch_helix_url}/channel_points/custom_rewards/redemptions",
        headers=login.headers,
        params={"broadcaster_id": login.user_id, "reward_id": reward_id, "id": redemption_id},
        json={"status": status},
    )


@pytest.mark.parametrize("status", ["FULFILLED", "CANCELED"])
async def test_redemption_status_changes_once(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin, status: str
) -> None:
    reward = (await _create_reward(http, sim, broadcaster)).json()["data"][0]
    injected = await http.post(
        f"{sim.control_url}/redemptions", json={"reward_id": reward["id"], "user_input": "spotify:track:abc"}
    )
    redemption = injected.json()["redemption"]
    assert redemption["status"] == "UNFULFILLED"

    done = await _patch_redemption(http, sim, broadcaster, reward["id"], redemption["id"], status)
    assert done.status_code == 200
    assert done.json()["data"][0]["status"] == status
    twice = await _patch_redemption(http, sim, broadcaster, reward["id"], redemption["id"], "FULFILLED")
    assert twice.status_code == 404
    bogus = await _patch_redemption(http, sim, broadcaster, reward["id"], redemption["id"], "REFUNDED")
    assert bogus.status_code == 400

    updates = (await http.get(f"{sim.control_url}/sent/redemption-updates")).json()["updates"]
    assert [(u["redemption_id"], u["status"]) for u in updates] == [(redemption["id"], status)]

    listed = await http.get(
        f"{sim.twitch_helix_url}/channel_points/custom_rewards/redemptions",
        headers=broadcaster.headers,
        params={"broadcaster_id": broadcaster.user_id, "reward_id": reward["id"], "status": status},
    )
    assert [r["id"] for r in listed.json()["data"]] == [redemption["id"]]


async def test_redemptions_of_another_clients_reward_are_forbidden(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    other_app = await twitch_login(http, sim, client_id="anotherappclientid000000000001")
    reward = (await _create_reward(http, sim, other_app, title="Their reward")).json()["data"][0]
    redemption = (await http.post(f"{sim.control_url}/redemptions", json={"reward_id": reward["id"]})).json()
    forbidden = await _patch_redemption(
        http, sim, broadcaster, reward["id"], redemption["redemption"]["id"], "CANCELED"
    )
    assert forbidden.status_code == 403

    dashboard = (await http.post(f"{sim.control_url}/redemptions", json={"reward_title": "Hydrate!"})).json()
    hydrate_id = dashboard["redemption"]["reward"]["id"]
    assert (
        await _patch_redemption(http, sim, broadcaster, hydrate_id, dashboard["redemption"]["id"], "FULFILLED")
    ).status_code == 403
    assert (
        await _patch_redemption(http, sim, other_app, reward["id"], redemption["redemption"]["id"], "CANCELED")
    ).status_code == 200


async def test_rate_limit_bucket_gives_429_with_headers(http: httpx.AsyncClient, clock: FakeClock) -> None:
    async with Simulator(clock=clock, seed=3, ratelimit_per_minute=5) as small:
        login = await twitch_login(http, small)
        url = f"{small.twitch_helix_url}/users"
        remaining = []
        for _ in range(5):
            reply = await http.get(url, headers=login.headers)
            assert reply.status_code == 200
            assert reply.headers["Ratelimit-Limit"] == "5"
            remaining.append(int(reply.headers["Ratelimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        limited = await http.get(url, headers=login.headers)
        assert limited.status_code == 429
        assert limited.headers["Ratelimit-Remaining"] == "0"
        assert int(limited.headers["Ratelimit-Reset"]) == clock.now_ms() // 1000 + 60
        clock.advance(12)  # one point refills every 12 s at 5/min
        assert (await http.get(url, headers=login.headers)).status_code == 200


async def test_shoutout_rate_limits(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin, clock: FakeClock
) -> None:
    raiders = [r.user.id for r in sim.users.raiders]

    async def shout(to_id: str) -> int:
        params = {
            "from_broadcaster_id": broadcaster.user_id,
            "to_broadcaster_id": to_id,
            "moderator_id": broadcaster.user_id,
        }
        reply = await http.post(f"{sim.twitch_helix_url}/chat/shoutouts", headers=broadcaster.headers, params=params)
        return reply.status_code

    assert await shout(raiders[0]) == 400  # not live
    await http.post(f"{sim.control_url}/stream/online", json={"viewer_count": 10})
    assert await shout(broadcaster.user_id) == 400
    assert await shout(raiders[0]) == 204
    assert await shout(raiders[1]) == 429  # one per 2 minutes
    clock.advance(120)
    assert await shout(raiders[0]) == 429  # the same channel once per 60 minutes
    assert await shout(raiders[1]) == 204
    clock.advance(3600)
    assert await shout(raiders[0]) == 204
    sent = (await http.get(f"{sim.control_url}/sent/shoutouts")).json()["shoutouts"]
    assert [s["to_id"] for s in sent] == [raiders[0], raiders[1], raiders[0]]


async def test_bans(http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin) -> None:
    url = f"{sim.twitch_helix_url}/moderation/bans"
    params = {"broadcaster_id": broadcaster.user_id, "moderator_id": broadcaster.user_id}
    target = sim.users.viewers[3].id
    ban = await http.post(
        url, headers=broadcaster.headers, params=params, json={"data": {"user_id": target, "duration": 600}}
    )
    assert ban.status_code == 200
    assert ban.json()["data"][0]["end_time"] is not None
    again = await http.post(url, headers=broadcaster.headers, params=params, json={"data": {"user_id": target}})
    assert (again.status_code, again.json()["message"]) == (400, "user is already banned")
    bad = await http.post(
        url, headers=broadcaster.headers, params=params, json={"data": {"user_id": target, "duration": 0}}
    )
    assert bad.status_code == 400
    assert [b["user_id"] for b in (await http.get(f"{sim.control_url}/sent/bans")).json()["bans"]] == [target]
