"""The control API under `/_sim/`: drive the channel, approve logins, plan faults, read back app calls."""

from __future__ import annotations

from collections.abc import Callable

from . import control_models as m
from .channel import Refusal
from .control_base import ControlHandler, ControlTargets, ok, parse_body
from .control_readback import readback_routes
from .errors import control_error
from .http import Request, Response
from .rewards import RewardFields
from .routing import Router
from .twitch_users import TwitchUser


def build_control_router(t: ControlTargets) -> Router:
    """Every control route, mounted at `/_sim`."""
    api = _ControlApi(t)
    router = Router()
    routes: list[tuple[str, str, ControlHandler]] = [
        ("GET", "", api.index),
        ("GET", "/state", api.state),
        ("POST", "/chat", api.chat),
        ("POST", "/redemptions", api.redemption),
        ("POST", "/stream/online", api.online),
        ("POST", "/stream/offline", api.offline),
        ("POST", "/raid", api.raid),
        ("POST", "/follow", api.follow),
        ("PUT", "/viewers", api.viewers),
        ("GET", "/twitch/device", api.devices),
        ("POST", "/twitch/device/approve", api.approve_device),
        ("POST", "/twitch/device/deny", api.deny_device),
        ("POST", "/twitch/tokens", api.twitch_token),
        ("POST", "/twitch/tokens/revoke", api.twitch_revoke),
        ("POST", "/twitch/tokens/expire", api.twitch_expire),
        ("GET", "/spotify/consents", api.consents),
        ("POST", "/spotify/consents/approve", api.approve_consent),
        ("POST", "/spotify/consents/deny", api.deny_consent),
        ("POST", "/spotify/tokens", api.spotify_token),
        ("POST", "/spotify/tokens/revoke", api.spotify_revoke),
        ("POST", "/spotify/tokens/expire", api.spotify_expire),
        ("POST", "/tokens/expire", api.expire_everything),
        ("PUT", "/spotify/player", api.player),
        ("GET", "/faults", api.faults),
        ("DELETE", "/faults", api.clear_faults),
        ("POST", "/faults/fail", api.fail),
        ("POST", "/faults/latency", api.latency),
        ("POST", "/faults/ws-drop", api.ws_drop),
        ("POST", "/faults/ws-duplicate", api.ws_duplicate),
        ("POST", "/eventsub/raw", api.raw_frame),
        ("GET", "/eventsub/sessions", api.sessions),
        ("POST", "/eventsub/reconnect", api.reconnect),
        ("POST", "/eventsub/revoke", api.revoke_subscription),
        ("POST", "/audience/start", api.audience_start),
        ("POST", "/audience/stop", api.audience_stop),
    ]
    routes += readback_routes(t)
    for method, path, handler in routes:
        router.add(method, f"/_sim{path}", handler)
    api.index_routes = [f"{method} /_sim{path}" for method, path, _ in routes]
    return router


