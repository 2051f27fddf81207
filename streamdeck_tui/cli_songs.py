"""Read-only song reports: `streamdeck-tui queue [--json]` and `streamdeck-tui history [--json]`."""

from __future__ import annotations

import asyncio
import json
from typing import Final

from .components.song_queue import SongQueue
from .config import LoadedSettings
from .engine import Engine
from .formatting import local_time
from .runtime.clock import iso_from_ms
from .runtime.result import Err
from .songs.models import SongRequest
from .songs.policy import format_duration

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
TITLE_WIDTH: Final = 32
NAME_WIDTH: Final = 18


def run_songs(loaded: LoadedSettings, what: str, *, as_json: bool, limit: int = 200) -> int:
    """Print the waiting queue (`queue`) or what played (`history`); returns the exit code."""
    return asyncio.run(_songs(loaded, what, as_json, limit))


async def _songs(loaded: LoadedSettings, what: str, as_json: bool, limit: int) -> int:
    engine = Engine(loaded.settings, components=(SongQueue,))
    started = await engine.start(connect=False)
    if isinstance(started, Err):
        print(started.error.message())
        return EXIT_FAILED
    try:
        assert engine.songs is not None
        requests = await (engine.songs.upcoming(limit) if what == "queue" else engine.songs.history(limit))
    finally:
        await engine.stop()
    if as_json:
        print(json.dumps([request_row(r, n) for n, r in enumerate(requests, start=1)], indent=2))
        return EXIT_OK
    if not requests:
        print("The song queue is empty." if what == "queue" else "No requested song has played yet.")
        return EXIT_OK
    when = "Requested" if what == "queue" else "Played"
    print(f"{'#':>3} {'Title':{TITLE_WIDTH}} {'Requester':{NAME_WIDTH}} {'Length':>6} {when:16} State")
    for n, r in enumerate(requests, start=1):
        at = r.requested_ms if what == "queue" else (r.finished_ms or r.state_ms)
        title, name = _clip(r.track_name, TITLE_WIDTH), _clip(r.requester_name, NAME_WIDTH)
        print(
            f"{n:>3} {title:{TITLE_WIDTH}} {name:{NAME_WIDTH}} "
            f"{format_duration(r.duration_ms):>6} {local_time(at):16} {r.state.value}"
        )
    return EXIT_OK


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def request_row(r: SongRequest, position: int) -> dict[str, object]:
    """A request as a JSON-ready row."""
    return {
        "position": position,
        "id": r.id,
        "track_id": r.track_id,
        "title": r.track_name,
        "artists": list(r.artists),
        "duration_ms": r.duration_ms,
        "requester_login": r.requester_login,
        "requester_name": r.requester_name,
        "source": r.source,
        "state": r.state.value,
        "requested_at": iso_from_ms(r.requested_ms),
        "played_at": iso_from_ms(r.finished_ms) if r.finished_ms is not None else None,
    }
