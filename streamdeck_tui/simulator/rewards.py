"""Channel-point custom rewards and their redemptions, with Twitch's ownership rules."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict

from streamdeck_tui.runtime.clock import Clock

from . import eventsub_payloads as payloads
from .channel import Refusal
from .ids import rfc3339, uuid4
from .publisher import EventPublisher
from .twitch_users import TwitchUser

MAX_REWARDS = 50
MAX_TITLE = 45
MAX_PROMPT = 200
RedemptionStatus = Literal["UNFULFILLED", "FULFILLED", "CANCELED"]
_IMAGE = {
    "url_1x": "https://static-cdn.jtvnw.net/custom-reward-images/default-1.png",
    "url_2x": "https://static-cdn.jtvnw.net/custom-reward-images/default-2.png",
    "url_4x": "https://static-cdn.jtvnw.net/custom-reward-images/default-4.png",
}


class RewardFields(BaseModel):
    """The writable reward fields of Create/Update Custom Reward; absent fields are None."""

    model_config = ConfigDict(strict=True, extra="ignore")

    title: str | None = None
    cost: int | None = None
    prompt: str | None = None
    is_enabled: bool | None = None
    background_color: str | None = None
    is_user_input_required: bool | None = None
    is_max_per_stream_enabled: bool | None = None
    max_per_stream: int | None = None
    is_max_per_user_per_stream_enabled: bool | None = None
    max_per_user_per_stream: int | None = None
    is_global_cooldown_enabled: bool | None = None
    global_cooldown_seconds: int | None = None
    is_paused: bool | None = None
    should_redemptions_skip_request_queue: bool | None = None


@dataclass(slots=True)
class Reward:
    """A custom reward; `owner_client_id` None means it was made in the Twitch dashboard."""

    id: str
    owner_client_id: str | None
    title: str
    cost: int
    prompt: str = ""
    is_enabled: bool = True
    is_paused: bool = False
    background_color: str = "#9147FF"
    is_user_input_required: bool = False
    max_per_stream: tuple[bool, int] = (False, 0)
    max_per_user_per_stream: tuple[bool, int] = (False, 0)
    global_cooldown: tuple[bool, int] = (False, 0)
    skip_queue: bool = False
    redeemed_this_stream: int = 0
    cooldown_until_ms: int | None = None

    def summary(self) -> dict[str, object]:
        """The `reward` object inside redemptions."""
        return {"id": self.id, "title": self.title, "cost": self.cost, "prompt": self.prompt}


@dataclass(slots=True)
class Redemption:
    """One redemption of a reward."""

    id: str
    reward: Reward
    user: TwitchUser
    user_input: str
    status: RedemptionStatus
    redeemed_at_ms: int


@dataclass(frozen=True, slots=True)
class RedemptionUpdate:
    """A status change the app made through Helix."""

    redemption_id: str
    reward_id: str
    status: str
    client_id: str
    at_ms: int


@dataclass(slots=True)
class RewardStore:
    """Every reward and redemption of the simulated channel."""

    broadcaster: TwitchUser
    clock: Clock
    rng: random.Random
    events: EventPublisher
    rewards: dict[str, Reward] = field(default_factory=dict)
    redemptions: dict[str, Redemption] = field(default_factory=dict)
    updates: list[RedemptionUpdate] = field(default_factory=list)
    stream_started_ms: int = 0

    def create(self, client_id: str | None, fields: RewardFields) -> Reward | Refusal:
        """Create a reward owned by `client_id`."""
        if fields.title is None or fields.cost is None:
            return Refusal(400, "The title and cost fields are required.")
        if len(self.rewards) >= MAX_REWARDS:
            return Refusal(400, "The request exceeds the maximum number of rewards allowed per channel.")
        reward = Reward(uuid4(self.rng), client_id, fields.title, fields.cost)
        problem = self._apply(reward, fields)
        if problem is not None:
            return problem
        self.rewards[reward.id] = reward
        return reward

    def update(self, client_id: str, reward_id: str, fields: RewardFields) -> Reward | Refusal:
        """Update a reward; only the client that created it may."""
        reward = self.rewards.get(reward_id)
        if reward is None:
            return Refusal(404, "The custom reward specified in the id query parameter was not found.")
        if reward.owner_client_id != client_id:
            return Refusal(403, "The ID in the Client-Id header must match the client ID used to create the reward.")
        candidate = replace(reward)
        problem = self._apply(candidate, fields)
        if problem is not None:
            return problem
        self.rewards[reward_id] = candidate
        for redemption in self.redemptions.values():
            if redemption.reward.id == reward_id:
                redemption.reward = candidate
        return candidate

    def delete(self, client_id: str, reward_id: str) -> Refusal | None:
        """Delete a reward; only the client that created it may."""
        reward = self.rewards.get(reward_id)
        if reward is None:
            return Refusal(404, "The custom reward specified in the id query parameter was not found.")
        if reward.owner_client_id != client_id:
            return Refusal(403, "The ID in the Client-Id header must match the client ID used to create the reward.")
        del self.rewards[reward_id]
        return None

    def _apply(self, reward: Reward, f: RewardFields) -> Refusal | None:
        title = f.title if f.title is not None else reward.title
        if not 1 <= len(title) <= MAX_TITLE:
            return Refusal(400, f"The title must contain between 1 and {MAX_TITLE} characters.")
        if any(r.title.lower() == title.lower() and r.id != reward.id for r in self.rewards.values()):
            return Refusal(400, "CREATE_CUSTOM_REWARD_DUPLICATE_REWARD")
        cost = f.cost if f.cost is not None else reward.cost
        if cost < 1:
            return Refusal(400, "The cost field must contain a minimum of 1 point.")
        prompt = f.prompt if f.prompt is not None else reward.prompt
        if len(prompt) > MAX_PROMPT:
            return Refusal(400, f"The prompt field is limited to a maximum of {MAX_PROMPT} characters.")
        limits = {
            "max_per_stream": _pair(reward.max_per_stream, f.is_max_per_stream_enabled, f.max_per_stream),
            "max_per_user_per_stream": _pair(
                reward.max_per_user_per_stream,
                f.is_max_per_user_per_stream_enabled,
                f.max_per_user_per_stream,
            ),
            "global_cooldown_seconds": _pair(
                reward.global_cooldown, f.is_global_cooldown_enabled, f.global_cooldown_seconds
            ),
        }
        for name, (enabled, value) in limits.items():
            if enabled and value < 1:
                return Refusal(400, f"If the limit is enabled, the minimum value for {name} is 1.")
        reward.title, reward.cost, reward.prompt = title, cost, prompt
        reward.max_per_stream = limits["max_per_stream"]
        reward.max_per_user_per_stream = limits["max_per_user_per_stream"]
        reward.global_cooldown = limits["global_cooldown_seconds"]
        for name in ("is_enabled", "is_paused", "background_color", "is_user_input_required"):
            value = getattr(f, name)
            if value is not None:
                setattr(reward, name, value)
        if f.should_redemptions_skip_request_queue is not None:
            reward.skip_queue = f.should_redemptions_skip_request_queue
        return None

    def redeem(self, reward_id: str, user: TwitchUser, user_input: str) -> Redemption | Refusal:
        """A viewer redeems a reward; publishes the .add event. Paused or disabled rewards refuse."""
        reward = self.rewards.get(reward_id)
        if reward is None:
            return Refusal(404, "no such reward")
        if not reward.is_enabled or reward.is_paused:
            return Refusal(409, f"the reward {reward.title!r} is disabled or paused")
        now = self.clock.now_ms()
        if reward.cooldown_until_ms is not None and now < reward.cooldown_until_ms:
            return Refusal(409, f"the reward {reward.title!r} is on cooldown")
        if reward.max_per_stream[0] and reward.redeemed_this_stream >= reward.max_per_stream[1]:
            return Refusal(409, f"the reward {reward.title!r} is out of stock for this stream")
        if reward.max_per_user_per_stream[0]:
            mine = sum(
                1
                for r in self.redemptions.values()
                if r.reward.id == reward_id and r.user.id == user.id and r.redeemed_at_ms >= self.stream_started_ms
            )
            if mine >= reward.max_per_user_per_stream[1]:
                return Refusal(409, f"{user.login} reached the per-stream limit of {reward.title!r}")
        status: RedemptionStatus = "FULFILLED" if reward.skip_queue else "UNFULFILLED"
        redemption = Redemption(uuid4(self.rng), reward, user, user_input, status, now)
        self.redemptions[redemption.id] = redemption
        reward.redeemed_this_stream += 1
        if reward.global_cooldown[0]:
            reward.cooldown_until_ms = now + reward.global_cooldown[1] * 1000
        self._publish("channel.channel_points_custom_reward_redemption.add", redemption)
        return redemption

    def set_status(self, client_id: str, reward_id: str, ids: list[str], status: str) -> list[Redemption] | Refusal:
        """PATCH redemptions: only UNFULFILLED ones of a reward this client created."""
        if status not in ("FULFILLED", "CANCELED"):
            return Refusal(400, "The value in the status field is not valid.")
        reward = self.rewards.get(reward_id)
        if reward is None:
            return Refusal(404, "The custom reward specified in the reward_id query parameter was not found.")
        if reward.owner_client_id != client_id:
            return Refusal(403, "The ID in the Client-Id header must match the client ID used to create the reward.")
        found = [self.redemptions.get(i) for i in ids]
        targets = [r for r in found if r is not None and r.reward.id == reward_id and r.status == "UNFULFILLED"]
        if not targets:
            return Refusal(
                404,
                "The redemptions specified using the id query parameter were not found or their statuses "
                "weren't marked as UNFULFILLED.",
            )
        now = self.clock.now_ms()
        for redemption in targets:
            redemption.status = "FULFILLED" if status == "FULFILLED" else "CANCELED"
            self.updates.append(RedemptionUpdate(redemption.id, reward_id, status, client_id, now))
            self._publish("channel.channel_points_custom_reward_redemption.update", redemption)
        return targets

    def _publish(self, sub_type: str, redemption: Redemption) -> None:
        event = payloads.redemption_event(
            self.broadcaster,
            redemption.id,
            redemption.user,
            redemption.user_input,
            redemption.status,
            redemption.reward.summary(),
            redemption.redeemed_at_ms,
        )
        broadcaster_id, reward_id = self.broadcaster.id, redemption.reward.id
        self.events.publish(
            sub_type,
            event,
            lambda c: c.get("broadcaster_user_id") == broadcaster_id and c.get("reward_id", reward_id) == reward_id,
        )

    def reset_stream_counters(self) -> None:
        """A new stream starts: per-stream counts go back to zero."""
        self.stream_started_ms = self.clock.now_ms()
        for reward in self.rewards.values():
            reward.redeemed_this_stream = 0

    def reward_json(self, reward: Reward) -> dict[str, object]:
        """The Helix `CustomReward` object."""
        b = self.broadcaster
        now = self.clock.now_ms()
        in_cooldown = reward.cooldown_until_ms is not None and reward.cooldown_until_ms > now
        out_of_stock = reward.max_per_stream[0] and reward.redeemed_this_stream >= reward.max_per_stream[1]
        return {
            "broadcaster_id": b.id,
            "broadcaster_login": b.login,
            "broadcaster_name": b.display_name,
            "id": reward.id,
            "title": reward.title,
            "prompt": reward.prompt,
            "cost": reward.cost,
            "image": dict(_IMAGE),
            "default_image": dict(_IMAGE),
            "background_color": reward.background_color,
            "is_enabled": reward.is_enabled,
            "is_user_input_required": reward.is_user_input_required,
            "max_per_stream_setting": {
                "is_enabled": reward.max_per_stream[0],
                "max_per_stream": reward.max_per_stream[1],
            },
            "max_per_user_per_stream_setting": {
                "is_enabled": reward.max_per_user_per_stream[0],
                "max_per_user_per_stream": reward.max_per_user_per_stream[1],
            },
            "global_cooldown_setting": {
                "is_enabled": reward.global_cooldown[0],
                "global_cooldown_seconds": reward.global_cooldown[1],
            },
            "is_paused": reward.is_paused,
            "is_in_stock": not out_of_stock,
            "should_redemptions_skip_request_queue": reward.skip_queue,
            "redemptions_redeemed_current_stream": (reward.redeemed_this_stream if reward.max_per_stream[0] else None),
            "cooldown_expires_at": rfc3339(reward.cooldown_until_ms)
            if in_cooldown and reward.cooldown_until_ms
            else None,
        }

    def redemption_json(self, redemption: Redemption) -> dict[str, object]:
        """The Helix `CustomRewardRedemption` object."""
        b = self.broadcaster
        return {
            "broadcaster_id": b.id,
            "broadcaster_login": b.login,
            "broadcaster_name": b.display_name,
            "id": redemption.id,
            "user_id": redemption.user.id,
            "user_name": redemption.user.display_name,
            "user_login": redemption.user.login,
            "reward": redemption.reward.summary(),
            "user_input": redemption.user_input,
            "status": redemption.status,
            "redeemed_at": rfc3339(redemption.redeemed_at_ms),
        }


def _pair(current: tuple[bool, int], enabled: bool | None, value: int | None) -> tuple[bool, int]:
    return (current[0] if enabled is None else enabled, current[1] if value is None else value)
