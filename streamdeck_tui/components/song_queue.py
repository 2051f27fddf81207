"""SongQueue: the request queue the console owns, its moderation, and its reconciliation with Spotify."""

from __future__ import annotations

import json
from typing import Final

from ..runtime.component import Component, TxContext
from ..runtime.events import DomainEvent, deterministic_event_id
from ..runtime.result import Err, Ok, Result
from ..songs.models import (
    Added,
    NewRequest,
    NotWaiting,
    NowPlaying,
    RequestState,
    SongRejected,
    SongRequest,
    SpotifyView,
    StoredDataError,
    request_from_row,
    track_from_json,
    track_json,
    tracks_from_json,
)
from ..songs.occurrences import Look
from ..songs.policy import SongPolicy
from ..songs.rules import rule_breach

SUCCESS_EVENT: Final = "song_request_success"
# A pushed track Spotify never showed us is given up after this long (it would block the next push).
UNSEEN_GIVE_UP_MS: Final = 120_000
MAX_UPCOMING_KEPT: Final = 20
MAX_HISTORY: Final = 1000
_W, _P = RequestState.WAITING.value, RequestState.PUSHING.value


class SongQueue(Component):
    """Requests wait here in the streamer's order; the sync service pushes the head to Spotify just in time."""

    name = "song_queue"

    # -- intake ---------------------------------------------------------------------------------------------

    async def add(self, new: NewRequest, policy: SongPolicy) -> Result[Added, SongRejected]:
        """Apply the queue rules and store the request as waiting; a replay of the same id returns it."""

        async def work(tx: TxContext) -> Result[Added, SongRejected]:
            row = await tx.fetch_one("SELECT * FROM requests WHERE id = ?", (new.id,))
            if row is not None:
                existing = request_from_row(row)
                return Ok(Added(existing, await self._position(tx, existing), existing=True))
            rejected = await rule_breach(tx, new, policy, self.clock.now_ms())
            if rejected is not None:
                return Err(SongRejected(rejected))
            top = await tx.fetch_one("SELECT max(sort_key) FROM requests WHERE state IN (?, ?)", (_W, _P))
            sort_key = 1.0 if top is None or top[0] is None else float(top[0]) + 1.0
            t = new.track
            await tx.execute(
                "INSERT INTO requests (id, track_id, track_name, artists, album, duration_ms, explicit, requester_id, "
                "requester_login, requester_name, source, reward_id, redemption_id, requested_ms, sort_key, state, "
                "state_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)",
                (
                    new.id,
                    t.id,
                    t.name,
                    json.dumps(list(t.artists)),
                    t.album,
                    t.duration_ms,
                    int(t.explicit),
                    new.requester_id,
                    new.requester_login.lower(),
                    new.requester_name,
                    new.source,
                    new.reward_id,
                    new.redemption_id,
                    new.requested_ms,
                    sort_key,
                    self.clock.now_ms(),
                ),
            )
            stored = await self._get(tx, new.id)
            assert stored is not None
            return Ok(Added(stored, await self._position(tx, stored)))

        return await self.transact(work)

    async def discard(self, request_id: str) -> bool:
        """Forget a request that is still waiting, owing nothing (the intake workflow's own undo refunds)."""
        async with self.unit_of_work() as tx:
            return await tx.execute("DELETE FROM requests WHERE id = ? AND state = 'waiting'", (request_id,)) > 0

    # -- reads ----------------------------------------------------------------------------------------------

    async def get(self, request_id: str) -> SongRequest | None:
        """One request by id."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT * FROM requests WHERE id = ?", (request_id,))
        return None if row is None else request_from_row(row)

    async def _get(self, tx: TxContext, request_id: str) -> SongRequest | None:
        row = await tx.fetch_one("SELECT * FROM requests WHERE id = ?", (request_id,))
        return None if row is None else request_from_row(row)

    async def _position(self, tx: TxContext, req: SongRequest) -> int:
        """1 = plays next; a request already in Spotify's queue or on its way counts ahead of the waiting ones."""
        if req.state not in (RequestState.WAITING, RequestState.PUSHING):
            return 0
        if req.state is RequestState.PUSHING:
            return 1
        ahead = await tx.fetch_one(
            "SELECT count(*) FROM requests "
            "WHERE state IN ('queued', 'pushing') OR (state = 'waiting' AND sort_key < ?)",
            (await self._sort_key(tx, req.id),),
        )
        return 1 + (int(ahead[0]) if ahead is not None else 0)

    async def _sort_key(self, tx: TxContext, request_id: str) -> float:
        row = await tx.fetch_one("SELECT sort_key FROM requests WHERE id = ?", (request_id,))
        return float(row[0]) if row is not None else 0.0

    async def upcoming(self, limit: int = 100) -> list[SongRequest]:
        """What the console will play: the one in Spotify's queue (if any), then waiting ones in order."""
        async with self.reading() as r:
            rows = await r.fetch_all(
                "SELECT * FROM requests WHERE state IN ('queued', 'pushing', 'waiting') "
                "ORDER BY CASE state WHEN 'queued' THEN 0 WHEN 'pushing' THEN 1 ELSE 2 END, sort_key LIMIT ?",
                (limit,),
            )
        return [request_from_row(row) for row in rows]

    async def waiting(self) -> list[SongRequest]:
        """Requests still in the console's hands, in the order they will be pushed."""
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT * FROM requests WHERE state = 'waiting' ORDER BY sort_key")
        return [request_from_row(row) for row in rows]

    async def history(
        self,
        limit: int = 50,
        offset: int = 0,
        since_ms: int | None = None,
        until_ms: int | None = None,
        requester: str | None = None,
    ) -> list[SongRequest]:
        """Requests that actually played, newest first; optional time range (inclusive) and requester login."""
        limit = max(1, min(limit, MAX_HISTORY))
        clauses: list[str] = ["state = 'played'"]
        args: list[object] = []
        if since_ms is not None:
            clauses.append("finished_ms >= ?")
            args.append(since_ms)
        if until_ms is not None:
            clauses.append("finished_ms <= ?")
            args.append(until_ms)
        if requester:
            clauses.append("requester_login = ?")
            args.append(requester.strip().lstrip("@").lower())
        async with self.reading() as r:
            rows = await r.fetch_all(
                f"SELECT * FROM requests WHERE {' AND '.join(clauses)} ORDER BY finished_ms DESC, id LIMIT ? OFFSET ?",
                (*args, limit, max(0, offset)),
            )
        return [request_from_row(row) for row in rows]

    async def all_requests(self) -> list[SongRequest]:
        """Every stored request (reports and tests)."""
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT * FROM requests ORDER BY requested_ms, id")
        return [request_from_row(row) for row in rows]

    async def now_playing(self) -> NowPlaying:
        """The last synced Spotify state with the request behind the current track, if any."""
        async with self.reading() as r:
            p = await r.fetch_one("SELECT * FROM player WHERE id = 1")
            assert p is not None
            playing = await r.fetch_one("SELECT * FROM requests WHERE state = 'playing' ORDER BY started_ms DESC")
        upcoming = tracks_from_json(p["upcoming"])
        return NowPlaying(
            track=track_from_json(p["track"]),
            is_playing=bool(p["is_playing"]),
            progress_ms=int(p["progress_ms"]),
            request=None if playing is None else request_from_row(playing),
            upcoming=upcoming,
            synced_ms=p["synced_ms"],
            sync_failures=int(p["sync_failures"]),
            last_error=p["last_error"],
            requests_open=bool(p["requests_open"]),
            paused_reason=p["paused_reason"],
        )

    # -- moderation -----------------------------------------------------------------------------------------

    async def remove(self, request_id: str, reason: str) -> Result[SongRequest, NotWaiting]:
        """Take a waiting request out; its redemption is owed a refund."""

        async def work(tx: TxContext) -> Result[SongRequest, NotWaiting]:
            req = await self._get(tx, request_id)
            if req is None or req.state is not RequestState.WAITING:
                return Err(NotWaiting(request_id, None if req is None else req.state.value))
            await self._remove(tx, req, reason)
            removed = await self._get(tx, request_id)
            assert removed is not None
            return Ok(removed)

        return await self.transact(work)

    async def _remove(self, tx: TxContext, req: SongRequest, reason: str) -> None:
        settle = "refund" if req.source == "redemption" else "none"
        await tx.execute(
            "UPDATE requests SET state = 'removed', state_ms = ?, removed_reason = ?, settle = ? WHERE id = ?",
            (self.clock.now_ms(), reason[:200], settle, req.id),
        )

    async def withdraw_last(self, requester_id: str) -> Result[SongRequest, NotWaiting]:
        """`!wrongsong`: the viewer's own most recent waiting request comes out, refunded."""
        async with self.reading() as r:
            row = await r.fetch_one(
                "SELECT id FROM requests WHERE requester_id = ? AND state = 'waiting' "
                "ORDER BY requested_ms DESC, sort_key DESC LIMIT 1",
                (requester_id,),
            )
        if row is None:
            return Err(NotWaiting("", None))
        return await self.remove(str(row[0]), "withdrawn by the viewer")

    async def move(self, request_id: str, delta: int) -> Result[int, NotWaiting]:
        """Swap a waiting request with its neighbour (delta -1 = earlier, +1 = later); the new position."""

        async def work(tx: TxContext) -> Result[int, NotWaiting]:
            req = await self._get(tx, request_id)
            if req is None or req.state is not RequestState.WAITING:
                return Err(NotWaiting(request_id, None if req is None else req.state.value))
            key = await self._sort_key(tx, request_id)
            op, order = ("<", "DESC") if delta < 0 else (">", "ASC")
            other = await tx.fetch_one(
                f"SELECT id, sort_key FROM requests WHERE state = 'waiting' AND sort_key {op} ? "
                f"ORDER BY sort_key {order} LIMIT 1",
                (key,),
            )
            if other is not None:
                await tx.execute("UPDATE requests SET sort_key = ? WHERE id = ?", (float(other[1]), request_id))
                await tx.execute("UPDATE requests SET sort_key = ? WHERE id = ?", (key, str(other[0])))
            moved = await self._get(tx, request_id)
            assert moved is not None
            return Ok(await self._position(tx, moved))

        return await self.transact(work)

    async def play_next(self, request_id: str) -> Result[int, NotWaiting]:
        """Put a waiting request first in line."""

        async def work(tx: TxContext) -> Result[int, NotWaiting]:
            req = await self._get(tx, request_id)
            if req is None or req.state is not RequestState.WAITING:
                return Err(NotWaiting(request_id, None if req is None else req.state.value))
            low = await tx.fetch_one("SELECT min(sort_key) FROM requests WHERE state = 'waiting'")
            lowest = float(low[0]) if low is not None and low[0] is not None else 1.0
            await tx.execute("UPDATE requests SET sort_key = ? WHERE id = ?", (lowest - 1.0, request_id))
            moved = await self._get(tx, request_id)
            assert moved is not None
            return Ok(await self._position(tx, moved))

        return await self.transact(work)

    async def ban(self, login: str, user_id: str | None) -> list[SongRequest]:
        """Block a viewer from requesting and take out (refund) everything they have waiting."""
        login = login.strip().lstrip("@").lower()

        async def work(tx: TxContext) -> Result[list[SongRequest], NotWaiting]:
            await tx.execute(
                "INSERT INTO blocked_viewers (login, user_id, added_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (login, user_id, self.clock.now_ms()),
            )
            rows = await tx.fetch_all(
                "SELECT * FROM requests WHERE state = 'waiting' AND (requester_login = ? OR requester_id = ?)",
                (login, user_id or ""),
            )
            removed = [request_from_row(row) for row in rows]
            for req in removed:
                await self._remove(tx, req, "requester banned from song requests")
            return Ok(removed)

        done = await self.transact(work)
        return done.value if isinstance(done, Ok) else []

    async def unban(self, login: str) -> bool:
        """Let a viewer request again."""
        async with self.unit_of_work() as tx:
            login = login.strip().lstrip("@").lower()
            return await tx.execute("DELETE FROM blocked_viewers WHERE login = ?", (login,)) > 0

    async def banned(self) -> list[str]:
        """Logins blocked from the console."""
        async with self.reading() as r:
            rows = await r.fetch_all("SELECT login FROM blocked_viewers ORDER BY login")
        return [str(row[0]) for row in rows]

    async def set_open(self, is_open: bool) -> None:
        """Open or close requests (closed: new requests are turned down)."""
        async with self.unit_of_work() as tx:
            await tx.execute("UPDATE player SET requests_open = ? WHERE id = 1", (int(is_open),))

    async def set_paused(self, reason: str | None) -> None:
        """Pause pushing with a reason the console shows (None resumes)."""
        async with self.unit_of_work() as tx:
            await tx.execute("UPDATE player SET paused_reason = ? WHERE id = 1", (reason,))

    # -- the push to Spotify --------------------------------------------------------------------------------

    async def claim_next(self, current_track_id: str | None = None) -> SongRequest | None:
        """The head of the line, now PUSHING; None while another request is on its way or not yet playing."""
        async with self.unit_of_work() as tx:
            busy = await tx.fetch_one("SELECT 1 FROM requests WHERE state IN ('pushing', 'queued') LIMIT 1")
            if busy is not None:
                return None
            row = await tx.fetch_one("SELECT * FROM requests WHERE state = 'waiting' ORDER BY sort_key LIMIT 1")
            if row is None:
                return None
            now = self.clock.now_ms()
            await tx.execute(
                "UPDATE requests SET state = 'pushing', state_ms = ?, pushed_ms = ?, pushed_current = ? WHERE id = ?",
                (now, now, current_track_id, row["id"]),
            )
            return await self._get(tx, row["id"])

    async def pushed(self, request_id: str) -> SongRequest | None:
        """Spotify took it: QUEUED, the redemption is owed its fulfilment, and `song_request_success` is out."""
        async with self.unit_of_work() as tx:
            req = await self._get(tx, request_id)
            if req is None or req.state is not RequestState.PUSHING:
                return req
            await self._mark_queued(tx, req)
            return await self._get(tx, request_id)

    async def _mark_queued(self, tx: TxContext, req: SongRequest) -> None:
        now = self.clock.now_ms()
        settle = "fulfil" if req.source == "redemption" else "none"
        await tx.execute(
            "UPDATE requests SET state = 'queued', state_ms = ?, settle = ? WHERE id = ?", (now, settle, req.id)
        )
        payload = {
            "userId": req.requester_id,
            "userDisplayName": req.requester_name,
            "sagaId": req.id,
            "trackId": req.track_id,
        }
        event_id = deterministic_event_id(SUCCESS_EVENT, req.id)
        await tx.publish(DomainEvent(event_id, SUCCESS_EVENT, self.name, req.requested_ms, payload))

    async def push_failed(self, request_id: str) -> None:
        """Spotify did not take it: back to the head of the line (its place is kept)."""
        async with self.unit_of_work() as tx:
            await tx.execute(
                "UPDATE requests SET state = 'waiting', state_ms = ?, pushed_ms = NULL "
                "WHERE id = ? AND state = 'pushing'",
                (self.clock.now_ms(), request_id),
            )

    async def apply_sync(self, view: SpotifyView) -> list[SongRequest]:
        """Reconcile requests with what Spotify shows; the requests whose state changed."""
        changed: list[str] = []
        async with self.unit_of_work() as tx:
            before = await tx.fetch_one("SELECT track, progress_ms, upcoming FROM player WHERE id = 1")
            assert before is not None
            try:
                last = track_from_json(before["track"])
                last_upcoming = [t.id for t in tracks_from_json(before["upcoming"])]
            except StoredDataError:
                last, last_upcoming = None, []  # a broken snapshot is replaced by this one
            look = Look.between(last.id if last else None, int(before["progress_ms"]), last_upcoming, view)
            rows = await tx.fetch_all(
                "SELECT * FROM requests WHERE state IN ('pushing', 'queued', 'playing') ORDER BY sort_key"
            )
            for req in (request_from_row(row) for row in rows):
                if await self._reconcile(tx, req, look):
                    changed.append(req.id)
            upcoming = json.dumps([t.model_dump() for t in view.upcoming[:MAX_UPCOMING_KEPT]])
            await tx.execute(
                "UPDATE player SET synced_ms = ?, sync_failures = 0, last_error = NULL, is_playing = ?, track = ?, "
                "progress_ms = ?, upcoming = ? WHERE id = 1",
                (view.synced_ms, int(view.is_playing), track_json(view.current), view.progress_ms, upcoming),
            )
            return [r for r in [await self._get(tx, i) for i in changed] if r is not None]

    async def _reconcile(self, tx: TxContext, req: SongRequest, look: Look) -> bool:
        current, now = look.current, look.now
        # Attribution is by occurrence, not by track id: the same track may be on air or queued ahead of ours.
        here = req.track_id == current and look.started
        queued_there = req.track_id in look.upcoming
        row = await tx.fetch_one(
            "SELECT seen_ms, pushed_ms, pushed_current, ahead FROM requests WHERE id = ?", (req.id,)
        )
        assert row is not None
        seen, pushed, pushed_current = row["seen_ms"], row["pushed_ms"], row["pushed_current"]
        if here and seen is None and queued_there and req.track_id in look.before:
            here = False  # the occurrence that started was queued before ours was pushed
        # Spotify plays its queue right after the current track: once the current track is no longer the one
        # we pushed behind, a push we never saw has already played or was skipped.
        moved_on = current != pushed_current
        match req.state:
            case RequestState.PUSHING:
                # Only after a crash mid-push: Spotify's queue says whether the push landed.
                if here or queued_there:
                    await self._mark_queued(tx, req)
                elif moved_on:
                    # Unknowable whether it landed; pushing again could play it twice, so it counts as landed.
                    await self._mark_queued(tx, req)
                    await self._set_state(tx, req.id, RequestState.DROPPED, now)
                else:
                    await tx.execute(
                        "UPDATE requests SET state = 'waiting', state_ms = ?, pushed_ms = NULL, pushed_current = NULL "
                        "WHERE id = ?",
                        (now, req.id),
                    )
                return True
            case RequestState.QUEUED if here and int(row["ahead"]) > 0:
                # An earlier occurrence of the same track started; ours is still to come.
                await tx.execute("UPDATE requests SET ahead = ahead - 1, seen_ms = ? WHERE id = ?", (now, req.id))
                return False
            case RequestState.QUEUED if here:
                await tx.execute(
                    "UPDATE requests SET state = 'playing', state_ms = ?, started_ms = ?, seen_ms = ? WHERE id = ?",
                    (now, now, now, req.id),
                )
                return True
            case RequestState.QUEUED if queued_there:
                ahead = look.ahead_of_new(req.track_id) if seen is None else int(row["ahead"])
                await tx.execute("UPDATE requests SET seen_ms = ?, ahead = ? WHERE id = ?", (now, ahead, req.id))
                return False
            case RequestState.QUEUED:
                # Seen before and gone now: skipped or removed in Spotify. Never seen: Spotify may lag, for a while.
                if seen is not None or moved_on or (pushed is not None and now - int(pushed) > UNSEEN_GIVE_UP_MS):
                    await self._set_state(tx, req.id, RequestState.DROPPED, now)
                    return True
                return False
            case RequestState.PLAYING if req.track_id != current or look.started:
                await tx.execute(
                    "UPDATE requests SET state = 'played', state_ms = ?, finished_ms = ? WHERE id = ?",
                    (now, now, req.id),
                )
                return True
        return False

    async def _set_state(self, tx: TxContext, request_id: str, state: RequestState, now: int) -> None:
        await tx.execute("UPDATE requests SET state = ?, state_ms = ? WHERE id = ?", (state.value, now, request_id))

    async def sync_failed(self, error: str) -> int:
        """Note a failed sync (the snapshot stays as it was); the number of failures in a row."""
        async with self.unit_of_work() as tx:
            await tx.execute(
                "UPDATE player SET sync_failures = sync_failures + 1, last_error = ? WHERE id = 1", (error[:300],)
            )
            row = await tx.fetch_one("SELECT sync_failures FROM player WHERE id = 1")
        return int(row[0]) if row is not None else 1

    # -- what the redemptions are owed ----------------------------------------------------------------------

    async def unsettled(self, limit: int = 50) -> list[SongRequest]:
        """Requests whose fulfilment or refund Twitch has not been told about yet, oldest first."""
        async with self.reading() as r:
            rows = await r.fetch_all(
                "SELECT * FROM requests WHERE settle <> 'none' AND settled = 0 ORDER BY state_ms LIMIT ?", (limit,)
            )
        return [request_from_row(row) for row in rows]

    async def settled(self, request_id: str, error: str | None = None) -> None:
        """Twitch was told (or refused for good, with `error`)."""
        async with self.unit_of_work() as tx:
            await tx.execute(
                "UPDATE requests SET settled = 1, settle_error = ?, settle_attempts = settle_attempts + 1 WHERE id = ?",
                (error, request_id),
            )

    async def settle_attempt_failed(self, request_id: str, error: str) -> None:
        """A retryable failure telling Twitch; tried again on the next cycle."""
        async with self.unit_of_work() as tx:
            await tx.execute(
                "UPDATE requests SET settle_attempts = settle_attempts + 1, settle_error = ? WHERE id = ?",
                (error[:300], request_id),
            )
