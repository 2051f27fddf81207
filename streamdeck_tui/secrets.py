"""Where tokens live: the OS keyring, or an explicit in-memory store for the demo and tests.

`KeyringStore` wraps the `keyring` package (Secret Service on Linux, Keychain on macOS, Credential Locker
on Windows). It never falls back to plaintext: with no usable keyring every call returns
`Err(KeyringUnavailable(...))` naming the backend, the problem and the remedy. `MemoryStore` keeps values
in a dict for the life of the process and says so in `describe()`.

Every store is *synchronous and blocking*: a keyring call is a D-Bus (or Keychain) round trip and may wait
for the user to answer an unlock prompt. Code on the event loop calls them through a thread, always:
``await asyncio.to_thread(store.get, "twitch.access_token")``. Errors are values (`Result`); no keyring
exception escapes, and no error text carries a stored value.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Final, Protocol

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from streamdeck_tui.runtime.result import Err, Ok, Result, TaggedError
from streamdeck_tui.runtime.secret import REDACTED, Secret, redact

DEFAULT_SERVICE: Final = "streamdeck-tui"

# Dotted names such as `twitch.access_token`; never a value.
_KEY_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_PROBE_PREFIX: Final = "__streamdeck_tui_probe__."
_MAX_PROBLEM_LEN: Final = 300

_REMEDY_DBUS: Final = (
    "run inside a D-Bus session (log in to a desktop session, or start the app with `dbus-run-session`) "
    "with gnome-keyring-daemon (or KeePassXC's Secret Service) running and unlocked"
)
_REMEDY_DAEMON: Final = (
    "install and unlock gnome-keyring (or enable KeePassXC's Secret Service integration) so the "
    "org.freedesktop.secrets service is available"
)
_REMEDY_LOCKED: Final = (
    "unlock the keyring (log in to the desktop session or open your keyring manager, e.g. Seahorse; "
    "headless: pipe the password to `gnome-keyring-daemon --unlock`) and try again"
)
_REMEDY_COLLECTION: Final = (
    "create and unlock a default keyring; without a display gnome-keyring cannot prompt, so start it with "
    "`gnome-keyring-daemon --unlock --components=secrets` and the password on stdin"
)
_REMEDY_CONFIG: Final = (
    "select a secure backend: unset PYTHON_KEYRING_BACKEND and remove `default-keyring` from keyringrc.cfg "
    "(see `python -m keyring diagnose`)"
)
_REMEDY_GENERIC: Final = (
    "install and unlock a supported OS keyring (Secret Service such as gnome-keyring on Linux, Keychain on "
    "macOS, Credential Locker on Windows); `python -m keyring diagnose` shows what keyring found"
)


# ---------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class SecretStoreError(TaggedError):
    """Base of every secret-store failure. Subclasses hold names and diagnostics, never a value."""

    tag = "SecretStoreError"


@dataclass(frozen=True, slots=True)
class KeyringUnavailable(SecretStoreError):
    """No usable OS keyring: none found, disabled, plaintext-only, locked or unreachable."""

    tag = "KeyringUnavailable"
    backend: str
    problem: str
    remedy: str

    def message(self) -> str:
        return (
            f"No usable OS keyring ({self.backend}): {self.problem}. To fix: {self.remedy}. "
            "Tokens are kept only in the OS keyring, never in a plaintext file."
        )


@dataclass(frozen=True, slots=True)
class SecretAccessFailed(SecretStoreError):
    """The keyring is there but one read, write or delete failed for another reason."""

    tag = "SecretAccessFailed"
    operation: str
    key: str
    backend: str
    problem: str

    def message(self) -> str:
        return f"Could not {self.operation} {self.key!r} in the OS keyring ({self.backend}): {self.problem}"


@dataclass(frozen=True, slots=True)
class InvalidSecretKey(SecretStoreError):
    """A key that is not a short dotted name (it is not echoed: a caller may have passed a value)."""

    tag = "InvalidSecretKey"
    length: int

    def message(self) -> str:
        return (
            f"Invalid secret key ({self.length} characters): keys are dotted names such as "
            "'twitch.access_token' (letters, digits, '.', '_', '-'; at most 128 characters)"
        )


# ---------------------------------------------------------------------------------------------- protocol


class SecretStore(Protocol):
    """Named secrets (`twitch.access_token`, `spotify.refresh_token`, ...). Blocking; see the module doc."""

    def get(self, key: str) -> Result[Secret | None, SecretStoreError]:
        """The stored value, or `Ok(None)` when nothing is stored under `key`."""
        ...

    def set(self, key: str, value: Secret) -> Result[None, SecretStoreError]:
        """Store `value` under `key`, replacing any previous value."""
        ...

    def delete(self, key: str) -> Result[None, SecretStoreError]:
        """Remove `key`; succeeds when nothing was stored."""
        ...

    def describe(self) -> str:
        """A short human description of the backend, for `doctor` and the settings screen."""
        ...


def _check_key(key: str) -> InvalidSecretKey | None:
    return None if _KEY_RE.fullmatch(key) else InvalidSecretKey(len(key))


# ---------------------------------------------------------------------------------------------- memory


class MemoryStore:
    """Secrets in a dict for the life of the process: the demo and tests, never the user's real keyring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Secret] = {}

    def get(self, key: str) -> Result[Secret | None, SecretStoreError]:
        if (bad := _check_key(key)) is not None:
            return Err(bad)
        with self._lock:
            return Ok(self._values.get(key))

    def set(self, key: str, value: Secret) -> Result[None, SecretStoreError]:
        if (bad := _check_key(key)) is not None:
            return Err(bad)
        with self._lock:
            self._values[key] = value
        return Ok(None)

    def delete(self, key: str) -> Result[None, SecretStoreError]:
        if (bad := _check_key(key)) is not None:
            return Err(bad)
        with self._lock:
            self._values.pop(key, None)
        return Ok(None)

    def describe(self) -> str:
        return "in-memory store (demo/tests; nothing is saved)"

    def __repr__(self) -> str:
        with self._lock:
            return f"MemoryStore(keys={sorted(self._values)!r})"


