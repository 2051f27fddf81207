"""The secret stores: an in-memory one for the demo, and the real OS keyring, never plaintext.

The keyring round trip runs against the machine's real Secret Service. Without one it skips with the
reason, unless CI requires it (`STREAMDECK_REQUIRE_KEYRING=1`, as `.ci/run` sets); run it with
`scripts/with-keyring pytest tests/secrets` to get a throwaway, unlocked gnome-keyring.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.core
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, null

from streamdeck_tui.runtime.result import Err, Ok
from streamdeck_tui.runtime.secret import Secret
from streamdeck_tui.secrets import (
    InvalidSecretKey,
    KeyringStore,
    KeyringUnavailable,
    MemoryStore,
    SecretAccessFailed,
    SecretStore,
    SecretStoreError,
)

# Read at import: the autouse `_isolated_env` fixture removes every STREAMDECK_* variable before a test runs.
REQUIRE_KEYRING = os.environ.get("STREAMDECK_REQUIRE_KEYRING") == "1"

VALUE = "tok-" + uuid.uuid4().hex  # long enough for the redaction registry
SHORT = "pw9"  # too short for the registry: the store must hide it by itself


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    """Put keyring's process-wide backend (and detection limit) back after the test."""
    previous = keyring.get_keyring()
    previous_limit = keyring.backend._limit
    yield
    keyring.backend._limit = previous_limit
    keyring.set_keyring(previous)


def _keyrings_own_backend(backend: KeyringBackend) -> bool:
    """Only keyring's bundled backends: test doubles (which register themselves) are never auto-selected."""
    return type(backend).__module__.startswith("keyring.backends.")


