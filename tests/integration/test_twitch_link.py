"""The engine against the simulator over real sockets: login, live state, chat, EventSub resilience."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.feed import ChatSeen, LinkChanged, RedemptionSeen
from streamdeck_tui.twitch.eventsub import LinkState
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for


def _texts(rig: Rig) -> list[str]:
    return [c.text for c in rig.of_type(ChatSeen)]


async def _subscribed(rig: Rig) -> bool:
    """All eight subscriptions exist on the current session (not left over from a lost one)."""
    link = rig.engine.twitch
    if link is None or len(link.subscriptions) != 8:
        return False
    return all(
        s.transport is not None and s.transport.session_id == link.client.session_id
        for s in link.subscriptions.values()
    )


async def test_goes_live_subscribes_and_shows_chat_and_redemptions(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        assert rig.engine.twitch is not None and rig.engine.twitch.me is not None
        await wait_for(lambda: _subscribed(rig))
        await rig.post("/stream/online", {"viewer_count": 321})
        stream = rig.engine.stream
        assert stream is not None
        await wait_for(lambda: _live(rig))
        await rig.post("/chat", {"user": "kiwi_fan", "text": "hello from the test"})
        await rig.post("/redemptions", {"reward_title": "Hydrate!", "user": "kiwi_fan", "user_input": "water"})
        await wait_for(lambda: "hello from the test" in _texts(rig))
        await wait_for(lambda: any(r.user_input == "water" for r in rig.of_type(RedemptionSeen)))
        chat = next(c for c in rig.of_type(ChatSeen) if c.text == "hello from the test")
        assert chat.login == "kiwi_fan"


async def _live(rig: Rig) -> bool:
    stream = rig.engine.stream
    return stream is not None and (await stream.snapshot()).live


async def test_dropped_socket_reconnects_resubscribes_and_reconciles(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        first_session = link.client.session_id
        # Live while the socket is down: no event will be replayed, only a reconcile can tell.
        await rig.post("/faults/ws-drop", {})
        await rig.post("/stream/online", {"viewer_count": 99})
        await wait_for(lambda: link.client.session_id != first_session and link.client.stats.sessions == 2, 15)
        await wait_for(lambda: _subscribed(rig))
        await wait_for(lambda: _live(rig))
        states = [c.state for c in rig.of_type(LinkChanged)]
        assert LinkState.DISCONNECTED.value in states
        assert states[-1] == LinkState.CONNECTED.value
        await rig.post("/chat", {"user": "kiwi_fan", "text": "after the drop"})
        await wait_for(lambda: "after the drop" in _texts(rig))


async def test_session_reconnect_while_events_flow_processes_each_once(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        texts = [f"line {i}" for i in range(40)]
        for i, text in enumerate(texts):
            if i == 20:
                await rig.post("/eventsub/reconnect", {})
            await rig.post("/chat", {"user": "kiwi_fan", "text": text})
        await wait_for(lambda: all(t in _texts(rig) for t in texts), 15)
        assert sorted(t for t in _texts(rig) if t.startswith("line ")) == sorted(texts)
        assert link.client.stats.reconnects == 1
        assert link.client.stats.sessions == 1  # a hand-over, not a new session


async def test_frame_sent_twice_is_processed_once(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        await rig.post("/faults/ws-duplicate", {"count": 1})
        await rig.post("/chat", {"user": "kiwi_fan", "text": "only once"})
        await rig.post("/chat", {"user": "kiwi_fan", "text": "marker"})
        await wait_for(lambda: "marker" in _texts(rig))
        assert _texts(rig).count("only once") == 1
        assert link.client.stats.duplicates == 1
