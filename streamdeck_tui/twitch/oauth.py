"""Twitch OAuth: device-code login, refresh, validate, revoke (public client: no secret)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from ..runtime.clock import Clock
from ..runtime.http import BadPayload, HttpError, HttpStatusError, NetworkError, parse, request
from ..runtime.result import Err, Ok, Result, TaggedError
from ..runtime.secret import Secret
from .models import DeviceCodeResponse, TokenResponse, ValidateResponse

PROVIDER = "Twitch"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True, slots=True)
class SlowDown:
    """The server asked us to poll less often (RFC 8628 §3.5: add 5 s to the interval from now on)."""


SLOW_DOWN_STEP_S = 5.0


@dataclass(frozen=True, slots=True)
class DeviceLoginFailed(TaggedError):
    """The device-code login ended without tokens."""

    tag = "DeviceLoginFailed"
    reason: str

    def message(self) -> str:
        """Why, in the streamer's words."""
        return {
            "expired": "the code expired before it was approved; run the login again",
            "denied": "the authorization was declined on Twitch",
            "invalid": "Twitch no longer accepts this code; run the login again",
        }.get(self.reason, f"login failed: {self.reason}")


class TwitchOAuth:
    """Calls to `twitch.auth_url` for one client id."""

    def __init__(self, auth_url: str, client_id: str, http: httpx.AsyncClient) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self.http = http

    async def start_device(self, scopes: Sequence[str]) -> Result[DeviceCodeResponse, HttpError]:
        """Ask for a device code and the URL the streamer opens."""
        sent = await request(
            self.http,
            PROVIDER,
            "POST",
            f"{self.auth_url}/device",
            data={"client_id": self.client_id, "scopes": " ".join(scopes)},
        )
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, DeviceCodeResponse)

    async def poll_device(
        self, device_code: Secret, scopes: Sequence[str]
    ) -> Result[TokenResponse | SlowDown | None, HttpError | DeviceLoginFailed]:
        """One poll: tokens, None while pending, SlowDown when asked to poll less often, or why it ended."""
        sent = await request(
            self.http,
            PROVIDER,
            "POST",
            f"{self.auth_url}/token",
            data={
                "client_id": self.client_id,
                "scopes": " ".join(scopes),
                "device_code": device_code.reveal(),
                "grant_type": DEVICE_GRANT,
            },
        )
        if isinstance(sent, Err):
            err = sent.error
            if isinstance(err, HttpStatusError) and err.status == 400:
                text = f"{err.reason} {err.detail}".lower()
                if "slow_down" in text:
                    return Ok(SlowDown())
                if "authorization_pending" in text:
                    return Ok(None)
                if "expired" in text:
                    return Err(DeviceLoginFailed("expired"))
                if "denied" in text:
                    return Err(DeviceLoginFailed("denied"))
                return Err(DeviceLoginFailed("invalid"))
            return sent
        return parse(PROVIDER, sent.value, TokenResponse)

    async def refresh(self, refresh_token: Secret) -> Result[TokenResponse, HttpError]:
        """Trade a (single-use) refresh token for new tokens."""
        sent = await request(
            self.http,
            PROVIDER,
            "POST",
            f"{self.auth_url}/token",
            data={
                "client_id": self.client_id,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token.reveal(),
            },
        )
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, TokenResponse)

    async def validate(self, access_token: Secret) -> Result[ValidateResponse, HttpError]:
        """Ask Twitch whether the token is still good (required at start and hourly)."""
        sent = await request(
            self.http,
            PROVIDER,
            "GET",
            f"{self.auth_url}/validate",
            headers={"Authorization": f"OAuth {access_token.reveal()}"},
        )
        if isinstance(sent, Err):
            return sent
        return parse(PROVIDER, sent.value, ValidateResponse)

    async def revoke(self, access_token: Secret) -> Result[None, NetworkError | HttpStatusError]:
        """Invalidate a token at Twitch."""
        sent = await request(
            self.http,
            PROVIDER,
            "POST",
            f"{self.auth_url}/revoke",
            data={"client_id": self.client_id, "token": access_token.reveal()},
        )
        return sent if isinstance(sent, Err) else Ok(None)


async def device_login(
    oauth: TwitchOAuth,
    scopes: Sequence[str],
    clock: Clock,
    on_code: Callable[[DeviceCodeResponse], None],
    on_wait: Callable[[float], None] = lambda remaining: None,
) -> Result[TokenResponse, HttpError | DeviceLoginFailed | BadPayload]:
    """Run the whole device-code flow: show the code, poll at the interval until approved or expired."""
    started = await oauth.start_device(scopes)
    if isinstance(started, Err):
        return started
    code = started.value
    on_code(code)
    device_code = Secret(code.device_code)
    deadline_ms = clock.now_ms() + code.expires_in * 1000
    interval = float(code.interval)
    while clock.now_ms() < deadline_ms:
        polled = await oauth.poll_device(device_code, scopes)
        if isinstance(polled, Err):
            err = polled.error
            if isinstance(err, NetworkError | HttpStatusError) and (isinstance(err, NetworkError) or err.retryable):
                interval = min(interval * 2, 30.0)
            else:
                return polled
        elif isinstance(polled.value, SlowDown):
            interval += SLOW_DOWN_STEP_S
        elif polled.value is not None:
            return Ok(polled.value)
        on_wait((deadline_ms - clock.now_ms()) / 1000)
        await clock.sleep(interval)
    return Err(DeviceLoginFailed("expired"))
