"""id.twitch.tv under `/oauth2`: device-code flow, refresh, validate, revoke, and an activation page."""

from __future__ import annotations

import html

from .errors import oauth_error
from .http import BodyError, Request, Response, empty_response, html_response, json_response
from .routing import Router
from .twitch_tokens import AuthFailure, TwitchTokens
from .urls import SimUrls

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def build_auth_router(tokens: TwitchTokens, urls: SimUrls) -> Router:
    """Routes of the Twitch OAuth server, mounted at `/oauth2`."""
    api = _TwitchAuthApi(tokens, urls)
    router = Router()
    router.add("POST", "/oauth2/device", api.device)
    router.add("POST", "/oauth2/token", api.token)
    router.add("GET", "/oauth2/validate", api.validate)
    router.add("POST", "/oauth2/revoke", api.revoke)
    router.add("GET", "/oauth2/activate", api.activate_page)
    router.add("POST", "/oauth2/activate", api.activate_submit)
    return router


def _failure(failure: AuthFailure) -> Response:
    return oauth_error(failure.status, failure.message)


class _TwitchAuthApi:
    def __init__(self, tokens: TwitchTokens, urls: SimUrls) -> None:
        self._tokens = tokens
        self._urls = urls

    async def device(self, request: Request) -> Response:
        form = request.form()
        if isinstance(form, BodyError):
            return oauth_error(400, form.message)
        client_id = form.get("client_id", "")
        if not client_id:
            return oauth_error(400, "missing client_id")
        scopes = tuple(s for s in form.get("scopes", form.get("scope", "")).split() if s)
        device = self._tokens.start_device(client_id, scopes)
        uri = f"{self._urls.twitch_auth}/activate?public=true&device-code={device.user_code}"
        return json_response(
            200,
            {
                "device_code": device.device_code,
                "expires_in": (device.expires_at_ms - self._tokens.now_ms()) // 1000,
                "interval": device.interval_s,
                "user_code": device.user_code,
                "verification_uri": uri,
            },
        )

    async def token(self, request: Request) -> Response:
        form = request.form()
        if isinstance(form, BodyError):
            return oauth_error(400, form.message)
        grant_type = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        if not client_id:
            return oauth_error(400, "missing client_id")
        if grant_type == DEVICE_GRANT:
            issued = self._tokens.poll_device(client_id, form.get("device_code", ""))
        elif grant_type == "refresh_token":
            issued = self._tokens.refresh(client_id, form.get("refresh_token", ""))
        else:
            return oauth_error(400, "unsupported grant type")
        if isinstance(issued, AuthFailure):
            return _failure(issued)
        return json_response(200, issued.json())

    async def validate(self, request: Request) -> Response:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        access = self._tokens.lookup(value.strip()) if scheme.lower() in ("oauth", "bearer") else None
        if access is None:
            return oauth_error(401, "invalid access token")
        grant = access.grant
        return json_response(
            200,
            {
                "client_id": grant.client_id,
                "login": grant.user.login,
                "scopes": list(grant.scopes),
                "user_id": grant.user.id,
                "expires_in": self._tokens.expires_in_s(access),
            },
        )

    async def revoke(self, request: Request) -> Response:
        form = request.form()
        if isinstance(form, BodyError):
            return oauth_error(400, form.message)
        if not form.get("client_id") or not form.get("token"):
            return oauth_error(400, "missing client_id or token")
        failure = self._tokens.revoke(form["client_id"], form["token"])
        return _failure(failure) if failure is not None else empty_response(200)

    async def activate_page(self, request: Request) -> Response:
        code = html.escape(request.arg("device-code") or "")
        page = f"""<!doctype html><html><head><title>Simulated Twitch activation</title></head>
<body><h1>Activate your device (simulated Twitch)</h1>
<form method="post"><label>Code <input name="user_code" value="{code}"></label>
<button name="decision" value="approve">Authorize</button>
<button name="decision" value="deny">Cancel</button></form></body></html>"""
        return html_response(200, page)

    async def activate_submit(self, request: Request) -> Response:
        form = request.form()
        if isinstance(form, BodyError):
            return html_response(400, "<p>Malformed form.</p>")
        code = form.get("user_code", "").strip()
        if not code:
            return html_response(400, "<p>Enter the code shown by the app.</p>")
        done = self._tokens.deny(code) if form.get("decision") == "deny" else self._tokens.approve(code)
        if not done:
            return html_response(404, "<p>That code is unknown or no longer pending.</p>")
        verb = "denied" if form.get("decision") == "deny" else "authorized"
        return html_response(200, f"<p>Device {verb}. You can close this page.</p>")
