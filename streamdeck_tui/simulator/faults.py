"""Faults on demand: fail the next N calls of an endpoint, add latency, duplicate WebSocket frames."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Failure:
    """One injected failure, as the service-specific error writer needs it."""

    status: int
    retry_after_s: int | None = None
    reason: str | None = None
    message: str | None = None


@dataclass(slots=True)
class _FailureRule:
    endpoint: str
    failure: Failure
    remaining: int


def endpoint_matches(endpoint: str, method: str, path: str, pattern: str) -> bool:
    """True when a fault's `endpoint` names this request.

    `endpoint` is `*`, `METHOD /pattern` (`GET /v1/tracks/{id}`), `METHOD /concrete/path`, or a path or
    pattern without a method (any method).
    """
    if endpoint == "*":
        return True
    want_method, sep, want_path = endpoint.partition(" ")
    if not sep:
        want_method, want_path = "", endpoint
    if want_method and want_method.upper() != method:
        return False
    return want_path in (path, pattern)


class Faults:
    """The fault plan shared by every simulated server."""

    def __init__(self) -> None:
        self._failures: list[_FailureRule] = []
        self._latency: dict[str, int] = {}
        self._duplicate_frames = 0

    def fail_next(
        self,
        endpoint: str,
        status: int,
        count: int = 1,
        *,
        retry_after_s: int | None = None,
        reason: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `endpoint` with `status` instead of serving them."""
        failure = Failure(status, retry_after_s, reason, message)
        self._failures.append(_FailureRule(endpoint, failure, count))

    def take_failure(self, method: str, path: str, pattern: str) -> Failure | None:
        """The failure this request must get (consuming one of its count), or None."""
        for rule in self._failures:
            if rule.remaining > 0 and endpoint_matches(rule.endpoint, method, path, pattern):
                rule.remaining -= 1
                failure = rule.failure
                self._failures = [r for r in self._failures if r.remaining > 0]
                return failure
        return None

    def set_latency(self, endpoint: str, ms: int) -> None:
        """Delay every call of `endpoint` (or `*`) by `ms` milliseconds; 0 removes the delay."""
        if ms <= 0:
            self._latency.pop(endpoint, None)
        else:
            self._latency[endpoint] = ms

    def latency_ms(self, method: str, path: str, pattern: str) -> int:
        """The total delay for this request."""
        return sum(ms for ep, ms in self._latency.items() if endpoint_matches(ep, method, path, pattern))

    def duplicate_next_frames(self, count: int = 1) -> None:
        """Send each of the next `count` EventSub notification frames twice (same message id)."""
        self._duplicate_frames += count

    def take_duplicate(self) -> bool:
        """True (once per planned duplicate) when the next notification must be sent twice."""
        if self._duplicate_frames <= 0:
            return False
        self._duplicate_frames -= 1
        return True

    def clear(self) -> None:
        """Remove every planned fault."""
        self._failures.clear()
        self._latency.clear()
        self._duplicate_frames = 0

    def snapshot(self) -> dict[str, object]:
        """The plan as JSON-ready data."""
        return {
            "failures": [
                {"endpoint": r.endpoint, "remaining": r.remaining, **asdict(r.failure)} for r in self._failures
            ],
            "latency_ms": dict(self._latency),
            "duplicate_frames": self._duplicate_frames,
        }
