"""EventSub WebSocket frames and event bodies, shaped like Twitch's documented examples."""

from __future__ import annotations

from collections.abc import Mapping

from .ids import rfc3339_nanos
from .twitch_users import TwitchUser

JsonObject = dict[str, object]


def user_fields(prefix: str, user: TwitchUser) -> dict[str, str]:
    """`{prefix}_user_id/_login/_name` (no prefix: `user_id` …)."""
    p = f"{prefix}_" if prefix else ""
    return {f"{p}user_id": user.id, f"{p}user_login": user.login, f"{p}user_name": user.display_name}


def _badges(user: TwitchUser) -> list[JsonObject]:
    return [
        {"set_id": b, "id": "12" if b == "subscriber" else "1", "info": "12" if b == "subscriber" else ""}
        for b in user.badges
    ]


def chat_message_event(
    broadcaster: TwitchUser, chatter: TwitchUser, message_id: str, text: str, reward_id: str | None = None
) -> JsonObject:
    """A `channel.chat.message` v1 event."""
    return {
        **user_fields("broadcaster", broadcaster),
        "source_broadcaster_user_id": None,
        "source_broadcaster_user_login": None,
        "source_broadcaster_user_name": None,
        **user_fields("chatter", chatter),
        "message_id": message_id,
        "source_message_id": None,
        "is_source_only": None,
        "message": {
            "text": text,
            "fragments": [{"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}],
        },
        "color": chatter.color,
        "badges": _badges(chatter),
        "source_badges": None,
        "message_type": "text",
        "cheer": None,
        "reply": None,
        "channel_points_custom_reward_id": reward_id,
        "channel_points_animation_id": None,
    }


def redemption_event(
    broadcaster: TwitchUser,
    redemption_id: str,
    user: TwitchUser,
    user_input: str,
    status: str,
    reward: Mapping[str, object],
    redeemed_at_ms: int,
) -> JsonObject:
    """A `channel.channel_points_custom_reward_redemption.add`/`.update` v1 event (status lower-case)."""
    return {
        "id": redemption_id,
        **user_fields("broadcaster", broadcaster),
        **user_fields("", user),
        "user_input": user_input,
        "status": status.lower(),
        "reward": dict(reward),
        "redeemed_at": rfc3339_nanos(redeemed_at_ms),
    }


def raid_event(from_user: TwitchUser, to_user: TwitchUser, viewers: int) -> JsonObject:
    """A `channel.raid` v1 event."""
    return {
        **user_fields("from_broadcaster", from_user),
        **user_fields("to_broadcaster", to_user),
        "viewers": viewers,
    }


def follow_event(broadcaster: TwitchUser, user: TwitchUser, at_ms: int) -> JsonObject:
    """A `channel.follow` v2 event."""
    return {
        **user_fields("", user),
        **user_fields("broadcaster", broadcaster),
        "followed_at": rfc3339_nanos(at_ms),
    }


def stream_online_event(broadcaster: TwitchUser, stream_id: str, started_at_ms: int) -> JsonObject:
    """A `stream.online` v1 event."""
    return {
        "id": stream_id,
        **user_fields("broadcaster", broadcaster),
        "type": "live",
        "started_at": rfc3339_nanos(started_at_ms),
    }


def stream_offline_event(broadcaster: TwitchUser) -> JsonObject:
    """A `stream.offline` v1 event."""
    return {**user_fields("broadcaster", broadcaster)}


def _metadata(
    message_id: str,
    message_type: str,
    at_ms: int,
    sub_type: str | None = None,
    sub_version: str | None = None,
) -> JsonObject:
    meta: JsonObject = {
        "message_id": message_id,
        "message_type": message_type,
        "message_timestamp": rfc3339_nanos(at_ms),
    }
    if sub_type is not None:
        meta["subscription_type"] = sub_type
        meta["subscription_version"] = sub_version
    return meta


def welcome_message(message_id: str, at_ms: int, session_id: str, connected_at_ms: int, keepalive_s: int) -> JsonObject:
    """`session_welcome`."""
    session = {
        "id": session_id,
        "status": "connected",
        "connected_at": rfc3339_nanos(connected_at_ms),
        "keepalive_timeout_seconds": keepalive_s,
        "reconnect_url": None,
        "recovery_url": None,
    }
    return {"metadata": _metadata(message_id, "session_welcome", at_ms), "payload": {"session": session}}


def keepalive_message(message_id: str, at_ms: int) -> JsonObject:
    """`session_keepalive` (empty payload)."""
    return {"metadata": _metadata(message_id, "session_keepalive", at_ms), "payload": {}}


def reconnect_message(
    message_id: str, at_ms: int, session_id: str, connected_at_ms: int, reconnect_url: str
) -> JsonObject:
    """`session_reconnect` with the URL to open as is."""
    session = {
        "id": session_id,
        "status": "reconnecting",
        "connected_at": rfc3339_nanos(connected_at_ms),
        "keepalive_timeout_seconds": None,
        "reconnect_url": reconnect_url,
        "recovery_url": None,
    }
    return {"metadata": _metadata(message_id, "session_reconnect", at_ms), "payload": {"session": session}}


def notification_message(
    message_id: str, at_ms: int, subscription: Mapping[str, object], event: Mapping[str, object]
) -> JsonObject:
    """`notification` for one subscription."""
    meta = _metadata(message_id, "notification", at_ms, str(subscription["type"]), str(subscription["version"]))
    return {"metadata": meta, "payload": {"subscription": dict(subscription), "event": dict(event)}}


def revocation_message(message_id: str, at_ms: int, subscription: Mapping[str, object]) -> JsonObject:
    """`revocation` for one subscription."""
    meta = _metadata(message_id, "revocation", at_ms, str(subscription["type"]), str(subscription["version"]))
    return {"metadata": meta, "payload": {"subscription": dict(subscription)}}
