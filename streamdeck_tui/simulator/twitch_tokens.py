"""Twitch OAuth state: device codes, access tokens and single-use refresh tokens."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Literal

from streamdeck_tui.runtime.clock import Clock

from .ids import token
from .twitch_users import TwitchUser, UserDirectory

DEVICE_CODE_LIFETIME_S = 1800
REFRESH_INACTIVITY_MS = 30 * 24 * 3600 * 1000
# Jitter in a client's poll timer must not read as polling too fast.
_POLL_TOLERANCE_MS = 250


@dataclass(slots=True)
class Grant:
    """One authorization of a client by a user; every token descends from one grant."""

    client_id: str
    user: TwitchUser
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass(slots=True)
class AccessToken:
    """An access token and when it stops working."""

    value: str
    grant: Grant
    expires_at_ms: int


@dataclass(slots=True)
class _RefreshToken:
    grant: Grant
    used: bool
    last_used_ms: int


@dataclass(slots=True)
class DeviceAuthorization:
    """A device-code request waiting for the user (approved through the control API or activate page)."""

    device_code: str
    user_code: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at_ms: int
    interval_s: int
    state: Literal["pending", "approved", "denied", "used"] = "pending"
    last_poll_ms: int | None = None
    user: TwitchUser | None = None

    def json(self) -> dict[str, object]:
        """JSON for the control API."""
        return {
            "user_code": self.user_code,
            "client_id": self.client_id,
            "scopes": list(self.scopes),
            "state": self.state,
            "expires_at_ms": self.expires_at_ms,
        }


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """A fresh access + refresh token pair."""

    access_token: str
    refresh_token: str
    expires_in: int
    scopes: tuple[str, ...]

    def json(self) -> dict[str, object]:
        """The token endpoint's response body."""
        return {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": list(self.scopes),
            "token_type": "bearer",
        }


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """An OAuth error: status and Twitch's message text."""

    status: int
    message: str


