"""The reference's song-queue tests (original-system.md §2.3.7) mapped onto our design, where the console owns the
queue and a request reaches Spotify only when it is pushed just in time. Behaviours already pinned down by
test_song_queue.py or tests/integration/test_song_*.py are not repeated here."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import ValidationError

from streamdeck_tui.components.song_queue import MAX_HISTORY, MAX_UPCOMING_KEPT, SongQueue
from streamdeck_tui.runtime import ComponentContext, FakeClock, Ok
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.runtime.result import Err, Result, TaggedError
from streamdeck_tui.songs.models import NewRequest, RequestState, SpotifyView
from streamdeck_tui.songs.policy import SongPolicy
from streamdeck_tui.songs.sync import SongSync, SpotifyNotConnected, backoff_ms
from streamdeck_tui.twitch.models import User
from streamdeck_tui.workflows.song_request import SongParams
from tests.songqueue.test_song_queue import POLICY, add, request, rows, states, track, view
from tests.support.sim import running_engine
from tests.support.waiting import wait_for


def sqlite_max_variables() -> int:
    """How many bound parameters one statement may carry with the SQLite we run on (32,766 by default; some
    distributions build with more)."""
    with sqlite3.connect(":memory:") as conn:
        return conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


@asynccontextmanager
async def started(data_dir: Path, clock: FakeClock) -> AsyncIterator[SongQueue]:
    component = SongQueue(ComponentContext(data_dir, clock, migrations_root()))
    assert await component.start() == Ok(None)
    try:
        yield component
    finally:
        await component.stop()


@pytest.fixture
async def queue(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SongQueue]:
    async with started(tmp_path, clock) as component:
        yield component


async def pushed(queue: SongQueue, request_id: str, current: str | None = None) -> None:
    claimed = await queue.claim_next(current)
    assert claimed is not None and claimed.id == request_id
    await queue.pushed(request_id)


async def no_broadcaster() -> Result[User, TaggedError]:
    return Err(SpotifyNotConnected())


def unconnected_sync(queue: SongQueue, clock: FakeClock) -> SongSync:
    """The real sync service with no Spotify account and no Twitch link: every cycle is a failed read."""
    return SongSync(queue, lambda: None, lambda: None, no_broadcaster, clock)


async def failures(queue: SongQueue) -> int:
    return (await queue.now_playing()).sync_failures


def failures_are(queue: SongQueue, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await failures(queue) == n

    return check


# -- persist ------------------------------------------------------------------------------------------------


async def test_malformed_requests_are_refused_at_both_boundaries_and_store_nothing(queue: SongQueue) -> None:
    # The workflow's boundary: what a redemption or `!sr` hands the queue is validated before anything runs.
    fields = {"request_id": "r1", "broadcaster_id": "b", "user_id": "u", "user_login": "u", "requested_ms": 0}
    assert SongParams(**fields, display_name="x" * 100, user_input="x").display_name == "x" * 100
    for name, text in (("x" * 101, "x"), ("", "x"), ("x", "x" * 20_001)):
        with pytest.raises(ValidationError):
            SongParams(**fields, display_name=name, user_input=text)
    # The component's boundary: the schema refuses what would contradict it, atomically.
    too_long = NewRequest("r1", track(1), "u1", "login_u1", "x" * 101, "chat", 0)
    no_redemption = NewRequest("r2", track(2), "u2", "login_u2", "Name", "redemption", 0)
    for bad in (too_long, no_redemption):
        with pytest.raises(sqlite3.IntegrityError):
            await queue.add(bad, POLICY)
    assert await queue.all_requests() == []
    assert await add(queue, request(3, "u3")) == 1  # the queue is usable afterwards


# -- delete -------------------------------------------------------------------------------------------------


async def test_discard_forgets_a_waiting_request_and_is_idempotent(queue: SongQueue) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "b"))
    claimed = await queue.claim_next()
    assert claimed is not None and claimed.id == "r1"
    assert not await queue.discard("r1")  # on its way to Spotify: no longer the intake's to undo
    assert await queue.discard("r2")
    assert not await queue.discard("r2")  # a replayed undo
    assert not await queue.discard("missing")
    assert await states(queue) == {"r1": RequestState.PUSHING}
    assert await queue.unsettled() == []  # a discarded request owes nothing (the workflow refunds it)


# -- writeHistory: history is written by the reconciliation only ---------------------------------------------


async def test_a_replayed_sync_writes_history_once(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await pushed(queue, "r1")
    await queue.apply_sync(view(clock, track(1)))
    clock.advance(200)
    ended = view(clock, track(2))
    assert [r.id for r in await queue.apply_sync(ended)] == ["r1"]
    [first] = await queue.history()
    assert await queue.apply_sync(ended) == []  # the same snapshot again
    clock.advance(30)
    assert await queue.apply_sync(view(clock, track(3))) == []
    assert await queue.history() == [first]
    assert first.finished_ms == ended.synced_ms


# -- history ------------------------------------------------------------------------------------------------


async def test_history_bounds(tmp_path: Path, clock: FakeClock) -> None:
    async with started(tmp_path, clock) as queue:
        assert await queue.history() == []
    count, base = MAX_HISTORY + 5, clock.now_ms()
    with sqlite3.connect(tmp_path / "song_queue.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO requests (id, track_id, track_name, artists, duration_ms, explicit, requester_id, "
            "requester_login, requester_name, source, requested_ms, sort_key, state, state_ms, finished_ms) "
            "VALUES (?, ?, 'Song', '[\"A\"]', 1000, 0, 'u', 'login_u', 'U', 'chat', 0, 1.0, 'played', ?, ?)",
            [(f"h{n:05d}", f"track{n}", base + n, base + n) for n in range(count)],
        )
    async with started(tmp_path, clock) as queue:
        newest = f"h{count - 1:05d}"
        assert [r.id for r in await queue.history(limit=0)] == [newest]  # clamped up to 1
        assert [r.id for r in await queue.history(limit=-7)] == [newest]
        everything = await queue.history(limit=10 * MAX_HISTORY)
        assert len(everything) == MAX_HISTORY  # clamped down
        assert everything[0].id == newest and everything[-1].id == "h00005"
        assert await queue.history(limit=3, offset=-4) == await queue.history(limit=3)
        assert [r.id for r in await queue.history(limit=2, offset=count - 1)] == ["h00000"]
        assert await queue.history(offset=count) == []
        # since and until are both inclusive, to the millisecond
        assert [r.id for r in await queue.history(since_ms=base + 7, until_ms=base + 7)] == ["h00007"]
        assert [r.id for r in await queue.history(since_ms=base + 7, until_ms=base + 9)] == [
            "h00009",
            "h00008",
            "h00007",
        ]
        assert await queue.history(since_ms=base + 9, until_ms=base + 7) == []


# -- coordination ---------------------------------------------------------------------------------------------


async def test_the_last_snapshot_is_there_after_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    async with started(tmp_path, clock) as queue:
        await queue.apply_sync(view(clock, track(7), track(8), progress=1234))
        synced = clock.now_ms()
        await queue.sync_failed("Spotify answered 503")
    clock.advance(60)
    async with started(tmp_path, clock) as queue:
        now = await queue.now_playing()
        assert (now.track, now.upcoming, now.progress_ms) == (track(7), (track(8),), 1234)
        assert now.synced_ms == synced and now.sync_failures == 1 and now.last_error == "Spotify answered 503"


async def test_pokes_while_idle_coalesce_into_one_cycle(queue: SongQueue, clock: FakeClock) -> None:
    sync = unconnected_sync(queue, clock)
    sync.start()
    try:
        await wait_for(lambda: clock.pending_sleepers() == 1)  # one cycle, then asleep for the backoff
        assert await failures(queue) == 1
        for _ in range(5):
            sync.poke()
        await wait_for(failures_are(queue, 2))
        await wait_for(lambda: clock.pending_sleepers() == 1)
        assert await failures(queue) == 2
        clock.advance(backoff_ms(2) / 1000)  # the backoff still runs the next cycle
        await wait_for(failures_are(queue, 3))
    finally:
        await sync.stop()


async def test_a_failed_cycle_does_not_leave_the_sync_locked(tmp_path: Path, clock: FakeClock) -> None:
    queue = SongQueue(ComponentContext(tmp_path, clock, migrations_root()))
    sync = unconnected_sync(queue, clock)
    with pytest.raises(RuntimeError, match="not started"):
        await sync.cycle()  # the database is not open: the cycle fails half-way
    assert await queue.start() == Ok(None)
    try:
        assert await asyncio.wait_for(sync.cycle(), timeout=5) == backoff_ms(1)
        assert await failures(queue) == 1
    finally:
        await queue.stop()


async def test_a_poke_during_a_cycle_is_not_lost(queue: SongQueue, clock: FakeClock) -> None:
    sync = unconnected_sync(queue, clock)
    async with queue.unit_of_work():
        sync.start()
        # The cycle is under way, waiting for the queue (as it waits for Spotify in real life) ...
        await wait_for(lambda: sync._lock.locked())
        # ... when a request is stored and pokes the sync, the way the intake workflow's on_stored does.
        await add(queue, request(1, "a"))
        sync.poke()
    try:
        await wait_for(failures_are(queue, 2), timeout=1.5)
    finally:
        await sync.stop()


# -- sync -----------------------------------------------------------------------------------------------------


async def test_nothing_playing_reads_as_no_track(queue: SongQueue, clock: FakeClock) -> None:
    fresh = await queue.now_playing()
    assert (fresh.track, fresh.request, fresh.upcoming, fresh.synced_ms) == (None, None, (), None)
    await add(queue, request(1, "a"))
    await pushed(queue, "r1")
    await queue.apply_sync(SpotifyView(None, False, 0, (track(1),), clock.now_ms()))
    idle = await queue.now_playing()
    assert idle.track is None and not idle.is_playing and idle.request is None
    assert idle.synced_ms == clock.now_ms() and idle.upcoming == (track(1),)
    assert (await states(queue))["r1"] is RequestState.QUEUED


async def test_a_large_spotify_queue_and_a_full_request_queue(queue: SongQueue, clock: FakeClock) -> None:
    policy = SongPolicy(max_queue=500, max_pending_per_viewer=50)
    for n in range(1, policy.max_queue + 1):
        await add(queue, request(n, f"u{n % 20}"), policy)
    assert "queue is full" in (await queue.add(request(9999, "late"), policy)).unwrap_err().reason
    await pushed(queue, "r1")
    # More upcoming tracks than SQLite takes bound parameters in one statement, ours near the end.
    distinct = [track(100_000 + i) for i in range(1000)]
    autoplay = [distinct[i % len(distinct)] for i in range(sqlite_max_variables() + 300)]
    big = (*autoplay[:-10], track(1), *autoplay[-10:])
    await queue.apply_sync(view(clock, track(99_999), *big))
    assert (await states(queue))["r1"] is RequestState.QUEUED
    assert rows(queue, "SELECT seen_ms FROM requests WHERE id = 'r1'")[0]["seen_ms"] == clock.now_ms()
    assert len((await queue.now_playing()).upcoming) == MAX_UPCOMING_KEPT
    waiting = await queue.waiting()
    assert [r.id for r in waiting] == [f"r{n}" for n in range(2, policy.max_queue + 1)]
    assert len(await queue.upcoming(limit=1000)) == policy.max_queue
    clock.advance(10)
    await queue.apply_sync(view(clock, track(1), *big[1:]))
    assert (await states(queue))["r1"] is RequestState.PLAYING
    assert (await queue.claim_next(track(1).id)) == await queue.get("r2")


async def test_a_sync_that_fails_half_way_leaves_nothing_behind(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await pushed(queue, "r1")
    await queue.apply_sync(view(clock, track(50), track(1)))
    before_requests, before_player = await queue.all_requests(), await queue.now_playing()
    clock.advance(10)
    # r1 starts (its row changes first), then the player row cannot be stored: progress is not an integer.
    broken = SpotifyView(track(1), True, 1.5, (track(51),), clock.now_ms())  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        await queue.apply_sync(broken)
    assert await queue.all_requests() == before_requests
    assert await queue.now_playing() == before_player
    await queue.apply_sync(view(clock, track(1), track(51)))  # the next good snapshot applies
    assert (await states(queue))["r1"] is RequestState.PLAYING


async def test_concurrent_syncs_apply_as_if_one_after_the_other(tmp_path: Path, clock: FakeClock) -> None:
    async def prepared(queue: SongQueue) -> None:
        for n, user in ((1, "a"), (2, "b")):
            await add(queue, request(n, user))
        await pushed(queue, "r1")

    clock.advance(1)
    snapshots = [view(clock, track(1))]  # r1 starts,
    clock.advance(190)
    snapshots.append(view(clock, track(1), progress=190_000))
    clock.advance(15)
    snapshots.append(view(clock, track(60)))  # ends,
    clock.advance(200)
    snapshots.append(view(clock, track(61), track(62)))  # and the sync moves on.
    async with started(tmp_path / "together", clock) as together, started(tmp_path / "in_turn", clock) as in_turn:
        await prepared(together)
        await prepared(in_turn)
        changed = await asyncio.gather(*(together.apply_sync(s) for s in snapshots))
        expected = [await in_turn.apply_sync(s) for s in snapshots]
        assert changed == expected
        assert await together.all_requests() == await in_turn.all_requests()
        assert await together.now_playing() == await in_turn.now_playing()
        played = [(r.id, r.started_ms, r.finished_ms) for r in await together.history()]
        assert played == [("r1", snapshots[0].synced_ms, snapshots[2].synced_ms)]


async def test_a_new_request_pokes_the_sync(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock, spotify=True, start_playing=True) as rig:
        assert (await rig.engine.setup_rewards()).is_ok()
        queue, sync, rewards = rig.engine.songs, rig.engine.song_sync, rig.engine.rewards
        assert queue is not None and sync is not None and rewards is not None
        reward = await rewards.get("song_request")
        assert reward is not None
        catalogue = [t for t in rig.sim.catalogue.all() if t.is_playable and not t.explicit and t.duration_ms < 400_000]
        on_air, wanted = catalogue[0], catalogue[1]
        # Five seconds left of the current track, and time stands still: only a poke can run a cycle now.
        rig.sim.player.play([on_air], position_ms=on_air.duration_ms - 5_000)

        async def snapshot_taken() -> bool:
            now = await queue.now_playing()
            if now.track is not None and now.track.id == on_air.id and now.progress_ms == on_air.duration_ms - 5_000:
                return True
            sync.poke()
            return False

        await wait_for(snapshot_taken)
        await wait_for(lambda: not sync._lock.locked() and not sync._wake.is_set())  # the loop is asleep
        reads, at = rig.sim.requests.count("GET /v1/me/player/queue"), clock.now_ms()
        assert rig.sim.player.queue_adds == []
        made = await rig.post(
            "/redemptions", {"reward_id": reward.reward_id, "user": "kiwi", "user_input": f"spotify:track:{wanted.id}"}
        )
        request_id = f"redemption:{made['redemption']['id']}"

        async def pushed_to_spotify() -> bool:
            stored = await queue.get(request_id)
            return stored is not None and stored.state is RequestState.QUEUED

        await wait_for(pushed_to_spotify)
        assert [a.track_id for a in rig.sim.player.queue_adds] == [wanted.id]
        assert rig.sim.requests.count("GET /v1/me/player/queue") > reads
        assert clock.now_ms() == at


# -- reconciliation -------------------------------------------------------------------------------------------


async def test_back_to_back_requests_the_previous_one_moves_to_history(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "b"))
    await pushed(queue, "r1")
    await queue.apply_sync(view(clock, track(1)))
    clock.advance(185)
    await pushed(queue, "r2", track(1).id)  # pushed in r1's last seconds
    clock.advance(2)
    await queue.apply_sync(view(clock, track(1), track(2), progress=187_000))
    assert await states(queue) == {"r1": RequestState.PLAYING, "r2": RequestState.QUEUED}
    clock.advance(60)
    await queue.apply_sync(SpotifyView(track(1), False, 190_000, (track(2),), clock.now_ms()))
    assert (await states(queue))["r1"] is RequestState.PLAYING  # paused is not finished
    assert await queue.history() == []
    clock.advance(20)
    await queue.apply_sync(view(clock, track(2)))
    assert await states(queue) == {"r1": RequestState.PLAYED, "r2": RequestState.PLAYING}
    [played] = await queue.history()
    assert played.id == "r1" and played.finished_ms == clock.now_ms()
    now = await queue.now_playing()
    assert now.request is not None and now.request.id == "r2" and now.request.started_ms == clock.now_ms()


async def test_a_request_for_the_track_on_air_waits_for_its_own_occurrence(queue: SongQueue, clock: FakeClock) -> None:
    on_air = track(1)
    await queue.apply_sync(view(clock, on_air))  # the streamer's own play of the track
    assert await add(queue, request(1, "a", t=1)) == 1  # a viewer asks for the same track: it waits
    clock.advance(185)
    await queue.apply_sync(view(clock, on_air, progress=185_000))
    assert (await states(queue))["r1"] is RequestState.WAITING
    await pushed(queue, "r1", on_air.id)
    clock.advance(2)
    await queue.apply_sync(view(clock, on_air, on_air, progress=187_000))  # ours is queued behind the one on air
    assert (await states(queue))["r1"] is RequestState.QUEUED
    assert (await queue.now_playing()).request is None  # not attributed to the occurrence already playing
    clock.advance(13)
    await queue.apply_sync(view(clock, on_air, progress=0))  # its own occurrence starts
    assert (await states(queue))["r1"] is RequestState.PLAYING
    assert await queue.history() == []
    clock.advance(200)
    await queue.apply_sync(view(clock, track(2)))
    [played] = await queue.history()
    assert played.id == "r1" and played.started_ms == played.finished_ms - 200_000  # type: ignore[operator]


async def test_a_skipped_copy_of_the_track_on_air_never_lands_in_history(queue: SongQueue, clock: FakeClock) -> None:
    on_air = track(1)
    await queue.apply_sync(view(clock, on_air, progress=185_000))
    await add(queue, request(1, "a", t=1))
    await pushed(queue, "r1", on_air.id)
    clock.advance(2)
    await queue.apply_sync(view(clock, on_air, on_air, progress=187_000))
    clock.advance(1)
    await queue.apply_sync(view(clock, on_air, progress=188_000))  # the streamer removed our copy in Spotify
    clock.advance(12)
    await queue.apply_sync(view(clock, track(2)))
    assert await queue.history() == []  # it never played
    assert (await states(queue))["r1"] is RequestState.DROPPED


async def test_attribution_follows_its_own_occurrence_when_the_track_repeats(
    queue: SongQueue, clock: FakeClock
) -> None:
    a, x, b, c = track(50), track(1), track(51), track(52)
    await queue.apply_sync(view(clock, a, x, b))  # the streamer queued x in Spotify themselves
    await add(queue, request(1, "v", t=1))
    clock.advance(185)
    await pushed(queue, "r1", a.id)
    clock.advance(2)
    await queue.apply_sync(view(clock, a, x, b, x, progress=187_000))  # ours lands after theirs
    assert (await states(queue))["r1"] is RequestState.QUEUED
    clock.advance(13)
    await queue.apply_sync(view(clock, x, b, x))  # their x starts
    assert (await states(queue))["r1"] is RequestState.QUEUED
    assert (await queue.now_playing()).request is None
    clock.advance(200)
    await queue.apply_sync(view(clock, b, x))
    assert (await states(queue))["r1"] is RequestState.QUEUED
    assert await queue.history() == []
    clock.advance(200)
    await queue.apply_sync(view(clock, x))  # ours starts
    now = await queue.now_playing()
    assert now.request is not None and now.request.id == "r1"
    clock.advance(200)
    await queue.apply_sync(view(clock, c))
    assert [(r.id, r.finished_ms) for r in await queue.history()] == [("r1", clock.now_ms())]


# -- corrupt rows ---------------------------------------------------------------------------------------------


async def test_corrupt_stored_rows_read_back_as_a_typed_error(tmp_path: Path, clock: FakeClock) -> None:
    async with started(tmp_path, clock) as queue:
        await add(queue, request(1, "a"))
        await add(queue, request(2, "b"))
        await queue.apply_sync(view(clock, track(7)))
    with sqlite3.connect(tmp_path / "song_queue.sqlite3") as conn:
        # Valid JSON, so the CHECK lets it in, but not a track (e.g. written by another version).
        conn.execute("""UPDATE player SET track = '{"id": "t7"}' WHERE id = 1""")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("UPDATE requests SET state = 'lost' WHERE id = 'r1'")
    async with started(tmp_path, clock) as queue:
        reads: list[tuple[Callable[[], Awaitable[object]], str]] = [
            (queue.now_playing, "player"),
            (lambda: queue.get("r1"), "r1"),
        ]
        for read, where in reads:
            error: BaseException | None = None
            try:
                await read()
            except Exception as exc:
                error = exc
            assert error is not None and getattr(error, "tag", None) == "SongQueueDataError", repr(error)
            assert where in str(error)
        assert [r.id for r in await queue.waiting()] == ["r2"]  # the rest of the queue reads as before
        await queue.apply_sync(view(clock, track(8)))  # the next sync replaces the broken snapshot
        assert (await queue.now_playing()).track == track(8)
