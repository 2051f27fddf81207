"""Ingress edge cases over the real socket: stale transitions, event times (R9), bad frames, subscriptions."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from streamdeck_tui.feed import ChatSeen
from streamdeck_tui.runtime import FakeClock
from streamdeck_tui.runtime.events import DomainEvent
from streamdeck_tui.simulator.ids import rfc3339_nanos
from streamdeck_tui.twitch.link import TwitchLink
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

STREAMS = "GET /helix/streams"
MINUTE_S = 60


def _link(rig: Rig) -> TwitchLink:
    link = rig.engine.twitch
    assert link is not None and link.me is not None
    return link


def _settled(rig: Rig) -> bool:
    """All eight subscriptions exist on the current session and the session's reconcile has finished."""
    link = rig.engine.twitch
    if link is None or len(link.subscriptions) != 8:
        return False
    setup = link.client._setup
    return (
        setup is not None
        and setup.done()
        and all(
            s.transport is not None and s.transport.session_id == link.client.session_id
            for s in link.subscriptions.values()
        )
    )


def _texts(rig: Rig) -> list[str]:
    return [c.text for c in rig.of_type(ChatSeen)]


def _stream_events(rig: Rig) -> list[DomainEvent]:
    return [e for e in rig.of_type(DomainEvent) if e.type in ("stream_online", "stream_offline")]


def _ts(ms: int) -> str:
    """RFC 3339 with nine fractional digits, as Twitch writes them (sub-millisecond digits are cut off)."""
    return rfc3339_nanos(ms)[:-7] + "456789Z"


def _frame(link: TwitchLink, message_id: str, sub_type: str, at_ms: int, event: dict[str, Any]) -> str:
    sub = link.subscriptions[sub_type]
    return json.dumps(
        {
            "metadata": {
                "message_id": message_id,
                "message_type": "notification",
                "message_timestamp": _ts(at_ms),
                "subscription_type": sub_type,
                "subscription_version": sub.version,
            },
            "payload": {"subscription": sub.model_dump(mode="json"), "event": event},
        }
    )


def _online_event(link: TwitchLink, stream_id: str, started_ms: int) -> dict[str, Any]:
    assert link.me is not None
    return {
        "id": stream_id,
        "broadcaster_user_id": link.me.id,
        "broadcaster_user_login": link.me.login,
        "broadcaster_user_name": link.me.display_name,
        "type": "live",
        "started_at": _ts(started_ms),
    }


def _offline_event(link: TwitchLink) -> dict[str, Any]:
    assert link.me is not None
    return {
        "broadcaster_user_id": link.me.id,
        "broadcaster_user_login": link.me.login,
        "broadcaster_user_name": link.me.display_name,
    }


async def _completed(rig: Rig, message_id: str) -> bool:
    inbox = rig.engine.inbox
    assert inbox is not None
    return any(i.message_id == message_id for i in await inbox.items("completed"))


async def _outbox_types(rig: Rig) -> list[str]:
    stream = rig.engine.stream
    assert stream is not None
    async with stream.reading() as r:
        rows = await r.fetch_all("SELECT type FROM outbox WHERE type IN ('stream_online', 'stream_offline')")
    return [str(row[0]) for row in rows]