class TwitchTokens:
    """Issues, validates, rotates and revokes Twitch tokens on the injected clock."""

    def __init__(
        self,
        users: UserDirectory,
        clock: Clock,
        rng: random.Random,
        *,
        token_lifetime_s: int,
        poll_interval_s: int,
        auto_approve: bool,
    ) -> None:
        self.users = users
        self.token_lifetime_s = token_lifetime_s
        self.auto_approve = auto_approve
        self._poll_interval_s = poll_interval_s
        self._clock = clock
        self._rng = rng
        self._devices: dict[str, DeviceAuthorization] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}

    def now_ms(self) -> int:
        """The clock the tokens live on."""
        return self._clock.now_ms()

    def start_device(self, client_id: str, scopes: tuple[str, ...]) -> DeviceAuthorization:
        """Begin a device-code flow (approved at once with auto-approve)."""
        now = self._clock.now_ms()
        user_code = "".join(self._rng.choice(string.ascii_uppercase) for _ in range(8))
        device = DeviceAuthorization(
            token(self._rng, 40),
            user_code,
            client_id,
            scopes,
            now + DEVICE_CODE_LIFETIME_S * 1000,
            self._poll_interval_s,
        )
        self._devices[device.device_code] = device
        if self.auto_approve:
            device.state, device.user = "approved", self.users.broadcaster
        return device

    def poll_device(self, client_id: str, device_code: str) -> IssuedTokens | AuthFailure:
        """One poll of the token endpoint with the device-code grant."""
        device = self._devices.get(device_code)
        if device is None or device.state == "used" or device.client_id != client_id:
            return AuthFailure(400, "invalid device code")
        now = self._clock.now_ms()
        if now >= device.expires_at_ms:
            del self._devices[device_code]
            return AuthFailure(400, "expired_token")
        if device.state == "denied":
            device.state = "used"
            return AuthFailure(400, "access_denied")
        too_soon = device.last_poll_ms is not None and (
            now - device.last_poll_ms < device.interval_s * 1000 - _POLL_TOLERANCE_MS
        )
        device.last_poll_ms = now
        if too_soon:
            device.interval_s += 5
            return AuthFailure(400, "slow_down")
        if device.state == "pending" or device.user is None:
            return AuthFailure(400, "authorization_pending")
        device.state = "used"
        return self.issue(client_id, device.scopes, device.user)

    def pending(self) -> list[DeviceAuthorization]:
        """Device codes still waiting for the user."""
        now = self._clock.now_ms()
        return [d for d in self._devices.values() if d.state == "pending" and d.expires_at_ms > now]

    def approve(self, user_code: str | None = None, login: str | None = None) -> list[DeviceAuthorization]:
        """Approve one pending code (or all) as `login` (default: the broadcaster)."""
        user = self.users.by_login(login) if login else self.users.broadcaster
        if user is None:
            return []
        chosen = [d for d in self.pending() if user_code is None or d.user_code == user_code.upper()]
        for device in chosen:
            device.state, device.user = "approved", user
        return chosen

    def deny(self, user_code: str | None = None) -> list[DeviceAuthorization]:
        """Deny one pending code (or all): the next poll gets access_denied."""
        chosen = [d for d in self.pending() if user_code is None or d.user_code == user_code.upper()]
        for device in chosen:
            device.state = "denied"
        return chosen

    def issue(self, client_id: str, scopes: tuple[str, ...], user: TwitchUser) -> IssuedTokens:
        """Mint a token pair for a new grant (the control API uses this to skip the login)."""
        return self._mint(Grant(client_id, user, scopes))

    def _mint(self, grant: Grant) -> IssuedTokens:
        now = self._clock.now_ms()
        access = token(self._rng)
        refresh = token(self._rng, 50)
        self._access[access] = AccessToken(access, grant, now + self.token_lifetime_s * 1000)
        self._refresh[refresh] = _RefreshToken(grant, False, now)
        return IssuedTokens(access, refresh, self.token_lifetime_s, grant.scopes)

    def refresh(self, client_id: str, refresh_token: str) -> IssuedTokens | AuthFailure:
        """Rotate: the old refresh token is spent, a new pair is returned."""
        record = self._refresh.get(refresh_token)
        now = self._clock.now_ms()
        if (
            record is None
            or record.used
            or record.grant.revoked
            or record.grant.client_id != client_id
            or now - record.last_used_ms > REFRESH_INACTIVITY_MS
        ):
            return AuthFailure(400, "Invalid refresh token")
        record.used = True
        return self._mint(record.grant)

    def lookup(self, access_token: str) -> AccessToken | None:
        """The token if it is known, unexpired and not revoked."""
        found = self._access.get(access_token)
        if found is None or found.grant.revoked or found.expires_at_ms <= self._clock.now_ms():
            return None
        return found

    def expires_in_s(self, access: AccessToken) -> int:
        """Seconds until `access` expires."""
        return max(0, (access.expires_at_ms - self._clock.now_ms()) // 1000)

    def revoke(self, client_id: str, value: str) -> AuthFailure | None:
        """Revoke the grant behind an access or refresh token (so both stop working)."""
        grant = self._grant_of(value)
        if grant is None:
            return AuthFailure(400, "Invalid token")
        if grant.client_id != client_id:
            return AuthFailure(404, "client does not exist")
        grant.revoked = True
        return None

    def _grant_of(self, value: str) -> Grant | None:
        access = self._access.get(value)
        if access is not None:
            return access.grant
        refresh = self._refresh.get(value)
        return refresh.grant if refresh is not None else None

    def revoke_where(self, value: str | None = None, client_id: str | None = None) -> int:
        """Revoke the grant of one token, or every grant (of one client); returns how many."""
        grants = {id(a.grant): a.grant for a in self._access.values()}
        if value is not None:
            one = self._grant_of(value)
            grants = {id(one): one} if one is not None else {}
        chosen = [g for g in grants.values() if not g.revoked and (client_id is None or g.client_id == client_id)]
        for grant in chosen:
            grant.revoked = True
        return len(chosen)

    def expire_all(self) -> int:
        """Expire every access token now (refresh tokens keep working)."""
        now = self._clock.now_ms()
        live = [a for a in self._access.values() if a.expires_at_ms > now]
        for access in live:
            access.expires_at_ms = now
        return len(live)
