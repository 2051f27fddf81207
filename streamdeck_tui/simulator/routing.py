"""Method + path routing with `{name}` path parameters."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from .http import Request, Response

RouteHandler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Route:
    """One route: its method, its pattern as written (the request counter's key) and its handler."""

    method: str
    pattern: str
    handler: RouteHandler
    regex: re.Pattern[str]

    @property
    def key(self) -> str:
        """`METHOD /pattern`, the name faults and request counters use."""
        return f"{self.method} {self.pattern}"


@dataclass(frozen=True, slots=True)
class Matched:
    """A route found for a request, with the request carrying its path parameters."""

    route: Route
    request: Request


@dataclass(frozen=True, slots=True)
class NotFound:
    """No route has this path."""


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    """Routes have this path, but none with this method."""

    allowed: tuple[str, ...]


class Router:
    """Routes in registration order; the first pattern that matches wins."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: RouteHandler) -> None:
        """Register `handler` for `method` on `pattern` (e.g. `/v1/tracks/{id}`)."""
        regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern)) + "$")
        self._routes.append(Route(method.upper(), pattern, handler, regex))

    def resolve(self, request: Request) -> Matched | NotFound | MethodNotAllowed:
        """Find the route for `request`."""
        allowed: list[str] = []
        for route in self._routes:
            m = route.regex.match(request.path)
            if m is None:
                continue
            if route.method == request.method:
                return Matched(route, replace(request, params=m.groupdict()))
            allowed.append(route.method)
        return MethodNotAllowed(tuple(allowed)) if allowed else NotFound()

    def routes(self) -> list[Route]:
        """Every registered route (for the control API's index)."""
        return list(self._routes)
