"""Spotify clients: Web API and PKCE login."""
