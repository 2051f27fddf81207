"""From the inbox to the consumers: stream events to StreamLifecycle, the rest to the console for now."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from ..chat_commands import ChatCommands
from ..components.channel_rewards import ChannelRewards
from ..components.stream_lifecycle import StreamLifecycle
from ..components.workflow_pool import WorkflowPool
from ..feed import ActivitySeen, ChatSeen, RedemptionSeen
from ..runtime.clock import Clock
from ..runtime.hub import Hub
from ..runtime.result import Err, Ok, Result, TaggedError
from ..workflows.keyboard_raffle import KeyboardRaffleWorkflow, RaffleParams
from ..workflows.raid_shoutout import RaidParams, RaidShoutout
from ..workflows.song_request import SongParams, SongRequestWorkflow
from .eventsub import Notification
from .eventsub_models import (
    ChatMessageEvent,
    FollowEvent,
    RaidEvent,
    RedemptionEvent,
    StreamOnlineEvent,
)

log = logging.getLogger("streamdeck_tui.router")


@dataclass
class RouterStats:
    """What was routed where, and what could not be read."""

    routed: int = 0
    unreadable: int = 0
    unknown: int = 0


class IngressRouter:
    """Idempotent routing: the inbox may hand the same notification over again after a crash."""

    def __init__(
        self,
        lifecycle: StreamLifecycle | None,
        hub: Hub,
        clock: Clock,
        pool: WorkflowPool | None = None,
        rewards: ChannelRewards | None = None,
        commands: ChatCommands | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.pool = pool
        self.rewards = rewards
        self.commands = commands
        self.hub = hub
        self.clock = clock
        self.stats = RouterStats()

    async def route(self, n: Notification) -> Result[None, TaggedError]:
        """Hand one stored notification to its consumer."""
        try:
            await self._route(n)
        except ValidationError as exc:
            # A payload that will never parse is not retried: counted, logged, shown.
            self.stats.unreadable += 1
            log.warning("unreadable %s: %s", n.type, exc.errors()[0]["msg"])
            self.hub.publish(ActivitySeen(self.clock.now_ms(), "ingress", f"ignored an unreadable {n.type}"))
            return Ok(None)
        self.stats.routed += 1
        return Ok(None)

    async def _start_redemption(self, r: RedemptionEvent, at_ms: int) -> None:
        if self.rewards is None or self.pool is None or r.status != "unfulfilled":
            return
        purpose = await self.rewards.purpose_of(r.reward.id)
        if purpose == "raffle":
            params = RaffleParams(
                roll_id=f"redemption:{r.id}",
                broadcaster_id=r.broadcaster_user_id,
                user_id=r.user_id,
                display_name=r.user_name,
                rolled_ms=int(r.redeemed_at.timestamp() * 1000),
                source="redemption",
                reward_id=r.reward.id,
                redemption_id=r.id,
            )
            started = await self.pool.start_run(
                KeyboardRaffleWorkflow.kind, f"raffle:{r.id}", params, order_key=f"viewer:{r.user_id}"
            )
            if isinstance(started, Err):
                log.warning("raffle workflow not started: %s", started.error.message())
        elif purpose == "song_request":
            song = SongParams(
                request_id=f"redemption:{r.id}",
                broadcaster_id=r.broadcaster_user_id,
                user_id=r.user_id,
                user_login=r.user_login,
                display_name=r.user_name,
                user_input=r.user_input[:20_000],  # longer is refused by the parser, and refunded
                requested_ms=int(r.redeemed_at.timestamp() * 1000),
                source="redemption",
                reward_id=r.reward.id,
                redemption_id=r.id,
            )
            started = await self.pool.start_run(
                SongRequestWorkflow.kind, f"song:{r.id}", song, order_key=f"viewer:{r.user_id}"
            )
            if isinstance(started, Err):
                log.warning("song-request workflow not started: %s", started.error.message())

    async def _route(self, n: Notification) -> None:
        at = n.timestamp_ms
        match n.type:
            case "stream.online":
                online = StreamOnlineEvent.model_validate(n.event)
                if self.lifecycle is not None:
                    await self.lifecycle.went_online(online.id, int(online.started_at.timestamp() * 1000), at)
            case "stream.offline":
                if self.lifecycle is not None:
                    await self.lifecycle.went_offline(at)
            case "channel.chat.message":
                chat = ChatMessageEvent.model_validate(n.event)
                self.hub.publish(
                    ChatSeen(
                        at,
                        chat.chatter_user_login,
                        chat.chatter_user_name,
                        chat.message.text,
                        tuple(b.set_id for b in chat.badges),
                    )
                )
                if self.commands is not None:
                    # A reply is sent at most once per chat message: the inbox stores each message once.
                    await self.commands.handle(chat)
            case "channel.channel_points_custom_reward_redemption.add":
                r = RedemptionEvent.model_validate(n.event)
                self.hub.publish(
                    RedemptionSeen(at, r.id, r.user_login, r.user_name, r.reward.title, r.user_input, r.status)
                )
                await self._start_redemption(r, at)
            case "channel.raid":
                raid = RaidEvent.model_validate(n.event)
                self.hub.publish(
                    ActivitySeen(at, "raid", f"{raid.from_broadcaster_user_name} raided with {raid.viewers} viewers")
                )
                if self.pool is not None:
                    params = RaidParams(
                        message_id=n.message_id,
                        broadcaster_id=raid.to_broadcaster_user_id,
                        raider_id=raid.from_broadcaster_user_id,
                        raider_login=raid.from_broadcaster_user_login,
                        raider_name=raid.from_broadcaster_user_name,
                        viewers=raid.viewers,
                    )
                    # The message id is the run id: a redelivered raid is the same run, never a second thanks.
                    started = await self.pool.start_run(
                        RaidShoutout.kind, f"raid:{n.message_id}", params, order_key="raid"
                    )
                    if isinstance(started, Err):
                        log.warning("raid workflow not started: %s", started.error.message())
            case "channel.follow":
                follow = FollowEvent.model_validate(n.event)
                self.hub.publish(ActivitySeen(at, "follow", f"{follow.user_name} followed"))
            case "channel.channel_points_custom_reward_redemption.update":
                # Mostly the echo of our own FULFILLED/CANCELED; the workflow already reported the outcome.
                log.debug("redemption update %s", n.message_id)
            case "channel.update":
                self.hub.publish(ActivitySeen(at, "channel", "title or category changed"))
            case _:
                self.stats.unknown += 1
                self.hub.publish(ActivitySeen(at, n.type, "received (not handled yet)"))
