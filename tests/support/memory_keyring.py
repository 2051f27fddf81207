"""An in-process keyring backend so CLI tests do not depend on the machine's Secret Service."""

from __future__ import annotations

from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict for the life of the process."""

    priority = 1  # type: ignore[assignment]
    viable = False  # only ever chosen explicitly via PYTHON_KEYRING_BACKEND

    def __init__(self) -> None:
        super().__init__()
        self._store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """Return the stored value or None."""
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a value."""
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Remove a value."""
        self._store.pop((service, username), None)