# ---------------------------------------------------------------------------------------------- keyring


def backend_name(backend: KeyringBackend) -> str:
    """`module.Class` of a keyring backend, e.g. `keyring.backends.SecretService.Keyring`."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _safe_problem(exc: BaseException, *hide: str) -> str:
    """`Type: text` of an exception, with `hide` and every live secret removed, on one short line."""
    text = str(exc)
    for value in hide:
        if value:
            text = text.replace(value, REDACTED)
    text = " ".join(redact(text).split()) or "no details"
    if len(text) > _MAX_PROBLEM_LEN:
        text = text[: _MAX_PROBLEM_LEN - 3] + "..."
    return f"{type(exc).__name__}: {text}"


def _secret_service_problem() -> str | None:
    """Why keyring's Secret Service backend is not viable here, or None when it is (Linux/BSD only)."""
    if sys.platform in ("darwin", "win32"):
        return None
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018  (raises when not viable)
    except Exception as exc:
        return _safe_problem(exc)
    return None


def _remedy_for_secret_service(problem: str) -> str:
    return _REMEDY_DAEMON if "neither running nor activatable" in problem else _REMEDY_DBUS


def _no_backend(name: str, what: str) -> KeyringUnavailable:
    """KeyringUnavailable for 'no real backend', with the Secret Service's own reason when there is one."""
    problems = [what]
    remedy = _REMEDY_GENERIC
    ss = _secret_service_problem()
    if ss is not None:
        problems.append(f"the Secret Service is not usable ({ss})")
        remedy = _remedy_for_secret_service(ss)
    configured = os.environ.get("PYTHON_KEYRING_BACKEND")
    if configured:
        problems.append(f"PYTHON_KEYRING_BACKEND is set to {configured!r}")
        remedy = _REMEDY_CONFIG if ss is None else f"{remedy}; and unset PYTHON_KEYRING_BACKEND"
    return KeyringUnavailable(name, "; ".join(problems), remedy)


