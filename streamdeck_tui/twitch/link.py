"""The Twitch link: who we are, the EventSub session and its subscriptions, and where notifications go."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Final

from ..components.eventsub_inbox import EventSubInbox
from ..components.stream_lifecycle import LiveStream, StreamLifecycle
from ..feed import ActivitySeen, LinkChanged
from ..runtime.clock import Clock
from ..runtime.hub import Hub
from ..runtime.result import Err, Ok, Result, TaggedError
from .eventsub import EventSubClient, LinkState, Notification
from .helix import HelixClient, HelixError
from .models import Subscription, User

log = logging.getLogger("streamdeck_tui.twitch")


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """One EventSub subscription the console needs."""

    type: str
    version: str
    condition_keys: tuple[str, ...]


# What the console subscribes to on every new session (platform facts §2.1).
SUBSCRIPTIONS: Final = (
    SubscriptionSpec("stream.online", "1", ("broadcaster_user_id",)),
    SubscriptionSpec("stream.offline", "1", ("broadcaster_user_id",)),
    SubscriptionSpec("channel.channel_points_custom_reward_redemption.add", "1", ("broadcaster_user_id",)),
    SubscriptionSpec("channel.channel_points_custom_reward_redemption.update", "1", ("broadcaster_user_id",)),
    SubscriptionSpec("channel.chat.message", "1", ("broadcaster_user_id", "user_id")),
    SubscriptionSpec("channel.raid", "1", ("to_broadcaster_user_id",)),
    SubscriptionSpec("channel.follow", "2", ("broadcaster_user_id", "moderator_user_id")),
    SubscriptionSpec("channel.update", "2", ("broadcaster_user_id",)),
)


@dataclass(frozen=True, slots=True)
class LiveStreamLookupFailed(TaggedError):
    """Helix could not say whether the channel is live."""

    tag = "LiveStreamLookupFailed"
    detail: str


class TwitchLink:
    """Implements the EventSub listener; owns the socket task."""

    def __init__(
        self,
        helix: HelixClient,
        eventsub_url: str,
        lifecycle: StreamLifecycle,
        inbox: EventSubInbox,
        hub: Hub,
        clock: Clock,
    ) -> None:
        self.helix = helix
        self.lifecycle = lifecycle
        self.inbox = inbox
        self.hub = hub
        self.clock = clock
        self.me: User | None = None
        self.client = EventSubClient(eventsub_url, self, clock)
        self.subscriptions: dict[str, Subscription] = {}
        self.link_state = LinkState.DISCONNECTED
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Result[User, HelixError]:
        """Find out who we are, reconcile the stream, then keep the EventSub session alive."""
        me = await self.helix.get_me()
        if isinstance(me, Err):
            return me
        self.me = me.value
        self.lifecycle.attach_source(self.current_stream)
        await self._reconcile()
        self._task = asyncio.create_task(self.client.run(), name="eventsub")
        return me

    async def stop(self) -> None:
        """Close the socket."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def current_stream(self) -> Result[LiveStream | None, TaggedError]:
        """Helix Get Streams for our channel."""
        assert self.me is not None
        got = await self.helix.get_stream(self.me.id)
        if isinstance(got, Err):
            return Err(LiveStreamLookupFailed(got.error.message()))
        s = got.value
        if s is None:
            return Ok(None)
        return Ok(LiveStream(s.id, int(s.started_at.timestamp() * 1000), s.viewer_count, s.title))

    async def _reconcile(self) -> None:
        got = await self.current_stream()
        if isinstance(got, Err):
            log.warning("could not reconcile stream state: %s", got.error.message())
            return
        await self.lifecycle.reconcile(got.value)

    # -- EventSubListener ------------------------------------------------------------------------------------

    async def on_session(self, session_id: str) -> None:
        """Create every subscription on the new session, then catch up on what we missed."""
        assert self.me is not None
        self.subscriptions.clear()
        values = {
            "broadcaster_user_id": self.me.id,
            "to_broadcaster_user_id": self.me.id,
            "user_id": self.me.id,
            "moderator_user_id": self.me.id,
        }
        for spec in SUBSCRIPTIONS:
            condition = {k: values[k] for k in spec.condition_keys}
            made = await self.helix.create_subscription(spec.type, spec.version, condition, session_id)
            if isinstance(made, Err):
                log.warning("subscribing to %s failed: %s", spec.type, made.error.message())
                self._activity("subscription", f"could not subscribe to {spec.type}: {made.error.message()}")
                continue
            self.subscriptions[spec.type] = made.value
        # Twitch does not replay what happened while we were away.
        await self._reconcile()

    async def on_notification(self, notification: Notification) -> None:
        """Store first; the inbox processes it (and refuses stale or conflicting ones)."""
        await self.inbox.accept(notification)

    async def on_revocation(self, subscription: Subscription) -> None:
        """Show it; nothing more arrives for that type until the next session."""
        self.subscriptions.pop(subscription.type, None)
        self._activity("revocation", f"Twitch revoked {subscription.type} ({subscription.status})")

    def on_link(self, state: LinkState, detail: str) -> None:
        """Publish the link state for the header and the event log."""
        self.link_state = state
        self.hub.publish(LinkChanged(self.clock.now_ms(), state.value, detail))

    def _activity(self, kind: str, text: str) -> None:
        self.hub.publish(ActivitySeen(self.clock.now_ms(), kind, text))
