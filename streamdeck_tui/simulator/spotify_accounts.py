"""accounts.spotify.com: PKCE authorize with consent, code exchange, rotating refresh tokens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from streamdeck_tui.runtime.clock import Clock

from .errors import accounts_error
from .http import BodyError, Request, Response, json_response, redirect_response
from .ids import token
from .routing import Router

CODE_LIFETIME_MS = 10 * 60_000
REFRESH_LIFETIME_MS = 182 * 24 * 3600 * 1000  # six months from the user's authorization
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


@dataclass(slots=True)
class SpotifyGrant:
    """One user authorization of a client; refreshing never extends `authorized_at_ms`."""

    client_id: str
    scopes: tuple[str, ...]
    authorized_at_ms: int
    revoked: bool = False


@dataclass(slots=True)
class SpotifyAccess:
    """An access token and its expiry."""

    value: str
    grant: SpotifyGrant
    expires_at_ms: int


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: tuple[str, ...]
    expires_at_ms: int
    used: bool = False


@dataclass(slots=True)
class _Refresh:
    grant: SpotifyGrant
    used: bool = False


@dataclass(slots=True)
class PendingConsent:
    """An authorize request waiting for the user's decision (through the control API)."""

    id: str
    client_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    decision: asyncio.Future[bool] = field(repr=False)

    def json(self) -> dict[str, object]:
        """JSON for the control API."""
        return {
            "id": self.id,
            "client_id": self.client_id,
            "scopes": list(self.scopes),
            "redirect_uri": self.redirect_uri,
        }


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of `verifier`: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_allowed(uri: str) -> bool:
    """Spotify's rule: HTTPS, or plain HTTP only on the literal loopback 127.0.0.1 / [::1] (not localhost)."""
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1")


class SpotifyAccounts:
    """Spotify's accounts service state: consents, codes, tokens."""

    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        *,
        token_lifetime_s: int,
        auto_approve: bool,
        consent_wait_s: float = 600.0,
    ) -> None:
        self.token_lifetime_s = token_lifetime_s
        self.auto_approve = auto_approve
        self._consent_wait_s = consent_wait_s
        self._clock = clock
        self._rng = rng
        self._pending: dict[str, PendingConsent] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, SpotifyAccess] = {}
        self._refresh: dict[str, _Refresh] = {}

    def pending(self) -> list[PendingConsent]:
        """Authorize requests waiting for a decision."""
        return list(self._pending.values())

    def decide(self, approve: bool, consent_id: str | None = None) -> int:
        """Approve or deny one waiting consent (or all); returns how many."""
        chosen = [c for c in self._pending.values() if consent_id is None or c.id == consent_id]
        for consent in chosen:
            if not consent.decision.done():
                consent.decision.set_result(approve)
        return len(chosen)

    async def wait_for_consent(self, client_id: str, scopes: tuple[str, ...], redirect_uri: str) -> bool:
        """True once the user approves; False when denied or after the wait runs out."""
        if self.auto_approve:
            return True
        consent = PendingConsent(
            token(self._rng, 12), client_id, scopes, redirect_uri, asyncio.get_running_loop().create_future()
        )
        self._pending[consent.id] = consent
        try:
            async with asyncio.timeout(self._consent_wait_s):
                return await consent.decision
        except TimeoutError:
            return False
        finally:
            self._pending.pop(consent.id, None)

    def new_code(self, client_id: str, redirect_uri: str, challenge: str, scopes: tuple[str, ...]) -> str:
        """An authorization code for a consented request."""
        code = token(self._rng, 64)
        expires = self._clock.now_ms() + CODE_LIFETIME_MS
        self._codes[code] = _Code(client_id, redirect_uri, challenge, scopes, expires)
        return code

    def exchange(
        self, client_id: str, code: str, redirect_uri: str, verifier: str
    ) -> dict[str, object] | tuple[str, str]:
        """Trade a code for tokens; a code works once, whatever the outcome."""
        found = self._codes.get(code)
        if found is None or found.used or found.expires_at_ms <= self._clock.now_ms():
            return ("invalid_grant", "Invalid authorization code")
        found.used = True
        if found.client_id != client_id:
            return ("invalid_client", "Invalid client")
        if found.redirect_uri != redirect_uri:
            return ("invalid_grant", "Invalid redirect URI")
        if not _VERIFIER.match(verifier) or s256(verifier) != found.challenge:
            return ("invalid_grant", "code_verifier was incorrect")
        return self._mint(SpotifyGrant(client_id, found.scopes, self._clock.now_ms()))

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, object] | tuple[str, str]:
        """Rotate: the old refresh token is spent and a new one returned."""
        found = self._refresh.get(refresh_token)
        if found is None or found.grant.client_id != client_id:
            return ("invalid_grant", "Invalid refresh token")
        expired = self._clock.now_ms() - found.grant.authorized_at_ms > REFRESH_LIFETIME_MS
        if found.used or found.grant.revoked or expired:
            return ("invalid_grant", "Refresh token revoked")
        found.used = True
        return self._mint(found.grant)

    def issue(self, client_id: str, scopes: tuple[str, ...]) -> dict[str, object]:
        """Mint tokens without the browser flow (tests and the control API)."""
        return self._mint(SpotifyGrant(client_id, scopes, self._clock.now_ms()))

    def _mint(self, grant: SpotifyGrant) -> dict[str, object]:
        access, refresh = token(self._rng, 64), token(self._rng, 64)
        self._access[access] = SpotifyAccess(access, grant, self._clock.now_ms() + self.token_lifetime_s * 1000)
        self._refresh[refresh] = _Refresh(grant)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
            "expires_in": self.token_lifetime_s,
            "refresh_token": refresh,
        }

    def check(self, value: str) -> SpotifyAccess | str:
        """The access token, or the 401 message Spotify gives for it."""
        found = self._access.get(value)
        if found is None or found.grant.revoked:
            return "Invalid access token"
        if found.expires_at_ms <= self._clock.now_ms():
            return "The access token expired"
        return found

    def expire_all(self) -> int:
        """Expire every access token now."""
        now = self._clock.now_ms()
        live = [a for a in self._access.values() if a.expires_at_ms > now]
        for access in live:
            access.expires_at_ms = now
        return len(live)

    def revoke_all(self) -> int:
        """Revoke every grant: access and refresh tokens stop working."""
        grants = {id(a.grant): a.grant for a in self._access.values() if not a.grant.revoked}
        for grant in grants.values():
            grant.revoked = True
        return len(grants)


