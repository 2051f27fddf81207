"""What the control API's handlers share: the state they steer, body parsing and the reply shape."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .audience import Audience
from .channel import Channel
from .errors import control_error
from .eventsub import EventSubServer
from .eventsub_subscriptions import SubscriptionRegistry
from .faults import Faults
from .http import BodyError, Request, Response, json_response
from .playback import PlaybackModel
from .request_counter import RequestCounter
from .rewards import RewardStore
from .spotify_accounts import SpotifyAccounts
from .twitch_tokens import TwitchTokens

B = TypeVar("B", bound=BaseModel)
ControlHandler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class ControlTargets:
    """Everything the control API can steer or read."""

    channel: Channel
    rewards: RewardStore
    tokens: TwitchTokens
    accounts: SpotifyAccounts
    player: PlaybackModel
    eventsub: EventSubServer
    registry: SubscriptionRegistry
    faults: Faults
    requests: RequestCounter
    audience: Audience
    rng: random.Random


def ok(**payload: object) -> Response:
    """`{"ok": true, …payload}`."""
    return json_response(200, {"ok": True, **payload})


def parse_body(request: Request, model: type[B]) -> B | Response:
    """Parse the JSON body (empty means `{}`) into `model`, or a 400/422 saying what is wrong."""
    raw: object = {}
    if request.body.strip():
        parsed = request.json()
        if isinstance(parsed, BodyError):
            return control_error(400, parsed.message)
        raw = parsed
    if not isinstance(raw, dict):
        return control_error(400, "the body must be a JSON object")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        return control_error(422, problems)