async def test_an_online_older_than_the_last_offline_changes_nothing(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = _link(rig)
        stream = rig.engine.stream
        assert stream is not None
        await wait_for(lambda: _settled(rig))
        await rig.post("/stream/online", {"viewer_count": 10})
        await wait_for(lambda: [e.type for e in _stream_events(rig)] == ["stream_online"])
        await rig.post("/stream/offline", {})
        await wait_for(lambda: [e.type for e in _stream_events(rig)] == ["stream_online", "stream_offline"])
        before = await stream.snapshot()
        assert not before.live and before.ended_ms is not None
        sessions_before = await stream.sessions()
        outbox_before = await _outbox_types(rig)

        # Delivered late: an online for a new stream, stamped (and started) before the offline we applied.
        off_ms = before.ended_ms
        frame = _frame(
            link, "late-online", "stream.online", off_ms - 2_000, _online_event(link, "late-1", off_ms - 3_000)
        )
        assert (await rig.post("/eventsub/raw", {"text": frame}))["sent"] == 1
        await wait_for(lambda: _completed(rig, "late-online"))

        after = await stream.snapshot()
        assert not after.live
        assert after == before
        assert await stream.sessions() == sessions_before
        assert len(sessions_before) == 1 and sessions_before[0].stream_id != "late-1"
        assert [e.type for e in _stream_events(rig)] == ["stream_online", "stream_offline"]
        assert await _outbox_types(rig) == outbox_before


async def test_session_times_come_from_started_at_and_the_offline_message_timestamp(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = _link(rig)
        stream = rig.engine.stream
        assert stream is not None
        await wait_for(lambda: _settled(rig))
        now = rig.engine.clock.now_ms()
        # Three distinct instants, none of them the receive time: the stream started 4 minutes ago, Twitch
        # told us 3 minutes ago (delivered late), and the offline message is stamped 1 minute ago.
        started_ms, online_ms, offline_ms = now - 240_123, now - 180_456, now - 60_789
        online = _frame(link, "r9-online", "stream.online", online_ms, _online_event(link, "r9-stream", started_ms))
        await rig.post("/eventsub/raw", {"text": online})
        await wait_for(lambda: _completed(rig, "r9-online"))
        live = await stream.snapshot()
        assert live.live and live.stream_id == "r9-stream"
        assert live.started_ms == started_ms

        offline = _frame(link, "r9-offline", "stream.offline", offline_ms, _offline_event(link))
        await rig.post("/eventsub/raw", {"text": offline})
        await wait_for(lambda: _completed(rig, "r9-offline"))
        ended = await stream.snapshot()
        assert not ended.live
        assert ended.started_ms == started_ms and ended.ended_ms == offline_ms
        (session,) = await stream.sessions()
        assert (session.stream_id, session.started_ms, session.ended_ms) == ("r9-stream", started_ms, offline_ms)
        async with stream.reading() as r:
            row = await r.fetch_one("SELECT started_ms, ended_ms FROM stream_sessions WHERE stream_id = 'r9-stream'")
        assert row is not None and (row[0], row[1]) == (started_ms, offline_ms)


async def test_bad_frames_are_logged_and_counted_and_a_good_event_still_lands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="streamdeck_tui")
    async with running_engine(tmp_path) as rig:
        link = _link(rig)
        stats = link.client.stats
        await wait_for(lambda: _settled(rig))
        session = link.client.session_id
        now = rig.engine.clock.now_ms()
        no_subscription = json.dumps(
            {
                "metadata": {"message_id": "bad-3", "message_type": "notification", "message_timestamp": _ts(now)},
                "payload": {"event": {"chatter_user_login": "x"}},
            }
        )
        cases = [
            ("{not json at all", "malformed eventsub frame"),
            (
                json.dumps(
                    {"metadata": {"message_id": "bad-2", "message_type": "surprise", "message_timestamp": _ts(now)}}
                ),
                "unknown type 'surprise'",
            ),
            (no_subscription, "without a usable payload"),
        ]
        for text, logged in cases:
            invalid, records = stats.invalid, len(caplog.records)
            await rig.post("/eventsub/raw", {"text": text})
            await wait_for(lambda n=invalid: stats.invalid == n + 1)  # type: ignore[misc]
            new = [r.getMessage() for r in caplog.records[records:] if r.name == "streamdeck_tui.eventsub"]
            assert any(logged in m for m in new), (logged, new)
            assert all(r.levelno == logging.WARNING for r in caplog.records[records:])
        assert link.client.session_id == session  # the connection was kept

        # A notification whose event lacks its fields: stored, then refused by the router, logged, not retried.
        unreadable = _frame(link, "bad-4", "channel.chat.message", now, {"chatter_user_login": "x"})
        notifications, unreadable_before = stats.notifications, rig.engine.router.stats.unreadable
        await rig.post("/eventsub/raw", {"text": unreadable})
        await wait_for(lambda: _completed(rig, "bad-4"))
        assert stats.notifications == notifications + 1
        assert rig.engine.router.stats.unreadable == unreadable_before + 1
        assert any(
            r.name == "streamdeck_tui.router" and "unreadable channel.chat.message" in r.getMessage()
            for r in caplog.records
        )

        await rig.post("/chat", {"user": "kiwi_fan", "text": "after the garbage"})
        await wait_for(lambda: "after the garbage" in _texts(rig))

        # 2 MiB is over the 1 MiB frame limit: we close, count, log, and come back on a new session.
        invalid, records = stats.invalid, len(caplog.records)
        await rig.post("/eventsub/raw", {"size": 2 * 1024 * 1024})
        await wait_for(lambda: stats.invalid == invalid + 1)
        assert any("exceeded 1048576 bytes" in r.getMessage() for r in caplog.records[records:])
        await wait_for(lambda: link.client.session_id != session and _settled(rig), 20)
        await rig.post("/chat", {"user": "kiwi_fan", "text": "after the big one"})
        await wait_for(lambda: "after the big one" in _texts(rig))
        assert _texts(rig).count("after the big one") == 1


EXPECTED = {
    # type: (version, condition keys that carry our user id)
    "stream.online": ("1", ("broadcaster_user_id",)),
    "stream.offline": ("1", ("broadcaster_user_id",)),
    "channel.channel_points_custom_reward_redemption.add": ("1", ("broadcaster_user_id",)),
    "channel.channel_points_custom_reward_redemption.update": ("1", ("broadcaster_user_id",)),
    "channel.chat.message": ("1", ("broadcaster_user_id", "user_id")),
    "channel.raid": ("1", ("to_broadcaster_user_id",)),
    "channel.follow": ("2", ("broadcaster_user_id", "moderator_user_id")),
    "channel.update": ("2", ("broadcaster_user_id",)),
}


async def test_the_eight_subscriptions_are_created_on_the_session_within_ten_seconds_of_the_welcome(
    tmp_path: Path,
) -> None:
    async with running_engine(tmp_path) as rig:
        link = _link(rig)
        assert link.me is not None
        me = link.me.id

        async def listed() -> list[dict[str, Any]]:
            subs = (await rig.get("/sent/subscriptions"))["subscriptions"]
            return [s for s in subs if s["transport"]["session_id"] == link.client.session_id]

        async def all_there() -> bool:
            return {s["type"] for s in await listed()} == set(EXPECTED)

        await wait_for(all_there, 10)
        subs = await listed()
        assert len(subs) == 8  # one of each, nothing twice
        for sub in subs:
            version, keys = EXPECTED[sub["type"]]
            assert sub["version"] == version, sub
            assert sub["status"] == "enabled", sub
            assert sub["condition"] == dict.fromkeys(keys, me), sub
            assert sub["transport"]["method"] == "websocket"
            made = rig.sim.registry.subscriptions[sub["id"]]
            # connected_at is when the session opened and its welcome was written.
            assert 0 <= made.created_at_ms - made.connected_at_ms <= 10_000, sub


async def test_no_get_streams_while_offline_before_the_first_go_live(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock) as rig:
        stream = rig.engine.stream
        assert stream is not None
        await wait_for(lambda: _settled(rig))
        baseline = rig.sim.requests.count(STREAMS)
        assert baseline == 2  # the start-up reconcile and the new session's
        for minute in range(1, 6):
            clock.advance(MINUTE_S)
            marker = f"minute {minute}"
            await rig.post("/chat", {"user": "kiwi_fan", "text": marker})
            await wait_for(lambda m=marker: m in _texts(rig))  # type: ignore[misc]
            async with stream.reading() as r:
                timer = await r.fetch_one("SELECT due_ms FROM timers WHERE key = 'viewer_poll'")
            assert timer is None
            assert rig.sim.requests.count(STREAMS) == baseline
        assert stream.polls == 0
        assert not (await stream.snapshot()).live
        assert await stream.sessions() == []
