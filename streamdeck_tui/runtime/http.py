"""Calling provider HTTP APIs: transport and status failures become tagged errors, bodies are parsed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .result import Err, Ok, Result, TaggedError
from .secret import redact

if TYPE_CHECKING:
    from .tokens import AuthError, TokenSource

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger("streamdeck_tui.http")

DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
MAX_BODY: Final = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class NetworkError(TaggedError):
    """The provider could not be reached (DNS, refused, reset, timeout)."""

    tag = "NetworkError"
    provider: str
    detail: str

    def message(self) -> str:
        """Say who could not be reached."""
        return f"{self.provider} unreachable: {self.detail}"


@dataclass(frozen=True, slots=True)
class HttpStatusError(TaggedError):
    """The provider answered with an error status."""

    tag = "HttpStatusError"
    provider: str
    status: int
    reason: str
    detail: str
    retry_after_s: float | None = None

    @property
    def retryable(self) -> bool:
        """429 and 5xx may succeed later; other 4xx will not."""
        return self.status == 429 or self.status >= 500

    def message(self) -> str:
        """Status, provider reason and message."""
        reason = f" {self.reason}" if self.reason else ""
        return f"{self.provider} answered {self.status}{reason}: {self.detail}"


@dataclass(frozen=True, slots=True)
class BadPayload(TaggedError):
    """The provider's body did not have the shape we rely on."""

    tag = "BadPayload"
    provider: str
    detail: str

    def message(self) -> str:
        """Which provider sent what we could not read."""
        return f"{self.provider} sent an unexpected response: {self.detail}"


HttpError = NetworkError | HttpStatusError | BadPayload


def _retry_after(response: httpx.Response, now_s: float | None = None) -> float | None:
    value = response.headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:  # RFC 9110 also allows an HTTP-date
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None and now_s is not None:
            return max(0.0, when.timestamp() - now_s)
    reset = response.headers.get("Ratelimit-Reset")
    if reset is not None and now_s is not None:
        try:
            return max(0.0, float(reset) - now_s)
        except ValueError:
            return None
    return None


def _error_fields(response: httpx.Response) -> tuple[str, str]:
    """Pull `reason` and `message` out of the error bodies Twitch and Spotify send."""
    try:
        body = response.json()
    except ValueError:
        return "", redact(response.text[:200])
    if not isinstance(body, dict):
        return "", ""
    err = body.get("error")
    if isinstance(err, dict):  # Spotify: {"error": {"status", "message", "reason"}}
        return str(err.get("reason", "")), redact(str(err.get("message", "")))
    message = body.get("message") or body.get("error_description") or ""
    reason = body.get("error") if isinstance(body.get("error"), str) else ""
    return str(reason or ""), redact(str(message))


async def request(
    client: httpx.AsyncClient,
    provider: str,
    method: str,
    url: str,
    *,
    now_s: float | None = None,
    **kwargs: Any,
) -> Result[httpx.Response, NetworkError | HttpStatusError]:
    """Send one request; any transport failure or status >= 400 is an `Err`."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        return Err(NetworkError(provider, f"{type(exc).__name__}: {redact(str(exc))[:200]}"))
    if response.status_code >= 400:
        reason, detail = _error_fields(response)
        return Err(HttpStatusError(provider, response.status_code, reason, detail, _retry_after(response, now_s)))
    return Ok(response)


def parse(provider: str, response: httpx.Response, model: type[M]) -> Result[M, BadPayload]:
    """Validate a JSON body against `model`."""
    if len(response.content) > MAX_BODY:
        return Err(BadPayload(provider, f"body of {len(response.content)} bytes is too large"))
    try:
        return Ok(model.model_validate_json(response.content))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return Err(BadPayload(provider, f"{where}: {first['msg']}"))


async def send_authorized(
    client: httpx.AsyncClient,
    provider: str,
    tokens: TokenSource,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    now_s: Callable[[], float],
    **kwargs: Any,
) -> Result[httpx.Response, NetworkError | HttpStatusError | AuthError]:
    """Send with the account's bearer token; a 401 means it went bad early (revoked, expired): refresh once and
    retry."""
    for attempt in range(2):
        token = await tokens.access_token()
        if isinstance(token, Err):
            return token
        sent = await request(
            client,
            provider,
            method,
            url,
            headers={**(headers or {}), "Authorization": f"Bearer {token.value.reveal()}"},
            now_s=now_s(),
            **kwargs,
        )
        expired = isinstance(sent, Err) and isinstance(sent.error, HttpStatusError) and sent.error.status == 401
        if expired and attempt == 0:
            await tokens.invalidate()
            continue
        return sent
    raise AssertionError("unreachable")
