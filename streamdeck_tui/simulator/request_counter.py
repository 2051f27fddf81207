"""How many times the app called each endpoint, keyed `METHOD /pattern` (e.g. `GET /helix/streams`)."""

from __future__ import annotations

from collections import Counter


class RequestCounter:
    """Counts served API requests; control-API calls are not counted."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def record(self, key: str) -> None:
        """Count one request for `key`."""
        self._counts[key] += 1

    def count(self, key: str) -> int:
        """Requests seen for `key`."""
        return self._counts[key]

    def snapshot(self) -> dict[str, int]:
        """Every counter, sorted by key."""
        return dict(sorted(self._counts.items()))

    def reset(self) -> None:
        """Start counting from zero."""
        self._counts.clear()
