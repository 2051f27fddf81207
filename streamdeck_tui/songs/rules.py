"""The queue's rules that need the stored requests: open, banned, per-viewer and queue limits, duplicates."""

from __future__ import annotations

from typing import Final

from ..runtime.storage import Tx
from .models import IN_SPOTIFY_STATES, PENDING_STATES, NewRequest, RequestState
from .policy import SongPolicy, is_viewer_blocked

_W, _P = RequestState.WAITING.value, RequestState.PUSHING.value
_LIVE: Final = ", ".join(f"'{s.value}'" for s in (*PENDING_STATES, *IN_SPOTIFY_STATES))


async def rule_breach(tx: Tx, new: NewRequest, policy: SongPolicy, now_ms: int) -> str | None:
    """The first queue rule the request breaks, as a chat reason; None when it may be stored."""
    state = await tx.fetch_one("SELECT requests_open FROM player WHERE id = 1")
    if state is not None and not state[0]:
        return "song requests are closed right now"
    login = new.requester_login.lower()
    banned = await tx.fetch_one("SELECT 1 FROM blocked_viewers WHERE login = ?", (login,))
    if banned is not None or is_viewer_blocked(policy, login):
        return "you cannot request songs on this channel"
    mine = await tx.fetch_one(
        "SELECT count(*) FROM requests WHERE requester_id = ? AND state IN (?, ?)", (new.requester_id, _W, _P)
    )
    if mine is not None and int(mine[0]) >= policy.max_pending_per_viewer:
        n = policy.max_pending_per_viewer
        return f"you already have {n} request{'s' if n != 1 else ''} waiting; wait until one plays"
    waiting = await tx.fetch_one("SELECT count(*) FROM requests WHERE state IN (?, ?)", (_W, _P))
    if waiting is not None and int(waiting[0]) >= policy.max_queue:
        return f"the queue is full ({policy.max_queue} songs); try again after a few have played"
    title = f'"{new.track.name}"'
    live = await tx.fetch_one(
        f"SELECT 1 FROM requests WHERE track_id = ? AND state IN ({_LIVE})",
        (new.track.id,),
    )
    if live is not None:
        return f"{title} is already in the queue"
    window_ms = policy.duplicate_window_minutes * 60_000
    if window_ms > 0:
        recent = await tx.fetch_one(
            "SELECT 1 FROM requests WHERE track_id = ? AND state = 'played' AND finished_ms >= ?",
            (new.track.id, now_ms - window_ms),
        )
        if recent is not None:
            return f"{title} was played in the last {policy.duplicate_window_minutes} minutes"
    return None
