"""Twitch clients: Helix, EventSub WebSocket, device-code login."""
