"""Control API read-back: what the app sent (chat, queue adds, redemption updates, subscriptions)."""

from __future__ import annotations

from dataclasses import asdict

from .control_base import ControlHandler, ControlTargets, ok
from .http import Request, Response


def readback_routes(t: ControlTargets) -> list[tuple[str, str, ControlHandler]]:
    """The `/sent/*` and `/requests` routes (paths relative to `/_sim`)."""
    api = _ReadbackApi(t)
    return [
        ("GET", "/sent/chat", api.sent_chat),
        ("GET", "/sent/spotify-queue", api.sent_queue),
        ("GET", "/sent/redemption-updates", api.sent_updates),
        ("GET", "/sent/subscriptions", api.sent_subscriptions),
        ("GET", "/sent/shoutouts", api.sent_shoutouts),
        ("GET", "/sent/bans", api.sent_bans),
        ("GET", "/requests", api.request_counts),
        ("DELETE", "/requests", api.reset_requests),
    ]


class _ReadbackApi:
    def __init__(self, t: ControlTargets) -> None:
        self.t = t

    async def sent_chat(self, request: Request) -> Response:
        return ok(messages=[line.json() for line in self.t.channel.sent_by_app()])

    async def sent_queue(self, request: Request) -> Response:
        return ok(adds=[{"uri": f"spotify:track:{a.track_id}", **asdict(a)} for a in self.t.player.queue_adds])

    async def sent_updates(self, request: Request) -> Response:
        return ok(updates=[asdict(u) for u in self.t.rewards.updates])

    async def sent_subscriptions(self, request: Request) -> Response:
        subs = sorted(self.t.registry.subscriptions.values(), key=lambda s: s.created_at_ms)
        return ok(subscriptions=[{**s.json(), "client_id": s.client_id} for s in subs])

    async def sent_shoutouts(self, request: Request) -> Response:
        return ok(shoutouts=[asdict(s) for s in self.t.channel.shoutouts])

    async def sent_bans(self, request: Request) -> Response:
        return ok(bans=[asdict(b) for b in self.t.channel.bans.values()])

    async def request_counts(self, request: Request) -> Response:
        return ok(counts=self.t.requests.snapshot())

    async def reset_requests(self, request: Request) -> Response:
        self.t.requests.reset()
        return ok()