def _is_plaintext(backend: KeyringBackend) -> bool:
    cls = type(backend)
    return "plaintext" in cls.__qualname__.lower() or "plaintext" in cls.__module__.lower()


def _unusable(backend: KeyringBackend) -> KeyringUnavailable | None:
    """A cheap, offline verdict on the selected backend: one that cannot keep a secret safely."""
    from keyring.backends import chainer, fail, null

    name = backend_name(backend)
    if isinstance(backend, fail.Keyring):
        return _no_backend(name, "keyring found no recommended backend")
    if isinstance(backend, null.Keyring):
        return KeyringUnavailable(name, "the keyring is disabled (null backend)", _REMEDY_CONFIG)
    if _is_plaintext(backend):
        return KeyringUnavailable(name, "the configured backend stores plaintext", _REMEDY_CONFIG)
    if isinstance(backend, chainer.ChainerBackend):
        try:
            chained: list[KeyringBackend] = list(getattr(backend, "backends", []))
        except Exception as exc:
            return KeyringUnavailable(
                name, f"the chained backends failed to load ({_safe_problem(exc)})", _REMEDY_GENERIC
            )
        if not chained:
            return _no_backend(name, "the chainer backend has no backends to chain")
        if any(_is_plaintext(b) for b in chained):
            return KeyringUnavailable(name, "a chained backend stores plaintext", _REMEDY_CONFIG)
    return None


_Excs = tuple[type[BaseException], ...]


def _secretstorage_errors() -> tuple[_Excs, _Excs]:
    """SecretStorage's (unreachable, locked) exception types, where it is installed (Linux/BSD)."""
    try:
        from secretstorage import exceptions as ss
    except ImportError:  # pragma: no cover - SecretStorage ships with keyring on Linux only
        return (), ()
    return (ss.SecretServiceNotAvailableException,), (ss.LockedException, ss.PromptDismissedException)


def _classify_unavailable(exc: Exception, name: str, *hide: str) -> KeyringUnavailable | None:
    """The keyring itself is unusable (locked, unreachable, no backend), or None for a one-off failure."""
    problem = _safe_problem(exc, *hide)
    ss_unreachable, ss_locked = _secretstorage_errors()
    if isinstance(exc, (keyring.errors.KeyringLocked, *ss_locked)):
        return KeyringUnavailable(name, f"the keyring is locked ({problem})", _REMEDY_LOCKED)
    if isinstance(exc, keyring.errors.NoKeyringError):
        return _no_backend(name, f"keyring found no usable backend ({problem})")
    if isinstance(exc, keyring.errors.InitError):
        return KeyringUnavailable(
            name, f"the keyring could not open its default collection ({problem})", _REMEDY_COLLECTION
        )
    if isinstance(exc, ss_unreachable):
        return KeyringUnavailable(
            name, f"the Secret Service is not reachable ({problem})", _remedy_for_secret_service(problem)
        )
    module = type(exc).__module__
    if isinstance(exc, ConnectionError) or module.startswith(("jeepney", "secretstorage", "dbus")):
        return KeyringUnavailable(name, f"the Secret Service did not answer ({problem})", _REMEDY_DBUS)
    return None


