"""The simulator's invented application ids and the scopes the console asks for."""

from __future__ import annotations

from typing import Final

TWITCH_DEMO_CLIENT_ID: Final = "s1mtw1tchdem0c1ient00000000000"
SPOTIFY_DEMO_CLIENT_ID: Final = "5e3c0ffee0000000000000000000d3m0"

TWITCH_SCOPES: Final = (
    "channel:manage:redemptions",
    "user:read:chat",
    "user:write:chat",
    "moderator:read:followers",
    "moderator:manage:shoutouts",
    "moderator:manage:banned_users",
    "moderator:manage:chat_messages",
    "channel:read:subscriptions",
    "bits:read",
)
SPOTIFY_SCOPES: Final = (
    "user-read-currently-playing",
    "user-read-playback-state",
    "user-modify-playback-state",
)
