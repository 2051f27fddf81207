"""An embedded Twitch + Spotify simulator on loopback sockets."""
