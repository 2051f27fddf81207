"""SongQueue against a real SQLite file: intake rules, moderation, the push protocol, reconciliation with
Spotify, history and what each redemption is owed (the reference's song-queue behaviours, as ours)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streamdeck_tui.components.song_queue import UNSEEN_GIVE_UP_MS, SongQueue
from streamdeck_tui.runtime import ComponentContext, FakeClock, Ok
from streamdeck_tui.runtime.events import deterministic_event_id
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.songs.models import NewRequest, RequestState, SongRejected, SpotifyView
from streamdeck_tui.songs.policy import SongPolicy
from streamdeck_tui.spotify.models import TrackInfo

POLICY = SongPolicy()


def track(n: int, duration_ms: int = 200_000) -> TrackInfo:
    return TrackInfo(id=f"t{n:021d}", name=f"Song {n}", artists=(f"Artist {n}",), duration_ms=duration_ms)


def request(n: int, user: str = "u1", *, t: int | None = None, source: str = "redemption", at: int = 0) -> NewRequest:
    redemption = source == "redemption"
    return NewRequest(
        id=f"r{n}",
        track=track(n if t is None else t),
        requester_id=user,
        requester_login=f"login_{user}",
        requester_name=f"Name_{user}",
        source=source,  # type: ignore[arg-type]
        requested_ms=at,
        reward_id="reward" if redemption else None,
        redemption_id=f"red{n}" if redemption else None,
    )


def view(clock: FakeClock, current: TrackInfo | None, *upcoming: TrackInfo, progress: int = 0) -> SpotifyView:
    return SpotifyView(current, current is not None, progress, tuple(upcoming), clock.now_ms())


@pytest.fixture
async def queue(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SongQueue]:
    component = SongQueue(ComponentContext(tmp_path, clock, migrations_root()))
    assert await component.start() == Ok(None)
    yield component
    await component.stop()


async def add(queue: SongQueue, new: NewRequest, policy: SongPolicy = POLICY) -> int:
    added = await queue.add(new, policy)
    assert isinstance(added, Ok), added
    return added.value.position


async def rejected(queue: SongQueue, new: NewRequest, policy: SongPolicy = POLICY) -> str:
    added = await queue.add(new, policy)
    assert not isinstance(added, Ok), added
    assert isinstance(added.error, SongRejected)
    return added.error.reason


async def states(queue: SongQueue) -> dict[str, RequestState]:
    return {r.id: r.state for r in await queue.all_requests()}


def rows(queue: SongQueue, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(queue.db_path) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


# -- intake -------------------------------------------------------------------------------------------------


async def test_requests_wait_in_order_and_a_replay_returns_the_stored_one(queue: SongQueue) -> None:
    assert [await add(queue, request(n, f"u{n}")) for n in (1, 2, 3)] == [1, 2, 3]
    again = await queue.add(request(2, "u2"), POLICY)
    assert isinstance(again, Ok) and again.value.existing and again.value.position == 2
    assert [r.id for r in await queue.waiting()] == ["r1", "r2", "r3"]
    assert len(await queue.all_requests()) == 3
    stored = await queue.get("r1")
    assert stored is not None and stored.artists == ("Artist 1",) and stored.settle == "none"


async def test_rules_turn_requests_down_with_a_reason_and_store_nothing(queue: SongQueue, clock: FakeClock) -> None:
    policy = SongPolicy(max_pending_per_viewer=2, max_queue=3, blocked_viewers=["Pest"])
    await add(queue, request(1, "a"), policy)
    await add(queue, request(2, "a"), policy)
    assert "already have 2 requests waiting" in await rejected(queue, request(3, "a"), policy)
    assert "already in the queue" in await rejected(queue, request(4, "b", t=1), policy)
    await add(queue, request(5, "b"), policy)
    assert "queue is full" in await rejected(queue, request(6, "c"), policy)
    banned = NewRequest("r7", track(7), "p", "PEST", "Pest", "chat", 0)
    assert "cannot request" in await rejected(queue, banned, policy)
    await queue.set_open(False)
    assert "closed" in await rejected(queue, request(8, "d"))
    await queue.set_open(True)
    assert {r.id for r in await queue.all_requests()} == {"r1", "r2", "r5"}


async def test_duplicate_window_counts_from_when_the_track_finished(queue: SongQueue, clock: FakeClock) -> None:
    policy = SongPolicy(duplicate_window_minutes=30)
    await add(queue, request(1, "a"), policy)
    claimed = await queue.claim_next()
    assert claimed is not None
    await queue.pushed("r1")
    await queue.apply_sync(view(clock, track(1)))
    clock.advance(60)
    await queue.apply_sync(view(clock, track(99)))
    assert (await states(queue))["r1"] is RequestState.PLAYED
    assert "played in the last 30 minutes" in await rejected(queue, request(2, "b", t=1), policy)
    clock.advance(31 * 60)
    assert await add(queue, request(3, "b", t=1), policy) == 1
    assert await add(queue, request(4, "c", t=4), SongPolicy(duplicate_window_minutes=0)) == 2


# -- moderation ---------------------------------------------------------------------------------------------


async def test_remove_refunds_only_waiting_requests(queue: SongQueue) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "b", source="chat"))
    removed = await queue.remove("r1", "removed by the streamer")
    assert isinstance(removed, Ok) and removed.value.state is RequestState.REMOVED
    assert removed.value.settle == "refund" and not removed.value.settled
    chat = await queue.remove("r2", "x")
    assert isinstance(chat, Ok) and chat.value.settle == "none"  # nothing to refund for a chat request
    assert not isinstance(await queue.remove("r1", "again"), Ok)
    assert not isinstance(await queue.remove("missing", "x"), Ok)
    assert [r.id for r in await queue.unsettled()] == ["r1"]
    await queue.settled("r1")
    assert await queue.unsettled() == []


async def test_move_play_next_and_withdraw(queue: SongQueue) -> None:
    for n, user in ((1, "a"), (2, "b"), (3, "a"), (4, "c")):
        await add(queue, request(n, user, at=n))
    assert await queue.move("r3", -1) == Ok(2)
    assert [r.id for r in await queue.waiting()] == ["r1", "r3", "r2", "r4"]
    assert await queue.move("r1", -1) == Ok(1)  # already first: stays
    assert await queue.play_next("r4") == Ok(1)
    assert [r.id for r in await queue.waiting()] == ["r4", "r1", "r3", "r2"]
    assert await queue.move("r4", +1) == Ok(2)
    withdrawn = await queue.withdraw_last("a")
    assert isinstance(withdrawn, Ok) and withdrawn.value.id == "r3"  # a's newest
    assert withdrawn.value.settle == "refund"
    assert not isinstance(await queue.withdraw_last("nobody"), Ok)


async def test_ban_takes_out_and_refunds_everything_waiting(queue: SongQueue) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "a"))
    await add(queue, request(3, "b"))
    removed = await queue.ban("@Login_A", "a")
    assert {r.id for r in removed} == {"r1", "r2"}
    assert await queue.banned() == ["login_a"]
    assert "cannot request" in await rejected(queue, request(4, "a"))
    assert await queue.unban("login_a")
    assert await add(queue, request(4, "a")) == 2


# -- the push and the reconciliation ------------------------------------------------------------------------


async def test_one_push_at_a_time_and_the_success_event_once(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "b"))
    first = await queue.claim_next()
    assert first is not None and first.id == "r1" and first.state is RequestState.PUSHING
    assert await queue.claim_next() is None  # r1 is on its way
    pushed = await queue.pushed("r1")
    assert pushed is not None and pushed.state is RequestState.QUEUED and pushed.settle == "fulfil"
    assert await queue.pushed("r1") == pushed  # a repeat changes nothing
    assert await queue.claim_next() is None  # r1 is queued in Spotify, not yet playing
    events = rows(queue, "SELECT event_id, type, payload FROM outbox")
    assert [(e["event_id"], e["type"]) for e in events] == [
        (deterministic_event_id("song_request_success", "r1"), "song_request_success")
    ]
    assert json.loads(events[0]["payload"])["trackId"] == track(1).id
    await queue.apply_sync(view(clock, track(1)))
    second = await queue.claim_next()
    assert second is not None and second.id == "r2"


async def test_a_failed_push_keeps_its_place(queue: SongQueue) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "b"))
    claimed = await queue.claim_next()
    assert claimed is not None
    await queue.push_failed("r1")
    assert [r.id for r in await queue.waiting()] == ["r1", "r2"]
    assert (await queue.get("r1")).settle == "none"  # type: ignore[union-attr]


async def test_queued_plays_then_lands_in_history(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await queue.claim_next()
    await queue.pushed("r1")
    await queue.apply_sync(view(clock, track(50), track(1)))
    assert (await states(queue))["r1"] is RequestState.QUEUED
    clock.advance(10)
    await queue.apply_sync(view(clock, track(1), track(51)))
    assert (await states(queue))["r1"] is RequestState.PLAYING
    now = await queue.now_playing()
    assert now.track == track(1) and now.request is not None and now.request.id == "r1"
    assert now.upcoming == (track(51),)
    clock.advance(200)
    await queue.apply_sync(view(clock, track(51)))
    [played] = await queue.history()
    assert played.id == "r1" and played.finished_ms == clock.now_ms()


async def test_seen_then_missing_is_dropped_and_never_seen_waits_a_while(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await queue.claim_next()
    await queue.pushed("r1")
    await queue.apply_sync(view(clock, track(50), track(1)))
    await queue.apply_sync(view(clock, track(50)))  # skipped in Spotify
    assert (await states(queue))["r1"] is RequestState.DROPPED

    await add(queue, request(2, "b"))
    await queue.claim_next(track(50).id)
    await queue.pushed("r2")
    await queue.apply_sync(view(clock, track(50)))  # Spotify may lag: kept
    assert (await states(queue))["r2"] is RequestState.QUEUED
    clock.advance(UNSEEN_GIVE_UP_MS / 1000 + 1)
    await queue.apply_sync(view(clock, track(50)))
    assert (await states(queue))["r2"] is RequestState.DROPPED
    assert await queue.history() == []  # dropped tracks never count as played


async def test_an_unseen_push_is_given_up_once_spotify_moved_on(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await queue.claim_next(track(50).id)
    await queue.pushed("r1")
    await queue.apply_sync(view(clock, track(51)))  # played (or skipped) between two looks: never seen
    dropped = await queue.get("r1")
    assert dropped is not None and dropped.state is RequestState.DROPPED and dropped.settle == "fulfil"
    await add(queue, request(2, "b"))
    assert (await queue.claim_next(track(51).id)) is not None  # the line moves on


async def test_a_push_cut_short_is_resolved_from_spotifys_queue(queue: SongQueue, clock: FakeClock) -> None:
    await add(queue, request(1, "a"))
    await add(queue, request(2, "b"))
    await queue.claim_next()  # r1: then the process died before recording the push
    await queue.apply_sync(view(clock, track(50), track(1)))
    landed = await queue.get("r1")
    assert landed is not None and landed.state is RequestState.QUEUED and landed.settle == "fulfil"
    await queue.apply_sync(view(clock, track(1)))
    await queue.claim_next(track(1).id)  # r2: died again, and this time Spotify never got it
    await queue.apply_sync(view(clock, track(1)))
    assert (await states(queue))["r2"] is RequestState.WAITING
    assert [r.id for r in await queue.waiting()] == ["r2"]
    await add(queue, request(3, "c"))
    await queue.claim_next(track(1).id)  # r2 again; the process died and Spotify moved on meanwhile
    await queue.apply_sync(view(clock, track(60)))
    # Unknowable whether it landed: it counts as landed (owed its fulfilment) rather than risk a second push.
    gone = await queue.get("r2")
    assert gone is not None and gone.state is RequestState.DROPPED and gone.settle == "fulfil"


async def test_a_failed_sync_keeps_the_snapshot(queue: SongQueue, clock: FakeClock) -> None:
    await queue.apply_sync(view(clock, track(7), track(8)))
    assert await queue.sync_failed("Spotify answered 503") == 1
    assert await queue.sync_failed("Spotify answered 503") == 2
    now = await queue.now_playing()
    assert now.track == track(7) and now.upcoming == (track(8),)
    assert now.sync_failures == 2 and now.last_error == "Spotify answered 503"
    await queue.apply_sync(view(clock, track(8)))
    assert (await queue.now_playing()).sync_failures == 0


async def test_history_filters_and_pages(queue: SongQueue, clock: FakeClock) -> None:
    for n in range(1, 6):
        await add(queue, request(n, "a" if n % 2 else "b", at=n))
        await queue.claim_next()
        await queue.pushed(f"r{n}")
        await queue.apply_sync(view(clock, track(n)))
        clock.advance(100)
        await queue.apply_sync(view(clock, track(100 + n)))
    everything = await queue.history()
    assert [r.id for r in everything] == ["r5", "r4", "r3", "r2", "r1"]
    assert [r.id for r in await queue.history(limit=2, offset=1)] == ["r4", "r3"]
    assert [r.id for r in await queue.history(requester="@LOGIN_B")] == ["r4", "r2"]
    middle = everything[2].finished_ms
    assert middle is not None
    assert [r.id for r in await queue.history(since_ms=middle)] == ["r5", "r4", "r3"]
    assert [r.id for r in await queue.history(until_ms=middle)] == ["r3", "r2", "r1"]


async def test_the_queue_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    first = SongQueue(ComponentContext(tmp_path, clock, migrations_root()))
    assert await first.start() == Ok(None)
    await add(first, request(1, "a"))
    await add(first, request(2, "b"))
    await first.play_next("r2")
    await first.stop()
    second = SongQueue(ComponentContext(tmp_path, clock, migrations_root()))
    assert await second.start() == Ok(None)
    try:
        assert [r.id for r in await second.waiting()] == ["r2", "r1"]
    finally:
        await second.stop()


async def test_check_constraints_refuse_contradictions(queue: SongQueue) -> None:
    await add(queue, request(1, "a"))
    with sqlite3.connect(queue.db_path) as conn:
        for sql in (
            "UPDATE requests SET settle = 'refund' WHERE id = 'r1'",  # refund while waiting
            "UPDATE requests SET settle = 'fulfil' WHERE id = 'r1'",  # fulfil before the push
            "UPDATE requests SET state = 'lost' WHERE id = 'r1'",
            "UPDATE requests SET artists = 'not json' WHERE id = 'r1'",
            "UPDATE requests SET redemption_id = NULL WHERE id = 'r1'",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(sql)