@pytest.fixture
def real_store(restore_keyring: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyringStore]:
    """A KeyringStore on the machine's real keyring under a unique service; skips (or fails in CI) without."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.core.init_backend(limit=_keyrings_own_backend)
    store = KeyringStore(f"streamdeck-tui-test-{uuid.uuid4().hex}")
    checked = store.check()
    if isinstance(checked, Err):
        reason = f"no usable OS keyring: {checked.error.message()}"
        if REQUIRE_KEYRING:
            pytest.fail(f"CI requires the keyring test (STREAMDECK_REQUIRE_KEYRING=1) but {reason}")
        pytest.skip(reason)
    yield store
    for key in ("twitch.access_token", "spotify.refresh_token"):
        store.delete(key)


# ---------------------------------------------------------------------------------------------- memory


def test_memory_store_round_trip_never_shows_the_value() -> None:
    store: SecretStore = MemoryStore()
    assert store.get("twitch.access_token") == Ok(None)
    assert store.set("twitch.access_token", Secret(VALUE)) == Ok(None)
    got = store.get("twitch.access_token")
    assert isinstance(got, Ok)
    assert isinstance(got.value, Secret)
    assert got.value.reveal() == VALUE
    for text in (repr(got), str(got), repr(got.value), str(got.value), f"{got.value}", repr(store)):
        assert VALUE not in text
    assert store.set("twitch.access_token", Secret("second-" + VALUE)) == Ok(None)
    assert store.get("twitch.access_token") == Ok(Secret("second-" + VALUE))
    assert store.delete("twitch.access_token") == Ok(None)
    assert store.get("twitch.access_token") == Ok(None)
    assert store.delete("twitch.access_token") == Ok(None)
    assert "memory" in store.describe()


def test_keys_are_names_and_a_bad_key_is_not_echoed() -> None:
    store = MemoryStore()
    result = store.set(VALUE + " oops a value", Secret(VALUE))
    assert isinstance(result, Err)
    assert isinstance(result.error, InvalidSecretKey)
    assert VALUE not in result.error.message()
    assert VALUE not in repr(result)


# ---------------------------------------------------------------------------------------------- real keyring


def test_keyring_store_round_trip_on_the_real_secret_service(real_store: KeyringStore) -> None:
    key = "twitch.access_token"
    assert "keyring" in real_store.describe()
    assert real_store.get(key) == Ok(None)
    assert real_store.set(key, Secret(VALUE)) == Ok(None)
    got = real_store.get(key)
    assert isinstance(got, Ok)
    assert isinstance(got.value, Secret)
    assert got.value.reveal() == VALUE
    assert VALUE not in repr(got)
    assert VALUE not in str(got)

    assert real_store.set(key, Secret("new-" + VALUE)) == Ok(None)
    assert real_store.get(key) == Ok(Secret("new-" + VALUE))

    # Another key and another service are separate items.
    assert real_store.set("spotify.refresh_token", Secret(SHORT)) == Ok(None)
    other = KeyringStore(real_store.service + "-other")
    assert other.get(key) == Ok(None)
    assert real_store.get("spotify.refresh_token") == Ok(Secret(SHORT))

    assert real_store.delete(key) == Ok(None)
    assert real_store.get(key) == Ok(None)
    assert real_store.delete(key) == Ok(None), "deleting a missing key is not an error"
    assert real_store.get("spotify.refresh_token") == Ok(Secret(SHORT))


def test_real_keyring_never_writes_the_value_to_disk_in_plaintext(real_store: KeyringStore, tmp_path: Path) -> None:
    assert real_store.set("twitch.access_token", Secret(VALUE)) == Ok(None)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert VALUE.encode() not in path.read_bytes(), path


# ---------------------------------------------------------------------------------------------- no keyring


def test_check_with_the_fail_backend_is_an_error_with_a_remedy(
    restore_keyring: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    store = KeyringStore(f"streamdeck-tui-test-{uuid.uuid4().hex}")

    checked = store.check()
    assert isinstance(checked, Err)
    error = checked.error
    assert isinstance(error, KeyringUnavailable)
    message = error.message()
    assert "keyring.backends.fail.Keyring" in message
    assert "no recommended backend" in message
    assert "To fix:" in message
    assert "PYTHON_KEYRING_BACKEND" in message
    assert "plaintext" in message  # says it will not fall back to it

    # Every operation refuses too: no silent "nothing stored", no plaintext fallback.
    assert isinstance(store.set("twitch.access_token", Secret(VALUE)), Err)
    got = store.get("twitch.access_token")
    assert isinstance(got, Err)
    assert isinstance(got.error, KeyringUnavailable)
    assert isinstance(store.delete("twitch.access_token"), Err)
    assert "unusable" in store.describe()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert VALUE.encode() not in path.read_bytes(), path


def test_null_backend_and_empty_chainer_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    null_store = KeyringStore(backend=null.Keyring())  # type: ignore[no-untyped-call]
    result = null_store.get("twitch.access_token")
    assert isinstance(result, Err), "the null backend must not look like 'nothing stored'"
    assert "null" in result.error.message()
    assert isinstance(null_store.check(), Err)

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    empty_chainer = chainer.ChainerBackend()  # type: ignore[no-untyped-call]
    chained = KeyringStore(backend=empty_chainer).check()
    assert isinstance(chained, Err)
    assert "no backends" in chained.error.message()


# ---------------------------------------------------------------------------------------------- test doubles


class _Double(KeyringBackend):
    """Base for in-test backends; `viable = False` keeps keyring's auto-detection from ever picking them."""

    priority = 1
    viable = False

    def __init__(self, leak: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.leak = leak

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        return None


class _LeakyErrors(_Double):
    """Raises exceptions whose text contains the value, the way a careless backend might."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"could not store {password!r} for {username}")

    def get_password(self, service: str, username: str) -> str | None:
        # On a read the store does not know the value; the credential-shape scrubber must catch it.
        raise keyring.errors.KeyringLocked(f"locked while decoding item password={self.leak}")


class _DropsWrites(_Double):
    """Accepts writes and forgets them."""


class _PlaintextKeyring(_Double):
    """Named like keyrings.alt's plaintext file backend."""


@pytest.mark.parametrize("value", [VALUE, SHORT])
def test_no_error_text_contains_the_value(value: str) -> None:
    store = KeyringStore(backend=_LeakyErrors(leak=value))
    written = store.set("twitch.access_token", Secret(value))
    assert isinstance(written, Err)
    assert isinstance(written.error, SecretAccessFailed)
    read = store.get("twitch.access_token")
    assert isinstance(read, Err)
    assert isinstance(read.error, KeyringUnavailable)
    assert "locked" in read.error.message()
    assert "unlock" in read.error.message()
    errors: list[SecretStoreError] = [written.error, read.error]
    checked = store.check()
    assert isinstance(checked, Err)
    errors.append(checked.error)
    for error in errors:
        for text in (error.message(), str(error), repr(error), repr(Err(error))):
            assert value not in text
            assert VALUE not in text


def test_check_notices_a_backend_that_drops_writes() -> None:
    checked = KeyringStore(backend=_DropsWrites()).check()
    assert isinstance(checked, Err)
    assert "nothing was read back" in checked.error.message()


def test_plaintext_backends_are_refused() -> None:
    store = KeyringStore(backend=_PlaintextKeyring())
    result = store.set("twitch.access_token", Secret(VALUE))
    assert isinstance(result, Err)
    assert "plaintext" in result.error.message()