def build_accounts_router(accounts: SpotifyAccounts) -> Router:
    """`GET /authorize` and `POST /api/token`, mounted at the server root."""
    router = Router()

    async def authorize(request: Request) -> Response:
        client_id, redirect_uri = request.arg("client_id") or "", request.arg("redirect_uri") or ""
        if not client_id:
            return accounts_error(400, "invalid_client", "INVALID_CLIENT: Invalid client")
        if not redirect_allowed(redirect_uri):
            return accounts_error(400, "invalid_client", "INVALID_CLIENT: Invalid redirect URI")
        state = request.arg("state")

        def back(**params: str) -> Response:
            query = {**params, **({"state": state} if state is not None else {})}
            joiner = "&" if "?" in redirect_uri else "?"
            return redirect_response(f"{redirect_uri}{joiner}{urlencode(query)}")

        if request.arg("response_type") != "code":
            return back(error="unsupported_response_type")
        challenge = request.arg("code_challenge") or ""
        if request.arg("code_challenge_method") != "S256" or not _CHALLENGE.match(challenge):
            return back(error="invalid_request", error_description="code_challenge (S256) is required")
        scopes = tuple((request.arg("scope") or "").split())
        if not await accounts.wait_for_consent(client_id, scopes, redirect_uri):
            return back(error="access_denied")
        return back(code=accounts.new_code(client_id, redirect_uri, challenge, scopes))

    async def token_endpoint(request: Request) -> Response:
        form = request.form()
        if isinstance(form, BodyError):
            return accounts_error(400, "invalid_request", form.message)
        grant_type, client_id = form.get("grant_type", ""), form.get("client_id", "")
        if not client_id:
            return accounts_error(400, "invalid_client", "Invalid client")
        if grant_type == "authorization_code":
            result = accounts.exchange(
                client_id, form.get("code", ""), form.get("redirect_uri", ""), form.get("code_verifier", "")
            )
        elif grant_type == "refresh_token":
            result = accounts.refresh(client_id, form.get("refresh_token", ""))
        else:
            return accounts_error(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        if isinstance(result, tuple):
            return accounts_error(400, *result)
        return json_response(200, result)

    router.add("GET", "/authorize", authorize)
    router.add("POST", "/api/token", token_endpoint)
    return router
