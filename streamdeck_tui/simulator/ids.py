"""Identifiers and timestamps in the shapes Twitch and Spotify use, drawn from an injected random source."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime
from typing import Final

BASE62: Final = string.digits + string.ascii_letters
_TOKEN_ALPHABET: Final = string.ascii_lowercase + string.digits


def base62_id(rng: random.Random, length: int = 22) -> str:
    """A Spotify-style base62 id (22 characters by default)."""
    return "".join(rng.choice(BASE62) for _ in range(length))


def is_base62_id(value: str) -> bool:
    """True when `value` looks like a Spotify id: exactly 22 base62 characters."""
    return len(value) == 22 and all(c in BASE62 for c in value)


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string taken from `rng`, so runs with one seed repeat."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def token(rng: random.Random, length: int = 30) -> str:
    """An opaque token of lowercase letters and digits, like Twitch access tokens."""
    return "".join(rng.choice(_TOKEN_ALPHABET) for _ in range(length))


def numeric_id(rng: random.Random, digits: int = 9) -> str:
    """A numeric id string without a leading zero, like Twitch user and stream ids."""
    first = rng.choice("123456789")
    return first + "".join(rng.choice(string.digits) for _ in range(digits - 1))


def rfc3339(ms: int) -> str:
    """Epoch milliseconds as RFC 3339 UTC with whole seconds, as Helix writes them."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nanos(ms: int) -> str:
    """Epoch milliseconds as RFC 3339 UTC with nine fractional digits, as EventSub writes them."""
    base = datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms % 1000:03d}000000Z"
