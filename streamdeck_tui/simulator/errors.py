"""Error bodies in each service's own shape (Helix, Twitch OAuth, Spotify API, Spotify accounts, control)."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from .faults import Failure
from .http import Response, json_response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _retry_headers(retry_after_s: int | None) -> dict[str, str]:
    return {} if retry_after_s is None else {"Retry-After": str(retry_after_s)}


def helix_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """`{"error": "Bad Request", "status": 400, "message": …}` as Helix writes it."""
    return json_response(status, {"error": _phrase(status), "status": status, "message": message}, headers)


def oauth_error(status: int, message: str) -> Response:
    """`{"status": 400, "message": …}` as id.twitch.tv writes it."""
    return json_response(status, {"status": status, "message": message})


def spotify_error(status: int, message: str, reason: str | None = None, retry_after_s: int | None = None) -> Response:
    """`{"error": {"status", "message", "reason"?}}` as the Spotify Web API writes it."""
    error: dict[str, object] = {"status": status, "message": message}
    if reason is not None:
        error["reason"] = reason
    return json_response(status, {"error": error}, _retry_headers(retry_after_s))


def accounts_error(status: int, error: str, description: str) -> Response:
    """`{"error": "invalid_grant", "error_description": …}` as accounts.spotify.com writes it."""
    return json_response(status, {"error": error, "error_description": description})


def control_error(status: int, message: str) -> Response:
    """An error from the simulator's own control API."""
    return json_response(status, {"error": _phrase(status), "status": status, "message": message})


def helix_fault(failure: Failure) -> Response:
    """An injected failure in Helix style."""
    message = failure.message or f"simulated {failure.status} fault"
    return helix_error(failure.status, message, _retry_headers(failure.retry_after_s))


def oauth_fault(failure: Failure) -> Response:
    """An injected failure in Twitch OAuth style."""
    response = oauth_error(failure.status, failure.message or f"simulated {failure.status} fault")
    response.headers.update(_retry_headers(failure.retry_after_s))
    return response


def spotify_fault(failure: Failure) -> Response:
    """An injected failure in Spotify Web API style; 429 always carries Retry-After."""
    retry = failure.retry_after_s
    if failure.status == 429 and retry is None:
        retry = 1
    message = failure.message or _default_spotify_message(failure)
    return spotify_error(failure.status, message, failure.reason, retry)


def accounts_fault(failure: Failure) -> Response:
    """An injected failure in Spotify accounts style."""
    error = "server_error" if failure.status >= 500 else (failure.reason or "invalid_request")
    response = accounts_error(failure.status, error, failure.message or f"simulated {failure.status} fault")
    response.headers.update(_retry_headers(failure.retry_after_s))
    return response


def _default_spotify_message(failure: Failure) -> str:
    if failure.reason == "NO_ACTIVE_DEVICE":
        return "Player command failed: No active device found"
    if failure.reason == "PREMIUM_REQUIRED":
        return "Player command failed: Premium required"
    if failure.reason == "QUOTA_EXCEEDED":
        return "Too many requests"
    if failure.status == 429:
        return "API rate limit exceeded"
    return f"simulated {failure.status} fault"
