"""EventSub over WebSocket: welcome, subscriptions, delivery, keepalive, 4003, reconnect, faults, revoking."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.server import Simulator

from .conftest import EventSubClient, TwitchLogin, eventsub_connect, subscribe, twitch_login, wait_for

CHAT = "channel.chat.message"


def _chat_condition(login: TwitchLogin) -> dict[str, str]:
    return {"broadcaster_user_id": login.user_id, "user_id": login.user_id}


async def _subscribe_chat(
    http: httpx.AsyncClient, sim: Simulator, login: TwitchLogin, client: EventSubClient
) -> dict[str, object]:
    reply = await subscribe(http, sim, login, client.session_id, CHAT, condition=_chat_condition(login))
    assert reply.status_code == 202, reply.text
    sub: dict[str, object] = reply.json()["data"][0]
    return sub


async def _inject_chat(http: httpx.AsyncClient, sim: Simulator, text: str) -> None:
    assert (await http.post(f"{sim.control_url}/chat", json={"user": "amber_otter1", "text": text})).status_code == 200


async def _drain(client: EventSubClient) -> list[dict[str, object]]:
    """Close from our side and return every frame that had already arrived."""
    await client.ws.close()
    return [json.loads(frame) async for frame in client.ws]


@pytest.mark.parametrize(("asked", "granted"), [("", 10), ("30", 30), ("5", 10), ("9999", 600)])
async def test_welcome_and_keepalive_negotiation(sim: Simulator, asked: str, granted: int) -> None:
    url = sim.eventsub_url + (f"?keepalive_timeout_seconds={asked}" if asked else "")
    async with websockets.connect(url) as ws:
        welcome = json.loads(await ws.recv())
        assert welcome["metadata"]["message_type"] == "session_welcome"
        assert welcome["metadata"]["message_timestamp"].endswith("000000Z")  # RFC 3339 with nanoseconds
        session = welcome["payload"]["session"]
        assert session["status"] == "connected"
        assert session["keepalive_timeout_seconds"] == granted
        assert session["reconnect_url"] is None
        assert [s["session_id"] for s in sim.eventsub.sessions()] == [session["id"]]
    await wait_for(lambda: sim.eventsub.sessions() == [])


async def test_non_numeric_keepalive_and_wrong_path_are_refused(sim: Simulator) -> None:
    with pytest.raises(InvalidStatus) as bad_param:
        await websockets.connect(sim.eventsub_url + "?keepalive_timeout_seconds=soon")
    assert bad_param.value.response.status_code == 400
    with pytest.raises(InvalidStatus) as bad_path:
        await websockets.connect(sim.eventsub_url.replace("/ws", "/other"))
    assert bad_path.value.response.status_code == 404


async def test_subscription_is_bound_to_the_session_and_only_subscribed_types_arrive(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    sub = await _subscribe_chat(http, sim, broadcaster, client)
    assert sub["transport"] == {
        "method": "websocket",
        "session_id": client.session_id,
        "connected_at": sub["transport"]["connected_at"],  # type: ignore[index]
    }
    await http.post(f"{sim.control_url}/follow", json={})
    await http.post(f"{sim.control_url}/raid", json={})
    await http.post(f"{sim.control_url}/stream/online", json={})
    await _inject_chat(http, sim, "hello there")

    frame = await client.next_of("notification")
    assert frame["metadata"]["subscription_type"] == CHAT
    assert frame["metadata"]["subscription_version"] == "1"
    assert frame["payload"]["subscription"]["id"] == sub["id"]
    assert frame["payload"]["subscription"]["transport"]["session_id"] == client.session_id
    event = frame["payload"]["event"]
    assert (event["chatter_user_login"], event["message"]["text"]) == ("amber_otter1", "hello there")
    assert set(sim.eventsub.notifications_sent) == {CHAT}
    assert [f for f in await _drain(client) if f["metadata"]["message_type"] == "notification"] == []  # type: ignore[index]


async def test_redemption_notification_carries_the_helix_redemption(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    reply = await subscribe(
        http, sim, broadcaster, client.session_id, "channel.channel_points_custom_reward_redemption.add"
    )
    assert reply.status_code == 202
    injected = await http.post(
        f"{sim.control_url}/redemptions", json={"reward_title": "Hydrate!", "user_input": "water"}
    )
    frame = await client.next_of("notification")
    event = frame["payload"]["event"]
    assert event["id"] == injected.json()["redemption"]["id"]
    assert (event["status"], event["user_input"], event["reward"]["title"]) == (
        "unfulfilled",
        "water",
        "Hydrate!",
    )
    await client.ws.close()


async def test_subscribing_to_an_unknown_or_closed_session_fails(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    unknown = await subscribe(http, sim, broadcaster, "AQoQnotasession", CHAT, condition=_chat_condition(broadcaster))
    assert unknown.status_code == 400
    assert "does not exist or has already disconnected" in unknown.json()["message"]

    client = await eventsub_connect(sim.eventsub_url)
    await _subscribe_chat(http, sim, broadcaster, client)
    await client.ws.close()
    await wait_for(lambda: sim.eventsub.sessions() == [])
    closed = await subscribe(http, sim, broadcaster, client.session_id, "stream.online")
    assert closed.status_code == 400
    listed = await http.get(f"{sim.twitch_helix_url}/eventsub/subscriptions", headers=broadcaster.headers)
    [old] = listed.json()["data"]
    assert old["status"] == "websocket_disconnected"
    assert "disconnected_at" in old["transport"]


async def test_subscription_rules(http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    sid = client.session_id
    assert (await subscribe(http, sim, broadcaster, sid, "stream.online")).status_code == 202
    assert (await subscribe(http, sim, broadcaster, sid, "stream.online")).status_code == 409
    assert (await subscribe(http, sim, broadcaster, sid, "stream.online", version="9")).status_code == 400
    assert (await subscribe(http, sim, broadcaster, sid, CHAT)).status_code == 400  # user_id missing
    raid_both = {
        "from_broadcaster_user_id": broadcaster.user_id,
        "to_broadcaster_user_id": broadcaster.user_id,
    }
    assert (await subscribe(http, sim, broadcaster, sid, "channel.raid", condition=raid_both)).status_code == 400
    raid_to = {"to_broadcaster_user_id": broadcaster.user_id}
    assert (await subscribe(http, sim, broadcaster, sid, "channel.raid", condition=raid_to)).status_code == 202
    follow = {"broadcaster_user_id": broadcaster.user_id, "moderator_user_id": broadcaster.user_id}
    assert (await subscribe(http, sim, broadcaster, sid, "channel.follow", "2", follow)).status_code == 202

    listed = await http.get(f"{sim.twitch_helix_url}/eventsub/subscriptions", headers=broadcaster.headers)
    body = listed.json()
    assert (body["total"], body["total_cost"], body["max_total_cost"]) == (3, 0, 10)
    one = body["data"][0]["id"]
    deleted = await http.delete(
        f"{sim.twitch_helix_url}/eventsub/subscriptions", headers=broadcaster.headers, params={"id": one}
    )
    assert deleted.status_code == 204
    gone = await http.delete(
        f"{sim.twitch_helix_url}/eventsub/subscriptions", headers=broadcaster.headers, params={"id": one}
    )
    assert gone.status_code == 404
    await client.ws.close()


async def test_missing_scope_for_a_subscription_is_403(http: httpx.AsyncClient, sim: Simulator) -> None:
    reader = await twitch_login(http, sim, scopes=("user:write:chat",))
    client = await eventsub_connect(sim.eventsub_url)
    reply = await subscribe(http, sim, reader, client.session_id, CHAT, condition=_chat_condition(reader))
    assert reply.status_code == 403
    await client.ws.close()


async def test_unused_connection_closes_with_4003(sim: Simulator, clock: FakeClock) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    await wait_for(lambda: clock.pending_sleepers() >= 2)  # keepalive timer and subscribe window
    clock.advance(9)
    keepalive = await client.next()
    assert keepalive["metadata"]["message_type"] == "session_keepalive"
    assert keepalive["payload"] == {}
    clock.advance(1)
    assert await client.closed_with() == 4003
    assert client.ws.close_reason == "Connection unused"


async def test_subscribed_connection_survives_the_window_and_gets_keepalives(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin, clock: FakeClock
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    await _subscribe_chat(http, sim, broadcaster, client)
    await wait_for(lambda: clock.pending_sleepers() >= 2)
    for _ in range(3):
        clock.advance(10)
        assert (await client.next())["metadata"]["message_type"] == "session_keepalive"
    assert client.ws.close_code is None
    await client.ws.close()


async def test_inbound_traffic_closes_with_4001(sim: Simulator) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    await client.ws.send("hello server")
    assert await client.closed_with() == 4001


async def test_reconnect_keeps_delivering_on_the_old_socket_until_the_new_welcome(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    old = await eventsub_connect(sim.eventsub_url)
    sub = await _subscribe_chat(http, sim, broadcaster, old)
    urls = (await http.post(f"{sim.control_url}/eventsub/reconnect", json={})).json()["reconnect_urls"]
    reconnect = await old.next_of("session_reconnect")
    session = reconnect["payload"]["session"]
    assert (session["status"], session["keepalive_timeout_seconds"]) == ("reconnecting", None)
    assert session["reconnect_url"] == urls[0]

    await _inject_chat(http, sim, "before the switch")
    assert (await old.next_of("notification"))["payload"]["event"]["message"]["text"] == "before the switch"

    new = await eventsub_connect(session["reconnect_url"])
    assert new.session_id != old.session_id
    await wait_for(lambda: sim.registry.subscriptions[str(sub["id"])].session_id == new.session_id)
    await _inject_chat(http, sim, "after the switch")
    frame = await new.next_of("notification")
    assert frame["payload"]["event"]["message"]["text"] == "after the switch"
    assert frame["payload"]["subscription"]["transport"]["session_id"] == new.session_id
    late = [f for f in await _drain(old) if f["metadata"]["message_type"] == "notification"]  # type: ignore[index]
    assert late == []

    listed = await http.get(f"{sim.twitch_helix_url}/eventsub/subscriptions", headers=broadcaster.headers)
    assert [(s["status"], s["transport"]["session_id"]) for s in listed.json()["data"]] == [("enabled", new.session_id)]
    await new.ws.close()


async def test_reconnect_not_taken_closes_with_4004(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin, clock: FakeClock
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    sub = await _subscribe_chat(http, sim, broadcaster, client)
    sleepers = clock.pending_sleepers()
    await http.post(f"{sim.control_url}/eventsub/reconnect", json={"session_id": client.session_id})
    await client.next_of("session_reconnect")
    await wait_for(lambda: clock.pending_sleepers() > sleepers)  # the grace timer is asleep
    clock.advance(30)
    assert await client.closed_with() == 4004
    await wait_for(lambda: sim.registry.subscriptions[str(sub["id"])].status != "enabled")
    bogus = await websockets.connect(sim.eventsub_url + "?reconnect_id=unknown")
    await bogus.wait_closed()
    assert bogus.close_code == 4007


async def test_duplicate_frame_fault_resends_with_the_same_message_id(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    await _subscribe_chat(http, sim, broadcaster, client)
    await http.post(f"{sim.control_url}/faults/ws-duplicate", json={"count": 1})
    await _inject_chat(http, sim, "twice")
    await _inject_chat(http, sim, "once")
    frames = [await client.next_of("notification") for _ in range(3)]
    texts = [f["payload"]["event"]["message"]["text"] for f in frames]
    assert texts == ["twice", "twice", "once"]
    assert frames[0]["metadata"]["message_id"] == frames[1]["metadata"]["message_id"]
    assert frames[1]["metadata"]["message_id"] != frames[2]["metadata"]["message_id"]
    await client.ws.close()


async def test_revocation_is_sent_once_and_stops_delivery(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    sub = await _subscribe_chat(http, sim, broadcaster, client)
    revoked = await http.post(f"{sim.control_url}/eventsub/revoke", json={"subscription_id": sub["id"]})
    assert revoked.status_code == 200
    frame = await client.next_of("revocation")
    assert frame["payload"]["subscription"]["status"] == "authorization_revoked"
    again = await http.post(f"{sim.control_url}/eventsub/revoke", json={"subscription_id": sub["id"]})
    assert again.status_code == 404
    await _inject_chat(http, sim, "nobody hears this")
    assert sim.eventsub.notifications_sent[CHAT] == 0
    await client.ws.close()


async def test_dropped_socket_disables_its_subscriptions(
    http: httpx.AsyncClient, sim: Simulator, broadcaster: TwitchLogin
) -> None:
    client = await eventsub_connect(sim.eventsub_url)
    sub = await _subscribe_chat(http, sim, broadcaster, client)
    assert (await http.post(f"{sim.control_url}/faults/ws-drop", json={})).json()["dropped"] == 1
    assert await client.closed_with() == 1006
    await wait_for(lambda: sim.registry.subscriptions[str(sub["id"])].status == "websocket_disconnected")

    other = await eventsub_connect(sim.eventsub_url)
    await http.post(f"{sim.control_url}/faults/ws-drop", json={"code": 4000})
    assert await other.closed_with() == 4000
