"""SpotifyToken and TwitchToken: tokens in the keyring, metadata in SQLite, one shared refresh at a time."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final

from ..runtime.component import Component, ComponentContext, Health, TxContext
from ..runtime.result import Err, Ok, Result, TaggedError
from ..runtime.secret import Secret
from ..runtime.tokens import AuthError, NotLoggedIn, TokenUnavailable
from ..secrets import SecretStore
from .token_provider import (
    MAX_EXPIRES_IN_S,
    Identity,
    TokenGrant,
    TokenProvider,
    is_revoked,
    is_transient,
)

REFRESH_BUFFER_MS: Final = 5 * 60 * 1000
SHORT_RETRIES_S: Final = (60, 120, 240)
FALLBACK_RETRY_S: Final = 600
VALIDATE_EVERY_S: Final = 3600
REFRESH_TIMER: Final = "refresh"
VALIDATE_TIMER: Final = "validate"

log = logging.getLogger("streamdeck_tui.tokens")


class AuthStatus(StrEnum):
    """Whether the account can be used."""

    NOT_CONFIGURED = "not_configured"
    AUTHORIZED = "authorized"
    REAUTHORIZATION_REQUIRED = "reauthorization_required"


@dataclass(frozen=True, slots=True)
class TokenHealth:
    """What the console shows about an account."""

    provider: str
    status: AuthStatus
    login: str | None
    user_id: str | None
    scopes: tuple[str, ...]
    expires_ms: int | None
    refreshing: bool
    last_error: str | None


@dataclass(frozen=True, slots=True)
class InvalidGrant(TaggedError):
    """A token response that cannot be stored."""

    tag = "InvalidGrant"
    detail: str

    def message(self) -> str:
        """Why it was refused."""
        return f"token response refused: {self.detail}"


@dataclass(frozen=True, slots=True)
class StoreFailed(TaggedError):
    """The keyring refused to store or read a token."""

    tag = "StoreFailed"
    detail: str

    def message(self) -> str:
        """The keyring's problem and remedy."""
        return self.detail


