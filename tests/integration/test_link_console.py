"""What the console shows about the Twitch link: a dropped socket and its reconnect, a revoked subscription."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from streamdeck_tui.ui.app import StreamdeckApp
from streamdeck_tui.ui.event_log import EventLog
from tests.integration.test_redaction import RunningLauncher
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

SIZE = (160, 48)


def _subscribed(rig: Rig) -> bool:
    link = rig.engine.twitch
    return (
        link is not None
        and len(link.subscriptions) == 8
        and all(
            s.transport is not None and s.transport.session_id == link.client.session_id
            for s in link.subscriptions.values()
        )
    )


def _log_text(app: StreamdeckApp) -> str:
    """The event log as drawn: its rendered lines, wrapped lines joined back up."""
    log = app.screen_stack[0].query_one(EventLog)
    return " ".join(" ".join(strip.text.split()) for strip in log.lines)


def _header_link(app: StreamdeckApp) -> str:
    return str(app.screen_stack[0].query_one("#link", Static).render())


async def test_a_dropped_socket_shows_as_lost_then_reconnected(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        first = link.client.session_id
        assert first is not None
        app = StreamdeckApp(RunningLauncher(rig.engine))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            assert "twitch disconnected" not in _log_text(app)

            assert (await rig.post("/faults/ws-drop", {}))["dropped"] == 1
            await wait_for(lambda: link.client.session_id not in (None, first) and _subscribed(rig), 15)
            second = link.client.session_id
            assert second is not None
            await pilot.pause()
            await wait_for(lambda: f"twitch connected: session {second}" in _log_text(app))

            text = _log_text(app)
            lost = text.index("twitch disconnected: reconnecting in")
            again = text.index(f"twitch connected: session {second}")
            assert lost < again
            assert "twitch connecting:" in text[lost:again]
            await wait_for(lambda: _header_link(app) == "twitch: connected")


async def test_a_revoked_subscription_is_shown_in_the_event_log(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        link = rig.engine.twitch
        assert link is not None
        await wait_for(lambda: _subscribed(rig))
        follow = link.subscriptions["channel.follow"]
        app = StreamdeckApp(RunningLauncher(rig.engine))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            assert "revoked" not in _log_text(app)

            await rig.post("/eventsub/revoke", {"subscription_id": follow.id, "status": "user_removed"})
            await pilot.pause()
            await wait_for(lambda: "Twitch revoked channel.follow (user_removed)" in _log_text(app))
            assert "[revocation]" in _log_text(app)
            assert "channel.follow" not in link.subscriptions
