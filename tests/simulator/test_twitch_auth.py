"""The Twitch device-code flow, refresh rotation, validate and revoke."""

from __future__ import annotations

import httpx

from streamdeck_tui.runtime.clock import FakeClock
from streamdeck_tui.simulator.server import Simulator
from streamdeck_tui.simulator.twitch_auth import DEVICE_GRANT

CLIENT = "appclientid000000000000000001"


async def _start(http: httpx.AsyncClient, sim: Simulator) -> dict[str, object]:
    reply = await http.post(
        f"{sim.twitch_auth_url}/device",
        data={"client_id": CLIENT, "scopes": "user:read:chat user:write:chat"},
    )
    assert reply.status_code == 200
    data: dict[str, object] = reply.json()
    return data


async def _poll(http: httpx.AsyncClient, sim: Simulator, device_code: object) -> httpx.Response:
    return await http.post(
        f"{sim.twitch_auth_url}/token",
        data={"client_id": CLIENT, "device_code": str(device_code), "grant_type": DEVICE_GRANT},
    )


async def test_device_flow_end_to_end(http: httpx.AsyncClient, sim: Simulator, clock: FakeClock) -> None:
    device = await _start(http, sim)
    assert device["interval"] == 5
    assert device["expires_in"] == 1800
    assert str(device["verification_uri"]).startswith(sim.twitch_auth_url)

    pending = await _poll(http, sim, device["device_code"])
    assert (pending.status_code, pending.json()["message"]) == (400, "authorization_pending")

    listed = (await http.get(f"{sim.control_url}/twitch/device")).json()["pending"]
    assert [d["user_code"] for d in listed] == [device["user_code"]]
    approved = await http.post(f"{sim.control_url}/twitch/device/approve", json={"user_code": device["user_code"]})
    assert approved.json()["approved"] == [device["user_code"]]

    clock.advance(5)
    tokens = await _poll(http, sim, device["device_code"])
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == ["user:read:chat", "user:write:chat"]
    assert body["expires_in"] == 14_400

    clock.advance(5)
    reused = await _poll(http, sim, device["device_code"])
    assert (reused.status_code, reused.json()["message"]) == (400, "invalid device code")

    validate = await http.get(
        f"{sim.twitch_auth_url}/validate", headers={"Authorization": f"OAuth {body['access_token']}"}
    )
    assert validate.status_code == 200
    assert validate.json() == {
        "client_id": CLIENT,
        "login": "simstreamer",
        "scopes": ["user:read:chat", "user:write:chat"],
        "user_id": sim.users.broadcaster.id,
        "expires_in": 14_395,  # issued 5 s ago on the fake clock
    }


async def test_polling_faster_than_interval_gets_slow_down(
    http: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    device = await _start(http, sim)
    assert (await _poll(http, sim, device["device_code"])).json()["message"] == "authorization_pending"
    clock.advance(1)
    assert (await _poll(http, sim, device["device_code"])).json()["message"] == "slow_down"
    clock.advance(10)  # the interval grew from 5 s to 10 s
    assert (await _poll(http, sim, device["device_code"])).json()["message"] == "authorization_pending"
    clock.advance(9.5)
    assert (await _poll(http, sim, device["device_code"])).json()["message"] == "slow_down"
    clock.advance(15)
    assert (await _poll(http, sim, device["device_code"])).json()["message"] == "authorization_pending"


async def test_denied_and_expired_device_codes(http: httpx.AsyncClient, sim: Simulator, clock: FakeClock) -> None:
    denied = await _start(http, sim)
    await http.post(f"{sim.control_url}/twitch/device/deny", json={"user_code": denied["user_code"]})
    assert (await _poll(http, sim, denied["device_code"])).json()["message"] == "access_denied"

    expiring = await _start(http, sim)
    clock.advance(1801)
    expired = await _poll(http, sim, expiring["device_code"])
    assert (expired.status_code, expired.json()["message"]) == (400, "expired_token")


async def test_activation_page_approves_a_code(http: httpx.AsyncClient, sim: Simulator) -> None:
    device = await _start(http, sim)
    page = await http.get(str(device["verification_uri"]))
    assert page.status_code == 200
    assert str(device["user_code"]) in page.text
    done = await http.post(
        f"{sim.twitch_auth_url}/activate", data={"user_code": device["user_code"], "decision": "approve"}
    )
    assert done.status_code == 200
    assert (await _poll(http, sim, device["device_code"])).status_code == 200


async def test_refresh_rotates_and_old_refresh_token_is_rejected(http: httpx.AsyncClient, sim: Simulator) -> None:
    sim.tokens.auto_approve = True
    device = await _start(http, sim)
    first = (await _poll(http, sim, device["device_code"])).json()

    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": CLIENT}
    second = await http.post(f"{sim.twitch_auth_url}/token", data=refresh)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert second.json()["access_token"] != first["access_token"]

    again = await http.post(f"{sim.twitch_auth_url}/token", data=refresh)
    assert (again.status_code, again.json()["message"]) == (400, "Invalid refresh token")

    newer = {**refresh, "refresh_token": second.json()["refresh_token"]}
    assert (await http.post(f"{sim.twitch_auth_url}/token", data=newer)).status_code == 200


async def test_validate_rejects_bad_and_expired_tokens(
    http: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    sim.tokens.auto_approve = True
    device = await _start(http, sim)
    token = (await _poll(http, sim, device["device_code"])).json()["access_token"]
    url = f"{sim.twitch_auth_url}/validate"
    assert (await http.get(url, headers={"Authorization": "OAuth nonsense"})).status_code == 401
    assert (await http.get(url)).status_code == 401
    clock.advance(14_399)
    assert (await http.get(url, headers={"Authorization": f"OAuth {token}"})).json()["expires_in"] == 1
    clock.advance(1)
    expired = await http.get(url, headers={"Authorization": f"OAuth {token}"})
    assert (expired.status_code, expired.json()["message"]) == (401, "invalid access token")


async def test_revoke_kills_access_and_refresh_tokens(http: httpx.AsyncClient, sim: Simulator) -> None:
    sim.tokens.auto_approve = True
    device = await _start(http, sim)
    tokens = (await _poll(http, sim, device["device_code"])).json()
    revoked = await http.post(
        f"{sim.twitch_auth_url}/revoke", data={"client_id": CLIENT, "token": tokens["access_token"]}
    )
    assert revoked.status_code == 200
    validate = await http.get(
        f"{sim.twitch_auth_url}/validate", headers={"Authorization": f"OAuth {tokens['access_token']}"}
    )
    assert validate.status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLIENT}
    assert (await http.post(f"{sim.twitch_auth_url}/token", data=refresh)).status_code == 400
    unknown = await http.post(f"{sim.twitch_auth_url}/revoke", data={"client_id": CLIENT, "token": "nope"})
    assert unknown.status_code == 400


async def test_control_api_can_expire_every_token(http: httpx.AsyncClient, sim: Simulator) -> None:
    sim.tokens.auto_approve = True
    device = await _start(http, sim)
    tokens = (await _poll(http, sim, device["device_code"])).json()
    expired = await http.post(f"{sim.control_url}/twitch/tokens/expire")
    assert expired.json()["expired"] >= 1
    validate = await http.get(
        f"{sim.twitch_auth_url}/validate", headers={"Authorization": f"OAuth {tokens['access_token']}"}
    )
    assert validate.status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLIENT}
    assert (await http.post(f"{sim.twitch_auth_url}/token", data=refresh)).status_code == 200