class ProviderToken(Component):
    """The state machine shared by both providers (reference §2.1, HEAD behaviour, fresh also offline)."""

    migration_scope = "token"
    provider_key: ClassVar[str] = "provider"
    validates: ClassVar[bool] = False

    def __init__(self, ctx: ComponentContext, store: SecretStore, provider: TokenProvider) -> None:
        super().__init__(ctx)
        self.store = store
        self.provider = provider
        self._access: Secret | None = None
        self._refresh: Secret | None = None
        self._expires_ms: int | None = None
        self._status = AuthStatus.NOT_CONFIGURED
        self._shared: asyncio.Task[Result[Secret, AuthError]] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.refresh_calls = 0

    def _key(self, kind: str) -> str:
        return f"{self.provider_key}.{kind}"

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Load metadata, then the tokens from the keyring; rebuild the timers from the row."""
        async with self.unit_of_work() as tx:
            row = await self._meta(tx)
            self._status = AuthStatus(row["status"])
            self._expires_ms = row["expires_ms"]
            if self._status is not AuthStatus.AUTHORIZED:
                return
            loaded = await self._load_secrets()
            if isinstance(loaded, Err):
                # The keyring is locked or gone: keep the account, say why it cannot be used now.
                self.set_health(Health.DEGRADED, loaded.error.message())
                return
            if self._access is None or self._refresh is None:
                await self._require_login(tx, "the tokens are missing from the keyring")
                return
            if await tx.fetch_one("SELECT 1 FROM timers WHERE key = ?", (REFRESH_TIMER,)) is None:
                await tx.schedule(REFRESH_TIMER, self._proactive_at())
            if self.validates:
                await tx.schedule(VALIDATE_TIMER, self.clock.now_ms())

    async def on_stop(self) -> None:
        """Cancel background refreshes and validations."""
        for task in list(self._background) + ([self._shared] if self._shared else []):
            task.cancel()

    async def _load_secrets(self) -> Result[None, StoreFailed]:
        for kind in ("access_token", "refresh_token"):
            got = await asyncio.to_thread(self.store.get, self._key(kind))
            if isinstance(got, Err):
                return Err(StoreFailed(got.error.message()))
            if kind == "access_token":
                self._access = got.value
            else:
                self._refresh = got.value
        return Ok(None)

    async def _meta(self, tx: Any) -> Any:
        row = await tx.fetch_one("SELECT * FROM token_meta WHERE id = 1")
        assert row is not None
        return row

    def _proactive_at(self) -> int:
        if self._expires_ms is None:
            return self.clock.now_ms()
        return max(self.clock.now_ms(), self._expires_ms - REFRESH_BUFFER_MS)

    def _valid(self) -> bool:
        return (
            self._access is not None
            and self._expires_ms is not None
            and self.clock.now_ms() < self._expires_ms - REFRESH_BUFFER_MS
        )

    # -- the public surface ----------------------------------------------------------------------------------

    async def access_token(self) -> Result[Secret, AuthError]:
        """From memory while valid; otherwise one refresh shared by every caller."""
        if self._status is AuthStatus.NOT_CONFIGURED:
            return Err(NotLoggedIn(self.provider.name))
        if self._status is AuthStatus.REAUTHORIZATION_REQUIRED:
            return Err(TokenUnavailable(self.provider.name, "log in again (the authorization was revoked)"))
        if self._valid():
            assert self._access is not None
            return Ok(self._access)
        return await self._refresh_shared()

    async def invalidate(self) -> None:
        """The provider rejected the token early: the next `access_token()` refreshes."""
        self._expires_ms = 0 if self._expires_ms is not None else None

    async def refresh_now(self) -> Result[Secret, AuthError]:
        """Refresh even though the token is still valid (the console's "refresh" action, tests)."""
        if self._status is not AuthStatus.AUTHORIZED:
            return await self.access_token()
        return await self._refresh_shared()

    async def account(self) -> TokenHealth:
        """Status, who, scopes, expiry, whether a refresh is running, the last error."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT * FROM token_meta WHERE id = 1")
        assert row is not None
        return TokenHealth(
            provider=self.provider.name,
            status=AuthStatus(row["status"]),
            login=row["login"],
            user_id=row["user_id"],
            scopes=tuple(json.loads(row["scopes"])),
            expires_ms=row["expires_ms"],
            refreshing=self._shared is not None and not self._shared.done(),
            last_error=row["last_error"],
        )

    async def set_tokens(
        self, grant: TokenGrant, identity: Identity | None
    ) -> Result[None, InvalidGrant | StoreFailed]:
        """A login finished: store the tokens in the keyring and the metadata here."""
        if not grant.access.reveal().strip():
            return Err(InvalidGrant("empty access token"))
        if not 0 < grant.expires_in_s <= MAX_EXPIRES_IN_S:
            return Err(InvalidGrant(f"expires_in {grant.expires_in_s} is out of range"))
        if grant.refresh is None and self._refresh is None:
            return Err(InvalidGrant("no refresh token"))

        async def work(tx: TxContext) -> Result[None, InvalidGrant | StoreFailed]:
            stored = await self._store_grant(tx, grant)
            if isinstance(stored, Err):
                return stored
            if identity is not None:
                await tx.execute(
                    "UPDATE token_meta SET user_id = ?, login = ? WHERE id = 1",
                    (identity.user_id, identity.login),
                )
            if self.validates:
                await tx.schedule(VALIDATE_TIMER, self.clock.now_ms() + VALIDATE_EVERY_S * 1000)
            return Ok(None)

        result = await self.transact(work)
        if isinstance(result, Ok):
            self.set_health(Health.HEALTHY)
        return result

    async def logout(self) -> Result[bool, StoreFailed]:
        """Revoke where the provider allows, then forget the tokens and the metadata; Ok(revoked)."""
        revoked = False
        if self._access is not None and self.provider.revocable:
            revoked = isinstance(await self.provider.revoke(self._access), Ok)
        async with self.unit_of_work() as tx:
            for kind in ("access_token", "refresh_token"):
                deleted = await asyncio.to_thread(self.store.delete, self._key(kind))
                if isinstance(deleted, Err):
                    return Err(StoreFailed(deleted.error.message()))
            await tx.execute(
                "UPDATE token_meta SET status = 'not_configured', expires_ms = NULL, scopes = '[]', "
                "user_id = NULL, login = NULL, retry_count = 0, last_error = NULL, updated_ms = ? "
                "WHERE id = 1",
                (self.clock.now_ms(),),
            )
            await tx.cancel(REFRESH_TIMER)
            await tx.cancel(VALIDATE_TIMER)
            self._access = self._refresh = None
            self._expires_ms = None
            self._status = AuthStatus.NOT_CONFIGURED
        return Ok(revoked)

    async def on_stream_online(self) -> None:
        """Going live: make sure the token is fresh before the first redemption needs it."""
        async with self.unit_of_work() as tx:
            await tx.execute("UPDATE token_meta SET is_stream_live = 1 WHERE id = 1")
        if self._status is AuthStatus.AUTHORIZED and not self._valid():
            self._spawn(self._refresh_shared())

    async def on_stream_offline(self) -> None:
        """Offline: recorded; tokens stay fresh anyway (the streamer uses the console before going live)."""
        async with self.unit_of_work() as tx:
            await tx.execute("UPDATE token_meta SET is_stream_live = 0 WHERE id = 1")

    # -- refresh ---------------------------------------------------------------------------------------------

    async def _refresh_shared(self) -> Result[Secret, AuthError]:
        if self._shared is None or self._shared.done():
            self._shared = asyncio.create_task(self._do_refresh(), name=f"{self.name}-refresh")
        # Shielded: a caller that gives up must not cancel the refresh everyone else is waiting for.
        return await asyncio.shield(self._shared)

    async def _do_refresh(self) -> Result[Secret, AuthError]:
        refresh = self._refresh
        if refresh is None:
            async with self.unit_of_work() as tx:
                await self._require_login(tx, "no refresh token stored")
            return Err(TokenUnavailable(self.provider.name, "log in again (no refresh token)"))
        self.refresh_calls += 1
        result = await self.provider.refresh(refresh)
        if isinstance(result, Ok):

            async def work(tx: TxContext) -> Result[None, InvalidGrant | StoreFailed]:
                return await self._store_grant(tx, result.value)

            stored = await self.transact(work)
            if isinstance(stored, Err):
                return Err(TokenUnavailable(self.provider.name, stored.error.message()))
            assert self._access is not None
            log.info("%s token refreshed", self.provider.name)
            return Ok(self._access)
        error = result.error
        async with self.unit_of_work() as tx:
            if is_revoked(error):
                await self._require_login(tx, error.message())
                return Err(TokenUnavailable(self.provider.name, "log in again (the authorization was revoked)"))
            row = await self._meta(tx)
            retries = int(row["retry_count"])
            # 60, 120, 240 s, then every 10 minutes until one works (a success resets the count).
            if is_transient(error) and retries < len(SHORT_RETRIES_S):
                delay_s, retries = SHORT_RETRIES_S[retries], retries + 1
            else:
                delay_s, retries = FALLBACK_RETRY_S, len(SHORT_RETRIES_S)
            await tx.execute(
                "UPDATE token_meta SET retry_count = ?, last_error = ?, updated_ms = ? WHERE id = 1",
                (retries, error.message()[:300], self.clock.now_ms()),
            )
            await tx.schedule(REFRESH_TIMER, self.clock.now_ms() + delay_s * 1000)
        self.set_health(Health.DEGRADED, f"refresh failed, retrying in {delay_s} s")
        return Err(TokenUnavailable(self.provider.name, f"refresh failed: {error.message()}"))

    async def _store_grant(self, tx: TxContext, grant: TokenGrant) -> Result[None, InvalidGrant | StoreFailed]:
        """Keyring first, then metadata: a crash in between leaves a usable (newer) token in the keyring."""
        for kind, value in (("access_token", grant.access), ("refresh_token", grant.refresh)):
            if value is None:
                continue
            stored = await asyncio.to_thread(self.store.set, self._key(kind), value)
            if isinstance(stored, Err):
                return Err(StoreFailed(stored.error.message()))
        now = self.clock.now_ms()
        expires = now + grant.expires_in_s * 1000
        await tx.execute(
            "UPDATE token_meta SET status = 'authorized', expires_ms = ?, scopes = ?, retry_count = 0, "
            "last_refresh_ms = ?, last_error = NULL, updated_ms = ? WHERE id = 1",
            (expires, json.dumps(list(grant.scopes)), now, now),
        )
        self._access = grant.access
        if grant.refresh is not None:
            self._refresh = grant.refresh
        self._expires_ms = expires
        self._status = AuthStatus.AUTHORIZED
        await tx.schedule(REFRESH_TIMER, self._proactive_at())
        self.set_health(Health.HEALTHY)
        return Ok(None)

    async def _require_login(self, tx: TxContext, why: str) -> None:
        await tx.execute(
            "UPDATE token_meta SET status = 'reauthorization_required', retry_count = 0, last_error = ?, "
            "updated_ms = ? WHERE id = 1",
            (why[:300], self.clock.now_ms()),
        )
        await tx.cancel(REFRESH_TIMER)
        await tx.cancel(VALIDATE_TIMER)
        self._status = AuthStatus.REAUTHORIZATION_REQUIRED
        self.set_health(Health.DEGRADED, f"{self.provider.name}: log in again ({why})")

    # -- timers ----------------------------------------------------------------------------------------------

    async def on_timer(self, tx: TxContext, key: str, payload: dict[str, Any]) -> None:
        """Proactive refresh and hourly validation run beside the gate, never inside a transaction."""
        if key == REFRESH_TIMER and self._status is AuthStatus.AUTHORIZED:
            self._spawn(self._refresh_shared())
        elif key == VALIDATE_TIMER and self._status is AuthStatus.AUTHORIZED:
            self._spawn(self._validate())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _validate(self) -> None:
        token = await self.access_token()
        if isinstance(token, Err):
            return
        checked = await self.provider.validate(token.value)
        async with self.unit_of_work() as tx:
            if isinstance(checked, Err) and is_revoked(checked.error):
                await self._require_login(tx, "the provider no longer accepts the token")
                return
            if isinstance(checked, Ok) and checked.value is not None:
                await tx.execute(
                    "UPDATE token_meta SET user_id = ?, login = ? WHERE id = 1",
                    (checked.value.user_id, checked.value.login),
                )
            await tx.schedule(VALIDATE_TIMER, self.clock.now_ms() + VALIDATE_EVERY_S * 1000)


class TwitchToken(ProviderToken):
    """The Twitch account (validated at start and hourly, as Twitch requires)."""

    name = "twitch_token"
    provider_key = "twitch"
    validates = True


class SpotifyToken(ProviderToken):
    """The Spotify account."""

    name = "spotify_token"
    provider_key = "spotify"
