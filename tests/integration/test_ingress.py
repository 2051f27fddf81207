"""Ingress against the simulator: viewer polling on a fake clock, bad frames, stale messages."""

from __future__ import annotations

import json
from pathlib import Path

from streamdeck_tui.feed import ChatSeen
from streamdeck_tui.runtime import FakeClock
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

STREAMS = "GET /helix/streams"


async def _subscribed(rig: Rig) -> bool:
    link = rig.engine.twitch
    return link is not None and len(link.subscriptions) == 8


async def _live(rig: Rig) -> bool:
    stream = rig.engine.stream
    return stream is not None and (await stream.snapshot()).live


async def _offline(rig: Rig) -> bool:
    return not await _live(rig)


async def _next_poll_in(rig: Rig, clock: FakeClock, ms: int) -> bool:
    stream = rig.engine.stream
    assert stream is not None
    async with stream.reading() as r:
        row = await r.fetch_one("SELECT due_ms FROM timers WHERE key = 'viewer_poll'")
    return row is not None and row[0] == clock.now_ms() + ms


def _texts(rig: Rig) -> list[str]:
    return [c.text for c in rig.of_type(ChatSeen)]


async def test_one_get_streams_per_simulated_minute_while_live_none_while_offline(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock) as rig:
        await wait_for(lambda: _subscribed(rig))
        await rig.post("/stream/online", {"viewer_count": 50})
        await wait_for(lambda: _live(rig))
        calls = rig.sim.requests.count(STREAMS)
        for minute in range(1, 6):
            await rig.put("/viewers", {"count": 50 + minute})
            clock.advance(30)
            assert rig.sim.requests.count(STREAMS) == calls + minute - 1  # not before the minute is up
            clock.advance(30)
            await wait_for(lambda m=minute: rig.sim.requests.count(STREAMS) == calls + m)  # type: ignore[misc]
            # The next poll is scheduled only once this one has finished and recorded its sample.
            await wait_for(lambda: _next_poll_in(rig, clock, 60_000))
        await rig.post("/stream/offline", {})
        await wait_for(lambda: _offline(rig))
        after = rig.sim.requests.count(STREAMS)
        for _ in range(5):
            clock.advance(60)
        await rig.post("/chat", {"user": "kiwi_fan", "text": "still here"})
        await wait_for(lambda: "still here" in _texts(rig))  # the engine kept running meanwhile
        assert rig.sim.requests.count(STREAMS) == after
        stream = rig.engine.stream
        assert stream is not None
        sessions = await stream.sessions()
        assert len(sessions) == 1 and sessions[0].ended_ms is not None and sessions[0].samples == 5


async def test_bad_frames_are_counted_and_the_link_survives(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        session = link.client.session_id
        bad = [
            "{not json",
            json.dumps({"metadata": {"message_id": "m1", "message_type": "surprise", "message_timestamp": _now()}}),
            json.dumps({"metadata": {"message_type": "notification"}, "payload": {}}),
            json.dumps(
                {
                    "metadata": {
                        "message_id": "m2",
                        "message_type": "notification",
                        "message_timestamp": _now(),
                    },
                    "payload": {"event": {}},
                }
            ),
        ]
        for frame in bad:
            await rig.post("/eventsub/raw", {"text": frame})
        await rig.post("/chat", {"user": "kiwi_fan", "text": "after garbage"})
        await wait_for(lambda: "after garbage" in _texts(rig))
        assert link.client.stats.invalid == 4
        assert link.client.session_id == session  # the connection was kept

        await rig.post("/eventsub/raw", {"size": 2 * 1024 * 1024})
        await wait_for(lambda: link.client.session_id != session and _subscribed(rig), 20)
        assert link.client.stats.invalid == 5
        await rig.post("/chat", {"user": "kiwi_fan", "text": "after the big one"})
        await wait_for(lambda: "after the big one" in _texts(rig))


async def test_messages_older_than_ten_minutes_are_refused(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        sub = link.subscriptions["channel.chat.message"]
        old = {
            "metadata": {
                "message_id": "old-1",
                "message_type": "notification",
                "message_timestamp": "2020-01-01T00:00:00.123456789Z",
                "subscription_type": "channel.chat.message",
                "subscription_version": "1",
            },
            "payload": {
                "subscription": sub.model_dump(mode="json"),
                "event": {"chatter_user_login": "x", "message": {"text": "from the past"}},
            },
        }
        await rig.post("/eventsub/raw", {"text": json.dumps(old)})
        await rig.post("/chat", {"user": "kiwi_fan", "text": "marker"})
        await wait_for(lambda: "marker" in _texts(rig))
        assert link.client.stats.stale == 1
        assert "from the past" not in _texts(rig)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
