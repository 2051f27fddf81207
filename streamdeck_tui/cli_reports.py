"""Read-only reports from the component databases: `streamdeck-tui streams`."""

from __future__ import annotations

import asyncio
import json

from .components.stream_lifecycle import StreamLifecycle
from .config import LoadedSettings
from .engine import Engine
from .formatting import session_cells
from .runtime.clock import iso_from_ms
from .runtime.result import Err


def run_streams(loaded: LoadedSettings, *, as_json: bool) -> int:
    """Print the stream sessions; returns the exit code."""
    return asyncio.run(_streams(loaded, as_json))


async def _streams(loaded: LoadedSettings, as_json: bool) -> int:
    engine = Engine(loaded.settings, components=(StreamLifecycle,))
    started = await engine.start(connect=False)
    if isinstance(started, Err):
        print(started.error.message())
        return 1
    try:
        assert engine.stream is not None
        sessions = await engine.stream.sessions(limit=1000)
        now = engine.clock.now_ms()
    finally:
        await engine.stop()
    rows = [
        {
            "stream_id": s.stream_id,
            "started_at": iso_from_ms(s.started_ms),
            "ended_at": iso_from_ms(s.ended_ms) if s.ended_ms is not None else None,
            "duration_s": ((s.ended_ms if s.ended_ms is not None else now) - s.started_ms) // 1000,
            "peak_viewers": s.peak,
            "average_viewers": round(s.average, 1) if s.average is not None else None,
            "samples": s.samples,
        }
        for s in sessions
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No stream sessions yet.")
        return 0
    print(f"{'Started':17} {'Ended':17} {'Duration':>9} {'Peak':>7} {'Average':>8}")
    for s in sessions:
        start, end, duration, peak, average = session_cells(s, now)
        print(f"{start:17} {end:17} {duration:>9} {peak:>7} {average:>8}")
    return 0
