"""One HTTP server's request pipeline: pick the mount, count the call, apply faults, run the route."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from .faults import Failure, Faults
from .http import Request, Response, json_response
from .request_counter import RequestCounter
from .routing import Matched, MethodNotAllowed, Router


@dataclass(frozen=True, slots=True)
class Mount:
    """A service under a path prefix, with its own error shapes. Uncounted mounts skip faults too."""

    prefix: str
    router: Router
    error: Callable[[int, str], Response]
    fault: Callable[[Failure], Response]
    counted: bool = True

    def owns(self, path: str) -> bool:
        """True when `path` is under this mount's prefix."""
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")


class SimHttpApp:
    """The handler behind one `HttpServer`."""

    def __init__(self, mounts: list[Mount], faults: Faults, counter: RequestCounter) -> None:
        # Longest prefix first, so `/v1` wins over the accounts mount at the root.
        self._mounts = sorted(mounts, key=lambda m: len(m.prefix), reverse=True)
        self._faults = faults
        self._counter = counter

    async def __call__(self, request: Request) -> Response:
        """Serve one request."""
        mount = next((m for m in self._mounts if m.owns(request.path)), None)
        if mount is None:
            return json_response(404, {"error": "Not Found", "status": 404, "message": "no such service"})
        found = mount.router.resolve(request)
        if isinstance(found, MethodNotAllowed):
            response = mount.error(405, f"method {request.method} is not allowed on {request.path}")
            response.headers["Allow"] = ", ".join(found.allowed)
            return response
        if not isinstance(found, Matched):
            return mount.error(404, f"no endpoint at {request.path}")
        route = found.route
        if mount.counted:
            self._counter.record(route.key)
            delay = self._faults.latency_ms(request.method, request.path, route.pattern)
            if delay > 0:
                # Latency is network time, so it is real time even when the model runs on a fake clock.
                await asyncio.sleep(delay / 1000)
            failure = self._faults.take_failure(request.method, request.path, route.pattern)
            if failure is not None:
                return mount.fault(failure)
        return await route.handler(found.request)
