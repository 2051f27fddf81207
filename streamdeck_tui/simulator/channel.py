"""The simulated channel: stream state, chat, follows, raids, bans and shoutouts, announced over EventSub."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from streamdeck_tui.runtime.clock import Clock

from . import eventsub_payloads as payloads
from .ids import numeric_id, uuid4
from .publisher import EventPublisher, broadcaster_is
from .twitch_users import TwitchUser, UserDirectory

MAX_CHAT_CHARS = 500
DUPLICATE_WINDOW_MS = 30_000
SHOUTOUT_GLOBAL_MS = 2 * 60_000
SHOUTOUT_SAME_TARGET_MS = 60 * 60_000


@dataclass(slots=True)
class StreamState:
    """What Get Streams reports while live."""

    live: bool = False
    stream_id: str = ""
    started_at_ms: int = 0
    viewer_count: int = 0
    title: str = "Building a stream console in the terminal"
    game_id: str = "1469308723"
    game_name: str = "Software and Game Development"
    language: str = "en"
    tags: list[str] = field(default_factory=lambda: ["English", "Python", "Simulated"])


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One chat message; `from_app` marks lines sent through Helix (what the console said)."""

    message_id: str
    sender: TwitchUser
    text: str
    at_ms: int
    from_app: bool
    is_sent: bool = True
    drop_reason: str | None = None
    reply_parent_message_id: str | None = None

    def json(self) -> dict[str, object]:
        """JSON for the control API's read-back."""
        return {
            "message_id": self.message_id,
            "sender_id": self.sender.id,
            "sender_login": self.sender.login,
            "text": self.text,
            "at_ms": self.at_ms,
            "is_sent": self.is_sent,
            "drop_reason": self.drop_reason,
            "reply_parent_message_id": self.reply_parent_message_id,
        }


@dataclass(frozen=True, slots=True)
class Ban:
    """A ban (end_ms None) or a timeout."""

    user_id: str
    moderator_id: str
    reason: str
    created_at_ms: int
    end_ms: int | None