class _ControlApi:
    def __init__(self, t: ControlTargets) -> None:
        self.t = t
        self.index_routes: list[str] = []

    def _user(self, login: str | None) -> TwitchUser:
        channel = self.t.channel
        if login is not None:
            return channel.users.ensure(login, self.t.rng)
        return self.t.rng.choice(channel.users.viewers)

    async def index(self, request: Request) -> Response:
        return ok(routes=self.index_routes)

    async def state(self, request: Request) -> Response:
        t = self.t
        player = t.player.state()
        return ok(
            live=t.channel.stream.live,
            viewer_count=t.channel.stream.viewer_count,
            broadcaster=t.channel.broadcaster.helix_json(),
            rewards=[t.rewards.reward_json(r) for r in t.rewards.rewards.values()],
            sessions=t.eventsub.sessions(),
            notifications_sent=dict(t.eventsub.notifications_sent),
            audience={
                "running": t.audience.running,
                "speed": t.audience.speed,
                "stats": dict(t.audience.stats),
            },
            spotify={
                "device_active": t.player.device_active,
                "premium": t.player.premium,
                "is_playing": player.is_playing,
                "track_id": player.track.id if player.track else None,
                "progress_ms": player.progress_ms,
            },
        )

    async def chat(self, request: Request) -> Response:
        body = parse_body(request, m.ChatIn)
        if isinstance(body, Response):
            return body
        line = self.t.channel.viewer_says(self._user(body.user), body.text)
        return ok(message=line.json())

    async def redemption(self, request: Request) -> Response:
        body = parse_body(request, m.RedemptionIn)
        if isinstance(body, Response):
            return body
        store = self.t.rewards
        reward = store.rewards.get(body.reward_id) if body.reward_id else None
        if reward is None and body.reward_title is not None:
            title = body.reward_title.lower()
            reward = next((r for r in store.rewards.values() if r.title.lower() == title), None)
            if reward is None:
                created = store.create(None, RewardFields(title=body.reward_title, cost=100))
                if isinstance(created, Refusal):
                    return control_error(409, created.message)
                reward = created
        if reward is None:
            return control_error(404, "give reward_id of an existing reward, or reward_title")
        result = store.redeem(reward.id, self._user(body.user), body.user_input)
        if isinstance(result, Refusal):
            return control_error(409, result.message)
        return ok(redemption=store.redemption_json(result))

    async def online(self, request: Request) -> Response:
        body = parse_body(request, m.OnlineIn)
        if isinstance(body, Response):
            return body
        changed = self.t.channel.go_live(body.viewer_count)
        if changed:
            self.t.rewards.reset_stream_counters()
        return ok(changed=changed)

    async def offline(self, request: Request) -> Response:
        return ok(changed=self.t.channel.go_offline())

    async def raid(self, request: Request) -> Response:
        body = parse_body(request, m.RaidIn)
        if isinstance(body, Response):
            return body
        raiders = self.t.channel.users.raiders
        known = next((r for r in raiders if body.from_login and r.user.login == body.from_login.lower()), None)
        if body.from_login and known is None:
            user = self.t.channel.users.ensure(body.from_login, self.t.rng)
            viewers = body.viewers if body.viewers is not None else 10
        else:
            chosen = known or self.t.rng.choice(raiders)
            user, viewers = chosen.user, body.viewers if body.viewers is not None else chosen.viewers
        self.t.channel.raid(user, viewers)
        return ok(from_login=user.login, viewers=viewers)

    async def follow(self, request: Request) -> Response:
        body = parse_body(request, m.UserIn)
        if isinstance(body, Response):
            return body
        user = self._user(body.user)
        self.t.channel.follow(user)
        return ok(user=user.login)

    async def viewers(self, request: Request) -> Response:
        body = parse_body(request, m.ViewersIn)
        if isinstance(body, Response):
            return body
        self.t.channel.set_viewers(body.count)
        return ok(viewer_count=self.t.channel.stream.viewer_count)

    async def devices(self, request: Request) -> Response:
        return ok(pending=[d.json() for d in self.t.tokens.pending()])

    async def approve_device(self, request: Request) -> Response:
        body = parse_body(request, m.DeviceDecisionIn)
        if isinstance(body, Response):
            return body
        if body.login is not None and self.t.channel.users.by_login(body.login) is None:
            return control_error(404, f"no user with login {body.login!r}")
        done = self.t.tokens.approve(body.user_code, body.login)
        if body.user_code is not None and not done:
            return control_error(404, f"no pending device code {body.user_code!r}")
        return ok(approved=[d.user_code for d in done])

    async def deny_device(self, request: Request) -> Response:
        body = parse_body(request, m.DeviceDecisionIn)
        if isinstance(body, Response):
            return body
        done = self.t.tokens.deny(body.user_code)
        if body.user_code is not None and not done:
            return control_error(404, f"no pending device code {body.user_code!r}")
        return ok(denied=[d.user_code for d in done])

    async def twitch_token(self, request: Request) -> Response:
        body = parse_body(request, m.TwitchTokenIn)
        if isinstance(body, Response):
            return body
        users = self.t.channel.users
        user = users.by_login(body.login) if body.login else users.broadcaster
        if user is None:
            return control_error(404, f"no user with login {body.login!r}")
        issued = self.t.tokens.issue(body.client_id, tuple(body.scopes), user)
        return ok(**issued.json(), user_id=user.id, login=user.login)

    async def twitch_revoke(self, request: Request) -> Response:
        body = parse_body(request, m.RevokeIn)
        if isinstance(body, Response):
            return body
        return ok(revoked=self.t.tokens.revoke_where(body.token, body.client_id))

    async def twitch_expire(self, request: Request) -> Response:
        return ok(expired=self.t.tokens.expire_all())

    async def expire_everything(self, request: Request) -> Response:
        return ok(twitch=self.t.tokens.expire_all(), spotify=self.t.accounts.expire_all())

    async def consents(self, request: Request) -> Response:
        return ok(pending=[c.json() for c in self.t.accounts.pending()])

    async def approve_consent(self, request: Request) -> Response:
        body = parse_body(request, m.ConsentIn)
        if isinstance(body, Response):
            return body
        return ok(approved=self.t.accounts.decide(True, body.id))

    async def deny_consent(self, request: Request) -> Response:
        body = parse_body(request, m.ConsentIn)
        if isinstance(body, Response):
            return body
        return ok(denied=self.t.accounts.decide(False, body.id))

    async def spotify_token(self, request: Request) -> Response:
        body = parse_body(request, m.SpotifyTokenIn)
        if isinstance(body, Response):
            return body
        return ok(**self.t.accounts.issue(body.client_id, tuple(body.scopes)))

    async def spotify_revoke(self, request: Request) -> Response:
        return ok(revoked=self.t.accounts.revoke_all())

    async def spotify_expire(self, request: Request) -> Response:
        return ok(expired=self.t.accounts.expire_all())

    async def player(self, request: Request) -> Response:
        body = parse_body(request, m.PlayerIn)
        if isinstance(body, Response):
            return body
        player = self.t.player
        if body.device_active is not None:
            player.device_active = body.device_active
        if body.premium is not None:
            player.premium = body.premium
        actions: dict[str, Callable[[], object]] = {
            "play": player.play,
            "pause": player.pause,
            "stop": player.stop,
            "next": player.skip,
        }
        if body.action is not None:
            actions[body.action]()
        state = player.state()
        return ok(is_playing=state.is_playing, track_id=state.track.id if state.track else None)

    async def faults(self, request: Request) -> Response:
        return ok(**self.t.faults.snapshot())

    async def clear_faults(self, request: Request) -> Response:
        self.t.faults.clear()
        return ok()

    async def fail(self, request: Request) -> Response:
        body = parse_body(request, m.FailIn)
        if isinstance(body, Response):
            return body
        self.t.faults.fail_next(
            body.endpoint,
            body.status,
            body.count,
            retry_after_s=body.retry_after,
            reason=body.reason,
            message=body.message,
        )
        return ok(**self.t.faults.snapshot())

    async def latency(self, request: Request) -> Response:
        body = parse_body(request, m.LatencyIn)
        if isinstance(body, Response):
            return body
        self.t.faults.set_latency(body.endpoint, body.ms)
        return ok(**self.t.faults.snapshot())

    async def ws_drop(self, request: Request) -> Response:
        body = parse_body(request, m.WsDropIn)
        if isinstance(body, Response):
            return body
        return ok(dropped=self.t.eventsub.drop(body.session_id, body.code))

    async def ws_duplicate(self, request: Request) -> Response:
        body = parse_body(request, m.CountIn)
        if isinstance(body, Response):
            return body
        self.t.faults.duplicate_next_frames(body.count)
        return ok(**self.t.faults.snapshot())

    async def raw_frame(self, request: Request) -> Response:
        body = parse_body(request, m.RawFrameIn)
        if isinstance(body, Response):
            return body
        if (body.text is None) == (body.size is None):
            return control_error(400, "give exactly one of text or size")
        text = body.text if body.text is not None else "x" * (body.size or 0)
        return ok(sent=self.t.eventsub.send_raw(text, body.session_id))

    async def sessions(self, request: Request) -> Response:
        return ok(sessions=self.t.eventsub.sessions())

    async def reconnect(self, request: Request) -> Response:
        body = parse_body(request, m.SessionIn)
        if isinstance(body, Response):
            return body
        return ok(reconnect_urls=self.t.eventsub.request_reconnect(body.session_id))

    async def revoke_subscription(self, request: Request) -> Response:
        body = parse_body(request, m.RevokeSubscriptionIn)
        if isinstance(body, Response):
            return body
        sub = self.t.eventsub.revoke(body.subscription_id, body.status)
        if sub is None:
            return control_error(404, "no enabled subscription with that id")
        return ok(subscription=sub.json())

    async def audience_start(self, request: Request) -> Response:
        body = parse_body(request, m.AudienceIn)
        if isinstance(body, Response):
            return body
        if body.speed is not None:
            self.t.audience.speed = body.speed
        self.t.audience.start()
        return ok(running=True, speed=self.t.audience.speed)

    async def audience_stop(self, request: Request) -> Response:
        await self.t.audience.stop()
        return ok(running=False)
