"""A redacting wrapper for secrets, and the registry the log filter redacts from."""

from __future__ import annotations

import re
import threading
import weakref
from typing import Final

REDACTED: Final = "«redacted»"

# Secrets shorter than this are not registered for substring redaction: a two-letter "secret" would
# blank out ordinary words in logs.
_MIN_REGISTERED_LEN: Final = 6


class _Registry:
    """Values of live secrets, so logs and error texts can be scrubbed of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: weakref.WeakValueDictionary[int, Secret] = weakref.WeakValueDictionary()

    def add(self, secret: Secret) -> None:
        if len(secret.reveal()) >= _MIN_REGISTERED_LEN:
            with self._lock:
                self._values[id(secret)] = secret

    def values(self) -> list[str]:
        with self._lock:
            return sorted({s.reveal() for s in self._values.values()}, key=len, reverse=True)


_registry = _Registry()

# Shapes that carry credentials even when the value was never wrapped (a provider's raw JSON, a URL).
# Compound names may carry a prefix (`spotify_access_token=`); the bare words start at a word boundary, so a
# logger name such as `streamdeck_tui.twitch_token:` or an `error_code:` is left alone.
_PATTERNS: Final = (
    re.compile(
        r"(?i)(\"?(?:\w*(?:access_token|refresh_token|id_token|client_secret|code_verifier|device_code)|"
        r"\b(?:code|password|token))\"?\s*[:=]\s*\"?)([^\"&\s,}]+)"
    ),
    re.compile(r"(?i)(bearer\s+|oauth\s+)([A-Za-z0-9._~+/=-]+)"),
    re.compile(r"(?i)(authorization\s*[:=]\s*)(\S+(?:\s+\S+)?)"),
)


class Secret:
    """A string that never shows itself in `repr`, `str`, format strings or pickles."""

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        _registry.add(self)

    def reveal(self) -> str:
        """Return the real value; call only where it leaves for its one legitimate destination."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str) -> str:
    """Remove every live secret's value and every credential-shaped substring from `text`."""
    for value in _registry.values():
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text
