"""Spotify PKCE: authorize redirect, code exchange with the verifier, rotating refresh tokens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx

from streamdeck_tui.simulator.demo_clients import SPOTIFY_DEMO_CLIENT_ID
from streamdeck_tui.simulator.server import Simulator

from .conftest import wait_for

REDIRECT = "http://127.0.0.1:43123/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_params(challenge: str, redirect: str = REDIRECT) -> dict[str, str]:
    return {
        "client_id": SPOTIFY_DEMO_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": redirect,
        "code_challenge_method": "S256",
        "code_challenge": challenge,
        "state": "st4te-xyz",
        "scope": "user-read-playback-state user-modify-playback-state",
    }


async def _authorize(http: httpx.AsyncClient, sim: Simulator, challenge: str) -> dict[str, list[str]]:
    reply = await http.get(f"{sim.spotify_accounts_url}/authorize", params=_authorize_params(challenge))
    assert reply.status_code == 302
    location = reply.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def _exchange(code: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": SPOTIFY_DEMO_CLIENT_ID,
        "code_verifier": verifier,
    }


async def test_pkce_end_to_end_with_rotating_refresh(http: httpx.AsyncClient, sim: Simulator) -> None:
    sim.accounts.auto_approve = True
    verifier, challenge = _pkce()
    query = await _authorize(http, sim, challenge)
    assert query["state"] == ["st4te-xyz"]
    code = query["code"][0]

    token_url = f"{sim.spotify_accounts_url}/api/token"
    tokens = await http.post(token_url, data=_exchange(code, verifier))
    assert tokens.status_code == 200
    first = tokens.json()
    assert first["token_type"] == "Bearer"
    assert first["expires_in"] == 3600
    assert first["scope"] == "user-read-playback-state user-modify-playback-state"

    reused = await http.post(token_url, data=_exchange(code, verifier))
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"

    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": SPOTIFY_DEMO_CLIENT_ID,
    }
    second = await http.post(token_url, data=refresh)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    old = await http.post(token_url, data=refresh)
    assert (old.status_code, old.json()["error"]) == (400, "invalid_grant")

    player = await http.get(
        f"{sim.spotify_api_url}/me/player",
        headers={"Authorization": f"Bearer {second.json()['access_token']}"},
    )
    assert player.status_code == 204  # valid token; nothing is playing yet


async def test_wrong_verifier_is_invalid_grant(http: httpx.AsyncClient, sim: Simulator) -> None:
    sim.accounts.auto_approve = True
    _, challenge = _pkce()
    code = (await _authorize(http, sim, challenge))["code"][0]
    other_verifier, _ = _pkce()
    reply = await http.post(f"{sim.spotify_accounts_url}/api/token", data=_exchange(code, other_verifier))
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "code_verifier was incorrect"}


async def test_authorize_waits_for_consent_through_the_control_api(http: httpx.AsyncClient, sim: Simulator) -> None:
    _, challenge = _pkce()
    waiting = asyncio.create_task(_authorize(http, sim, challenge))
    await wait_for(lambda: bool(sim.accounts.pending()))
    assert not waiting.done()
    listed = (await http.get(f"{sim.control_url}/spotify/consents")).json()["pending"]
    assert listed[0]["redirect_uri"] == REDIRECT
    await http.post(f"{sim.control_url}/spotify/consents/approve", json={"id": listed[0]["id"]})
    query = await asyncio.wait_for(waiting, 5)
    assert "code" in query


async def test_denied_consent_redirects_with_access_denied(http: httpx.AsyncClient, sim: Simulator) -> None:
    _, challenge = _pkce()
    waiting = asyncio.create_task(_authorize(http, sim, challenge))
    await wait_for(lambda: bool(sim.accounts.pending()))
    await http.post(f"{sim.control_url}/spotify/consents/deny", json={})
    query = await asyncio.wait_for(waiting, 5)
    assert query == {"error": ["access_denied"], "state": ["st4te-xyz"]}


async def test_localhost_redirect_and_missing_challenge_are_refused(http: httpx.AsyncClient, sim: Simulator) -> None:
    sim.accounts.auto_approve = True
    _, challenge = _pkce()
    url = f"{sim.spotify_accounts_url}/authorize"
    localhost = await http.get(url, params=_authorize_params(challenge, "http://localhost:43123/callback"))
    assert localhost.status_code == 400
    plain = {**_authorize_params(challenge), "code_challenge_method": "plain"}
    reply = await http.get(url, params=plain)
    assert reply.status_code == 302
    assert parse_qs(urlsplit(reply.headers["location"]).query)["error"] == ["invalid_request"]
