"""Helix `/helix/eventsub/subscriptions`: create, list and delete WebSocket subscriptions."""

from __future__ import annotations

from pydantic import ValidationError

from .errors import helix_error
from .eventsub import EventSubServer
from .eventsub_subscriptions import (
    MAX_TOTAL_COST,
    CreateSubscriptionBody,
    Subscription,
    SubscriptionRefusal,
    SubscriptionRegistry,
)
from .helix import validation_message
from .helix_gate import Caller, HelixGate
from .http import BodyError, Request, Response, empty_response, json_response
from .routing import Router

_PATH = "/helix/eventsub/subscriptions"
_FILTERS = ("status", "type", "user_id", "subscription_id")


def add_eventsub_routes(
    router: Router, gate: HelixGate, registry: SubscriptionRegistry, server: EventSubServer
) -> None:
    """Register the three subscription routes."""
    api = _SubscriptionsApi(registry, server)
    router.add("POST", _PATH, gate.protect(api.create))
    router.add("GET", _PATH, gate.protect(api.list))
    router.add("DELETE", _PATH, gate.protect(api.delete))


class _SubscriptionsApi:
    def __init__(self, registry: SubscriptionRegistry, server: EventSubServer) -> None:
        self._registry = registry
        self._server = server

    def _totals(self, caller: Caller) -> dict[str, object]:
        mine = self._registry.owned_by(caller.client_id, caller.user.id)
        return {
            "total": len(mine),
            "total_cost": sum(s.cost for s in mine if s.status == "enabled"),
            "max_total_cost": MAX_TOTAL_COST,
        }

    async def create(self, request: Request, caller: Caller) -> Response:
        raw = request.json()
        if isinstance(raw, BodyError):
            return helix_error(400, raw.message)
        try:
            body = CreateSubscriptionBody.model_validate(raw)
        except ValidationError as exc:
            return helix_error(400, validation_message(exc))
        created = self._registry.create(
            caller.client_id, caller.user.id, caller.scopes, body, self._server.live_session_connected_at
        )
        if isinstance(created, SubscriptionRefusal):
            return helix_error(created.status, created.message)
        return json_response(202, {"data": [created.json()], **self._totals(caller)})

    async def list(self, request: Request, caller: Caller) -> Response:
        given = {name: request.arg(name) for name in _FILTERS if request.arg(name)}
        if len(given) > 1:
            return helix_error(400, "The status, type, user_id and subscription_id filters are mutually exclusive.")
        subs = self._registry.owned_by(caller.client_id, caller.user.id)
        subs = [s for s in subs if _passes(s, given)]
        return json_response(200, {"data": [s.json() for s in subs], **self._totals(caller), "pagination": {}})

    async def delete(self, request: Request, caller: Caller) -> Response:
        sub_id = request.arg("id")
        if not sub_id:
            return helix_error(400, "The id query parameter is required.")
        if not self._registry.delete(caller.client_id, caller.user.id, sub_id):
            return helix_error(404, "The subscription was not found.")
        return empty_response(204)


def _passes(sub: Subscription, given: dict[str, str | None]) -> bool:
    if "status" in given:
        return sub.status == given["status"]
    if "type" in given:
        return sub.type == given["type"]
    if "user_id" in given:
        return given["user_id"] in sub.condition.values()
    if "subscription_id" in given:
        return sub.id == given["subscription_id"]
    return True
