"""Expected failures as values: `Ok`, `Err` and a base for tagged error dataclasses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar, Generic, NoReturn, TypeAlias, TypeVar

T = TypeVar("T", covariant=True)
E = TypeVar("E", covariant=True)
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """A successful result carrying `value`."""

    value: T

    def is_ok(self) -> bool:
        """True: this is a success."""
        return True

    def is_err(self) -> bool:
        """False: this is a success."""
        return False

    def unwrap(self) -> T:
        """Return the value."""
        return self.value

    def unwrap_err(self) -> NoReturn:
        """Raise: an `Ok` has no error (a bug in the caller)."""
        raise ValueError(f"unwrap_err() on {self!r}")

    def map(self, fn: Callable[[T], U]) -> Ok[U]:
        """Apply `fn` to the value."""
        return Ok(fn(self.value))


@dataclass(frozen=True, slots=True)
class Err(Generic[E]):
    """An expected failure carrying a tagged `error`."""

    error: E

    def is_ok(self) -> bool:
        """False: this is a failure."""
        return False

    def is_err(self) -> bool:
        """True: this is a failure."""
        return True

    def unwrap(self) -> NoReturn:
        """Raise: the caller assumed success where failure is possible (a bug)."""
        raise ValueError(f"unwrap() on {self!r}")

    def unwrap_err(self) -> E:
        """Return the error."""
        return self.error

    def map(self, fn: Callable[[object], object]) -> Err[E]:
        """Leave the failure as it is."""
        return self


Result: TypeAlias = Ok[T] | Err[E]


@dataclass(frozen=True, slots=True)
class TaggedError:
    """Base for expected errors: a stable `tag` plus context fields, and a message for people.

    Subclasses are frozen dataclasses that set `tag` and override `message()` when the default is not
    clear enough. Context fields must never hold a secret.
    """

    tag: ClassVar[str] = "Error"

    def message(self) -> str:
        """A one-line explanation for the streamer."""
        ctx = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"{self.tag}({ctx})" if ctx else self.tag

    def __str__(self) -> str:
        return self.message()