class KeyringStore:
    """Secrets in the OS keyring under `service`, one item per key (the key is keyring's "username").

    Blocking, like every `SecretStore`: from async code call `await asyncio.to_thread(store.get, key)`.
    The backend is keyring's current one (`keyring.get_keyring()`, looked up on every call so
    `keyring.set_keyring` and `PYTHON_KEYRING_BACKEND` + `keyring.core.init_backend()` take effect), unless
    one is passed explicitly. fail/null/plaintext backends and an empty chainer are refused up front.
    """

    def __init__(self, service: str = DEFAULT_SERVICE, *, backend: KeyringBackend | None = None) -> None:
        self._service = service
        self._explicit = backend

    @property
    def service(self) -> str:
        """The keyring service name the items are stored under."""
        return self._service

    def _backend(self) -> Result[KeyringBackend, KeyringUnavailable]:
        if self._explicit is not None:
            backend = self._explicit
        else:
            try:
                backend = keyring.get_keyring()
            except Exception as exc:
                return Err(
                    KeyringUnavailable(
                        "(none)", f"cannot load the configured backend ({_safe_problem(exc)})", _REMEDY_CONFIG
                    )
                )
        bad = _unusable(backend)
        return Err(bad) if bad is not None else Ok(backend)

    def describe(self) -> str:
        found = self._backend()
        if isinstance(found, Err):
            return f"OS keyring, unusable: {found.error.message()}"
        return f"OS keyring via {backend_name(found.value)} (service {self._service!r})"

    def check(self) -> Result[None, KeyringUnavailable]:
        """Whether the keyring can really keep a secret: backend sanity, then a write/read/delete round trip.

        The probe item uses a random key and value under this store's service and is deleted afterwards.
        """
        found = self._backend()
        if isinstance(found, Err):
            return found
        backend = found.value
        name = backend_name(backend)
        key = _PROBE_PREFIX + uuid.uuid4().hex
        value = uuid.uuid4().hex
        written = False
        try:
            backend.set_password(self._service, key, value)
            written = True
            read = backend.get_password(self._service, key)
            if read != value:
                what = "nothing" if read is None else "a different value"
                return Err(
                    KeyringUnavailable(
                        name,
                        f"a test item was written but {what} was read back (writes are dropped)",
                        _REMEDY_GENERIC,
                    )
                )
            backend.delete_password(self._service, key)
            written = False
            if backend.get_password(self._service, key) is not None:
                return Err(KeyringUnavailable(name, "a test item could not be deleted", _REMEDY_GENERIC))
        except Exception as exc:
            unavailable = _classify_unavailable(exc, name, value)
            if unavailable is not None:
                return Err(unavailable)
            return Err(
                KeyringUnavailable(
                    name, f"a test write/read/delete failed ({_safe_problem(exc, value)})", _REMEDY_GENERIC
                )
            )
        finally:
            if written:  # best effort: the probe holds a random throwaway value
                with contextlib.suppress(Exception):
                    backend.delete_password(self._service, key)
        return Ok(None)

    def get(self, key: str) -> Result[Secret | None, SecretStoreError]:
        if (bad := _check_key(key)) is not None:
            return Err(bad)
        found = self._backend()
        if isinstance(found, Err):
            return found
        try:
            raw = found.value.get_password(self._service, key)
        except Exception as exc:
            return Err(self._failure(exc, "read", key, found.value))
        return Ok(None if raw is None else Secret(raw))

    def set(self, key: str, value: Secret) -> Result[None, SecretStoreError]:
        if (bad := _check_key(key)) is not None:
            return Err(bad)
        found = self._backend()
        if isinstance(found, Err):
            return found
        try:
            found.value.set_password(self._service, key, value.reveal())
        except Exception as exc:
            return Err(self._failure(exc, "write", key, found.value, value.reveal()))
        return Ok(None)

    def delete(self, key: str) -> Result[None, SecretStoreError]:
        if (bad := _check_key(key)) is not None:
            return Err(bad)
        found = self._backend()
        if isinstance(found, Err):
            return found
        backend = found.value
        try:
            backend.delete_password(self._service, key)
        except keyring.errors.PasswordDeleteError as exc:
            # Most backends raise this for "no such item"; make delete idempotent, but only if it is gone.
            try:
                still_there = backend.get_password(self._service, key) is not None
            except Exception as again:
                return Err(self._failure(again, "delete", key, backend))
            if still_there:
                return Err(self._failure(exc, "delete", key, backend))
        except Exception as exc:
            return Err(self._failure(exc, "delete", key, backend))
        return Ok(None)

    def _failure(
        self, exc: Exception, operation: str, key: str, backend: KeyringBackend, *hide: str
    ) -> SecretStoreError:
        name = backend_name(backend)
        unavailable = _classify_unavailable(exc, name, *hide)
        if unavailable is not None:
            return unavailable
        return SecretAccessFailed(operation, key, name, _safe_problem(exc, *hide))

    def __repr__(self) -> str:
        return f"KeyringStore(service={self._service!r})"
