"""The simulator's base URLs, known once its sockets are bound."""

from __future__ import annotations

from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass(slots=True)
class SimUrls:
    """Ports of the three servers; URLs derive from them."""

    twitch_port: int = 0
    eventsub_port: int = 0
    spotify_port: int = 0

    @property
    def twitch_base(self) -> str:
        """The Twitch HTTP server (auth, Helix, control API)."""
        return f"http://{HOST}:{self.twitch_port}"

    @property
    def twitch_auth(self) -> str:
        """Like `https://id.twitch.tv/oauth2`."""
        return f"{self.twitch_base}/oauth2"

    @property
    def twitch_helix(self) -> str:
        """Like `https://api.twitch.tv/helix`."""
        return f"{self.twitch_base}/helix"

    @property
    def control(self) -> str:
        """The control API."""
        return f"{self.twitch_base}/_sim"

    @property
    def eventsub(self) -> str:
        """Like `wss://eventsub.wss.twitch.tv/ws`."""
        return f"ws://{HOST}:{self.eventsub_port}/ws"

    @property
    def spotify_accounts(self) -> str:
        """Like `https://accounts.spotify.com`."""
        return f"http://{HOST}:{self.spotify_port}"

    @property
    def spotify_api(self) -> str:
        """Like `https://api.spotify.com/v1`."""
        return f"http://{HOST}:{self.spotify_port}/v1"
