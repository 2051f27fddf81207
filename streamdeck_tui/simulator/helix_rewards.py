"""Helix custom rewards and redemptions under `/helix/channel_points/…`."""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, ValidationError

from .channel import Refusal
from .errors import helix_error
from .helix import validation_message
from .helix_gate import Caller, HelixGate
from .http import BodyError, Request, Response, empty_response, json_response
from .rewards import RewardFields, RewardStore
from .routing import Router

MAX_IDS = 50
_READ = ("channel:read:redemptions", "channel:manage:redemptions")
_MANAGE = ("channel:manage:redemptions",)
_BASE = "/helix/channel_points/custom_rewards"


class _StatusBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    status: str


def add_reward_routes(router: Router, gate: HelixGate, store: RewardStore) -> None:
    """Register create/get/update/delete reward and get/update redemption routes."""
    api = _RewardsApi(store)
    router.add("POST", _BASE, gate.protect(api.create, _MANAGE))
    router.add("GET", _BASE, gate.protect(api.get, _READ))
    router.add("PATCH", _BASE, gate.protect(api.update, _MANAGE))
    router.add("DELETE", _BASE, gate.protect(api.delete, _MANAGE))
    router.add("GET", f"{_BASE}/redemptions", gate.protect(api.redemptions, _READ))
    router.add("PATCH", f"{_BASE}/redemptions", gate.protect(api.set_status, _MANAGE))


def _refused(refusal: Refusal) -> Response:
    return helix_error(refusal.status, refusal.message)


def _own_channel(request: Request, caller: Caller) -> Response | None:
    broadcaster_id = request.arg("broadcaster_id")
    if not broadcaster_id:
        return helix_error(400, "The broadcaster_id query parameter is required.")
    if broadcaster_id != caller.user.id:
        return helix_error(403, "The ID in broadcaster_id must match the user ID found in the request's OAuth token.")
    return None


def _fields(request: Request) -> RewardFields | Response:
    raw = request.json()
    if isinstance(raw, BodyError):
        return helix_error(400, raw.message)
    try:
        return RewardFields.model_validate(raw)
    except ValidationError as exc:
        return helix_error(400, validation_message(exc))


def _offset(cursor: str | None) -> int | None:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text) if text.isdigit() else None


class _RewardsApi:
    def __init__(self, store: RewardStore) -> None:
        self._store = store

    def _data(self, rewards: list[dict[str, object]]) -> Response:
        return json_response(200, {"data": rewards})

    async def create(self, request: Request, caller: Caller) -> Response:
        problem = _own_channel(request, caller)
        if problem is not None:
            return problem
        fields = _fields(request)
        if isinstance(fields, Response):
            return fields
        reward = self._store.create(caller.client_id, fields)
        if isinstance(reward, Refusal):
            return _refused(reward)
        return self._data([self._store.reward_json(reward)])

    async def get(self, request: Request, caller: Caller) -> Response:
        problem = _own_channel(request, caller)
        if problem is not None:
            return problem
        ids = request.args("id")
        if len(ids) > MAX_IDS:
            return helix_error(400, "The request exceeds the maximum number of id query parameters.")
        only_mine = (request.arg("only_manageable_rewards") or "false").lower() == "true"
        rewards = [
            r
            for r in self._store.rewards.values()
            if (not ids or r.id in ids) and (not only_mine or r.owner_client_id == caller.client_id)
        ]
        if ids and not rewards:
            return helix_error(404, "All of the custom rewards specified using the id query parameter were not found.")
        return self._data([self._store.reward_json(r) for r in rewards])

    async def update(self, request: Request, caller: Caller) -> Response:
        problem = _own_channel(request, caller)
        if problem is not None:
            return problem
        reward_id = request.arg("id")
        if not reward_id:
            return helix_error(400, "The id query parameter is required.")
        fields = _fields(request)
        if isinstance(fields, Response):
            return fields
        reward = self._store.update(caller.client_id, reward_id, fields)
        if isinstance(reward, Refusal):
            return _refused(reward)
        return self._data([self._store.reward_json(reward)])

    async def delete(self, request: Request, caller: Caller) -> Response:
        problem = _own_channel(request, caller)
        if problem is not None:
            return problem
        reward_id = request.arg("id")
        if not reward_id:
            return helix_error(400, "The id query parameter is required.")
        refusal = self._store.delete(caller.client_id, reward_id)
        return _refused(refusal) if refusal is not None else empty_response(204)

    async def redemptions(self, request: Request, caller: Caller) -> Response:
        problem = _own_channel(request, caller)
        if problem is not None:
            return problem
        reward_id, status, ids = request.arg("reward_id"), request.arg("status"), request.args("id")
        if not reward_id:
            return helix_error(400, "The reward_id query parameter is required.")
        if not ids and status is None:
            return helix_error(400, "The status query parameter is required if you didn't specify id.")
        if status is not None and status not in ("CANCELED", "FULFILLED", "UNFULFILLED"):
            return helix_error(400, "The value in the status query parameter is not valid.")
        sort = request.arg("sort") or "OLDEST"
        first_text, offset = request.arg("first") or "20", _offset(request.arg("after"))
        if sort not in ("OLDEST", "NEWEST") or not first_text.isdigit() or not 1 <= int(first_text) <= 50:
            return helix_error(400, "The sort or first query parameter is not valid.")
        if offset is None or len(ids) > MAX_IDS:
            return helix_error(400, "The after cursor or the number of id parameters is not valid.")
        reward = self._store.rewards.get(reward_id)
        if reward is None:
            return helix_error(404, "The custom reward specified in the reward_id query parameter was not found.")
        if reward.owner_client_id != caller.client_id:
            return helix_error(
                403, "The ID in the Client-Id header must match the client ID used to create the reward."
            )
        found = [
            r
            for r in self._store.redemptions.values()
            if r.reward.id == reward_id and (status is None or r.status == status) and (not ids or r.id in ids)
        ]
        if ids and not found:
            return helix_error(404, "All of the redemptions specified using the id query parameter were not found.")
        found.sort(key=lambda r: r.redeemed_at_ms, reverse=sort == "NEWEST")
        first = int(first_text)
        page = found[offset : offset + first]
        pagination: dict[str, str] = {}
        if offset + first < len(found):
            pagination["cursor"] = base64.urlsafe_b64encode(str(offset + first).encode()).decode()
        data = [self._store.redemption_json(r) for r in page]
        return json_response(200, {"data": data, "pagination": pagination})

    async def set_status(self, request: Request, caller: Caller) -> Response:
        problem = _own_channel(request, caller)
        if problem is not None:
            return problem
        ids, reward_id = request.args("id"), request.arg("reward_id")
        if not ids or not reward_id:
            return helix_error(400, "The id and reward_id query parameters are required.")
        if len(ids) > MAX_IDS:
            return helix_error(400, "You may specify at most 50 id query parameters.")
        raw = request.json()
        if isinstance(raw, BodyError):
            return helix_error(400, raw.message)
        try:
            body = _StatusBody.model_validate(raw)
        except ValidationError as exc:
            return helix_error(400, validation_message(exc))
        updated = self._store.set_status(caller.client_id, reward_id, ids, body.status)
        if isinstance(updated, Refusal):
            return _refused(updated)
        return self._data([self._store.redemption_json(r) for r in updated])