@dataclass(frozen=True, slots=True)
class Shoutout:
    """A shoutout the app sent."""

    from_id: str
    to_id: str
    moderator_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the channel refused an action, with the HTTP status Helix uses for it."""

    status: int
    message: str


class Channel:
    """The broadcaster's channel. Every change that Twitch would announce is published to EventSub."""

    def __init__(self, users: UserDirectory, clock: Clock, rng: random.Random, events: EventPublisher) -> None:
        self.users = users
        self.stream = StreamState()
        self.chat: list[ChatLine] = []
        self.bans: dict[str, Ban] = {}
        self.shoutouts: list[Shoutout] = []
        self.followers: list[tuple[TwitchUser, int]] = []
        self._clock = clock
        self._rng = rng
        self._events = events

    @property
    def broadcaster(self) -> TwitchUser:
        """The channel owner."""
        return self.users.broadcaster

    def go_live(self, viewer_count: int | None = None) -> bool:
        """Start the stream (no-op when live); publishes stream.online. True if it changed."""
        if self.stream.live:
            return False
        now = self._clock.now_ms()
        self.stream.live = True
        self.stream.stream_id = numeric_id(self._rng, 11)
        self.stream.started_at_ms = now
        self.stream.viewer_count = viewer_count if viewer_count is not None else max(self.stream.viewer_count, 3)
        event = payloads.stream_online_event(self.broadcaster, self.stream.stream_id, now)
        self._events.publish("stream.online", event, broadcaster_is(self.broadcaster.id))
        return True

    def go_offline(self) -> bool:
        """End the stream (no-op when offline); publishes stream.offline. True if it changed."""
        if not self.stream.live:
            return False
        self.stream.live = False
        self.stream.viewer_count = 0
        event = payloads.stream_offline_event(self.broadcaster)
        self._events.publish("stream.offline", event, broadcaster_is(self.broadcaster.id))
        return True

    def set_viewers(self, count: int) -> None:
        """Set the viewer count Get Streams reports."""
        self.stream.viewer_count = max(0, count)

    def viewer_says(self, user: TwitchUser, text: str) -> ChatLine:
        """A viewer's chat message; publishes channel.chat.message."""
        line = ChatLine(uuid4(self._rng), user, text, self._clock.now_ms(), from_app=False)
        self._append_and_publish(line)
        return line

    def app_says(self, sender: TwitchUser, text: str, reply_to: str | None = None) -> ChatLine:
        """A message sent through Helix. Twitch drops a repeat of the sender's last line within 30 s."""
        now = self._clock.now_ms()
        drop: str | None = None
        if sender.id in self.bans:
            drop = "user_banned"
        else:
            previous = next((c for c in reversed(self.chat) if c.sender.id == sender.id and c.is_sent), None)
            if previous is not None and previous.text == text and now - previous.at_ms < DUPLICATE_WINDOW_MS:
                drop = "msg_duplicate"
        line = ChatLine(uuid4(self._rng), sender, text, now, True, drop is None, drop, reply_to)
        if drop is None:
            self._append_and_publish(line)
        else:
            self.chat.append(line)
        return line

    def _append_and_publish(self, line: ChatLine) -> None:
        self.chat.append(line)
        event = payloads.chat_message_event(self.broadcaster, line.sender, line.message_id, line.text)
        self._events.publish(
            "channel.chat.message",
            event,
            lambda c: c.get("broadcaster_user_id") == self.broadcaster.id,
        )

    def sent_by_app(self) -> list[ChatLine]:
        """Chat lines the console sent, in order."""
        return [line for line in self.chat if line.from_app]

    def raid(self, raider: TwitchUser, viewers: int) -> None:
        """Another channel raids this one; publishes channel.raid and adds the raiders to the count."""
        self.stream.viewer_count += max(0, viewers)
        event = payloads.raid_event(raider, self.broadcaster, viewers)
        me = self.broadcaster.id
        self._events.publish(
            "channel.raid",
            event,
            lambda c: c.get("to_broadcaster_user_id") == me or c.get("from_broadcaster_user_id") == raider.id,
        )

    def follow(self, user: TwitchUser) -> None:
        """A viewer follows; publishes channel.follow."""
        now = self._clock.now_ms()
        self.followers.append((user, now))
        event = payloads.follow_event(self.broadcaster, user, now)
        self._events.publish("channel.follow", event, broadcaster_is(self.broadcaster.id))

    def ban(self, moderator_id: str, user_id: str, duration_s: int | None, reason: str) -> Ban | Refusal:
        """Ban or time out a user."""
        if self.users.get(user_id) is None:
            return Refusal(400, "The user specified in the user_id field was not found.")
        if user_id == self.broadcaster.id:
            return Refusal(400, "The user specified in the user_id field may not be banned.")
        now = self._clock.now_ms()
        existing = self.bans.get(user_id)
        if existing is not None and (existing.end_ms is None or existing.end_ms > now):
            return Refusal(400, "user is already banned")
        end_ms = None if duration_s is None else now + duration_s * 1000
        ban = Ban(user_id, moderator_id, reason, now, end_ms)
        self.bans[user_id] = ban
        return ban

    def shoutout(self, from_id: str, to_id: str, moderator_id: str) -> Shoutout | Refusal:
        """Send a shoutout under Twitch's limits: one per 2 minutes, the same channel once per 60 minutes."""
        if from_id == to_id:
            return Refusal(400, "The broadcaster may not give themselves a Shoutout.")
        if self.users.get(to_id) is None:
            return Refusal(400, "The ID in to_broadcaster_id is not valid.")
        if not self.stream.live or self.stream.viewer_count < 1:
            return Refusal(400, "The broadcaster is not streaming live or does not have one or more viewers.")
        now = self._clock.now_ms()
        if self.shoutouts and now - self.shoutouts[-1].at_ms < SHOUTOUT_GLOBAL_MS:
            return Refusal(429, "The broadcaster exceeded the number of Shoutouts they may send.")
        if any(s.to_id == to_id and now - s.at_ms < SHOUTOUT_SAME_TARGET_MS for s in self.shoutouts):
            return Refusal(429, "The broadcaster exceeded the number of Shoutouts to the same broadcaster.")
        shout = Shoutout(from_id, to_id, moderator_id, now)
        self.shoutouts.append(shout)
        return shout
