"""Helix under `/helix`: users, streams, chat messages, shoutouts and bans."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .channel import Channel, Refusal
from .errors import helix_error
from .helix_gate import Caller, HelixGate
from .http import BodyError, Request, Response, empty_response, json_response
from .ids import rfc3339
from .routing import Router

MAX_LOOKUPS = 100


def validation_message(exc: ValidationError) -> str:
    """One line naming the first invalid field."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


class _ChatBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    broadcaster_id: str
    sender_id: str
    message: str
    reply_parent_message_id: str | None = None
    for_source_only: bool | None = None


class _BanData(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    user_id: str
    duration: int | None = Field(default=None, ge=1, le=1_209_600)
    reason: str = Field(default="", max_length=500)


class _BanBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    data: _BanData


def build_helix_router(gate: HelixGate, channel: Channel, router: Router | None = None) -> Router:
    """Routes for users, streams, chat, shoutouts and bans (added to `router` if given)."""
    api = _HelixApi(channel)
    router = router or Router()
    router.add("GET", "/helix/users", gate.protect(api.users))
    router.add("GET", "/helix/streams", gate.protect(api.streams))
    router.add("POST", "/helix/chat/messages", gate.protect(api.send_chat, ("user:write:chat",)))
    router.add("POST", "/helix/chat/shoutouts", gate.protect(api.shoutout, ("moderator:manage:shoutouts",)))
    router.add("POST", "/helix/moderation/bans", gate.protect(api.ban, ("moderator:manage:banned_users",)))
    return router


def _refused(refusal: Refusal) -> Response:
    return helix_error(refusal.status, refusal.message)


class _HelixApi:
    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    async def users(self, request: Request, caller: Caller) -> Response:
        ids, logins = request.args("id"), request.args("login")
        if len(ids) + len(logins) > MAX_LOOKUPS:
            return helix_error(400, "The total number of id and login parameters may not exceed 100.")
        if not ids and not logins:
            return json_response(200, {"data": [caller.user.helix_json()]})
        users = self._channel.users
        found = [users.get(i) for i in ids] + [users.by_login(name) for name in logins]
        unique = {u.id: u for u in found if u is not None}
        return json_response(200, {"data": [u.helix_json() for u in unique.values()]})

    async def streams(self, request: Request, caller: Caller) -> Response:
        ids, logins = request.args("user_id"), request.args("user_login")
        if len(ids) + len(logins) > MAX_LOOKUPS:
            return helix_error(400, "You may specify at most 100 user_id and user_login parameters.")
        first_text = request.arg("first") or "20"
        if not first_text.isdigit() or not 1 <= int(first_text) <= 100:
            return helix_error(400, "The first parameter must be between 1 and 100.")
        kind = request.arg("type") or "all"
        if kind not in ("all", "live"):
            return helix_error(400, "The type parameter must be all or live.")
        channel = self._channel
        me = channel.broadcaster
        wanted = (not ids and not logins) or me.id in ids or me.login in [x.lower() for x in logins]
        data = [self._stream_json()] if channel.stream.live and wanted else []
        return json_response(200, {"data": data, "pagination": {}})

    def _stream_json(self) -> dict[str, object]:
        s, b = self._channel.stream, self._channel.broadcaster
        return {
            "id": s.stream_id,
            "user_id": b.id,
            "user_login": b.login,
            "user_name": b.display_name,
            "game_id": s.game_id,
            "game_name": s.game_name,
            "type": "live",
            "title": s.title,
            "viewer_count": s.viewer_count,
            "started_at": rfc3339(s.started_at_ms),
            "language": s.language,
            "thumbnail_url": f"https://static-cdn.jtvnw.net/previews-ttv/live_user_{b.login}-{{width}}x{{height}}.jpg",
            "tag_ids": [],
            "tags": list(s.tags),
            "is_mature": False,
        }

    async def send_chat(self, request: Request, caller: Caller) -> Response:
        raw = request.json()
        if isinstance(raw, BodyError):
            return helix_error(400, raw.message)
        try:
            body = _ChatBody.model_validate(raw)
        except ValidationError as exc:
            return helix_error(400, validation_message(exc))
        if body.for_source_only is not None:
            return helix_error(400, "Cannot set for_source_only if User Access Token is used.")
        if body.sender_id != caller.user.id:
            return helix_error(401, "The sender_id must match the user ID in the access token.")
        if body.broadcaster_id != self._channel.broadcaster.id:
            return helix_error(400, "The ID in the broadcaster_id parameter is not valid.")
        if not body.message.strip():
            return helix_error(400, "The message field is required.")
        if len(body.message) > 500:
            return helix_error(422, "The message is too large.")
        line = self._channel.app_says(caller.user, body.message, body.reply_parent_message_id)
        item: dict[str, object] = {"message_id": line.message_id, "is_sent": line.is_sent}
        if line.drop_reason is not None:
            item["drop_reason"] = {"code": line.drop_reason, "message": "Your message was not sent."}
        return json_response(200, {"data": [item]})

    def _may_moderate(self, caller: Caller) -> bool:
        return caller.user.id == self._channel.broadcaster.id or "moderator" in caller.user.badges

    async def shoutout(self, request: Request, caller: Caller) -> Response:
        from_id, to_id = request.arg("from_broadcaster_id"), request.arg("to_broadcaster_id")
        moderator_id = request.arg("moderator_id")
        if not from_id or not to_id or not moderator_id:
            return helix_error(400, "from_broadcaster_id, to_broadcaster_id and moderator_id are required.")
        if moderator_id != caller.user.id:
            return helix_error(401, "The ID in moderator_id must match the user ID in the user access token.")
        if from_id != self._channel.broadcaster.id:
            return helix_error(400, "The ID in from_broadcaster_id is not valid.")
        if not self._may_moderate(caller):
            return helix_error(403, "The user in moderator_id is not one of the broadcaster's moderators.")
        result = self._channel.shoutout(from_id, to_id, moderator_id)
        return _refused(result) if isinstance(result, Refusal) else empty_response(204)

    async def ban(self, request: Request, caller: Caller) -> Response:
        broadcaster_id, moderator_id = request.arg("broadcaster_id"), request.arg("moderator_id")
        if not broadcaster_id or not moderator_id:
            return helix_error(400, "The broadcaster_id and moderator_id query parameters are required.")
        if moderator_id != caller.user.id:
            return helix_error(401, "The ID in moderator_id must match the user ID in the user access token.")
        if broadcaster_id != self._channel.broadcaster.id:
            return helix_error(400, "The ID in broadcaster_id is not valid.")
        if not self._may_moderate(caller):
            return helix_error(403, "The user in moderator_id is not one of the broadcaster's moderators.")
        raw = request.json()
        if isinstance(raw, BodyError):
            return helix_error(400, raw.message)
        try:
            body = _BanBody.model_validate(raw)
        except ValidationError as exc:
            return helix_error(400, validation_message(exc))
        result = self._channel.ban(moderator_id, body.data.user_id, body.data.duration, body.data.reason)
        if isinstance(result, Refusal):
            return _refused(result)
        item = {
            "broadcaster_id": broadcaster_id,
            "moderator_id": moderator_id,
            "user_id": result.user_id,
            "created_at": rfc3339(result.created_at_ms),
            "end_time": rfc3339(result.end_ms) if result.end_ms is not None else None,
        }
        return json_response(200, {"data": [item]})
