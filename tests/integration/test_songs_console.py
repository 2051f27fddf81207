"""The song queue in the console, against the simulator: the dashboard panel, and the Songs screen's keys doing
what they say (move, remove with a refund, ban, open/close), each public or irreversible one only after a yes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from streamdeck_tui.simulator.catalogue import Track
from streamdeck_tui.ui.accounts import Confirm
from streamdeck_tui.ui.app import SONG_COMMANDS, StreamdeckApp
from streamdeck_tui.ui.songs_history import HistoryScreen
from streamdeck_tui.ui.songs_panel import SongsPanel
from streamdeck_tui.ui.songs_screen import SongsScreen
from streamdeck_tui.workflows.model import RunStatus
from tests.integration.test_redaction import RunningLauncher
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

VIEWERS = ("kiwi", "ayo_b", "pixelmoth")


async def _three_waiting(rig: Rig) -> tuple[str, list[Track], list[str]]:
    """Rewards set up, Spotify paused (so nothing is pushed and the queue stays as the test leaves it), and one
    request from each viewer waiting; the reward id, the tracks and the redemption ids."""
    assert (await rig.engine.setup_rewards()).is_ok()
    actions, sync, rewards, pool = rig.engine.song_actions, rig.engine.song_sync, rig.engine.rewards, rig.engine.pool
    assert actions is not None and sync is not None and rewards is not None and pool is not None
    sync.fresh_ms = 150
    assert (await actions.pause()).is_ok()
    await wait_for(lambda: sync.last_view is not None and not sync.last_view.is_playing, timeout=10)
    info = await rewards.get("song_request")
    assert info is not None
    tracks = [t for t in rig.sim.catalogue.all() if t.is_playable and not t.explicit and t.duration_ms < 300_000][:3]
    redemptions = []
    for user, track in zip(VIEWERS, tracks, strict=True):
        body = {"reward_id": info.reward_id, "user": user, "user_input": f"spotify:track:{track.id}"}
        redemptions.append((await rig.post("/redemptions", body))["redemption"]["id"])

    async def stored() -> bool:
        return len(await rig.engine.songs.waiting()) == 3 if rig.engine.songs is not None else False

    await wait_for(stored, timeout=30)
    for rid in redemptions:
        assert await pool.wait(f"song:{rid}") is RunStatus.COMPLETED
    return info.reward_id, tracks, redemptions


def _rows(app: StreamdeckApp) -> list[str]:
    table = app.screen.query_one("#queue", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def _statuses(rig: Rig, reward_id: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for update in rig.sim.rewards.updates:
        if update.reward_id == reward_id:
            out.setdefault(update.redemption_id, []).append(update.status)
    return out


@pytest.mark.slow
async def test_songs_screen_moves_removes_and_bans_with_refunds(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, speed=1.0, start_playing=True) as rig:
        reward_id, tracks, redemptions = await _three_waiting(rig)
        queue = rig.engine.songs
        assert queue is not None
        names = [t.name for t in tracks]
        app = StreamdeckApp(RunningLauncher(rig.engine))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()

            # The dashboard's panel lists the next requests with their viewers.
            panel = app.screen.query_one(SongsPanel)

            def panel_text() -> str:
                return "\n".join(str(s.render()) for s in panel.query(Static) if s.display)

            await wait_for(lambda: "Up next (3 waiting)" in panel_text(), timeout=10)
            for n, (name, viewer) in enumerate(zip(names, VIEWERS, strict=True), start=1):
                assert any(line.startswith(f"{n}. {name}") and viewer in line for line in panel_text().splitlines())

            await pilot.press("s")
            await wait_for(lambda: isinstance(app.screen, SongsScreen) and _rows(app) == names, timeout=10)

            # u moves the selected request up; the cursor follows it.
            await pilot.press("down", "down", "u")
            await wait_for(lambda: _rows(app) == [names[0], names[2], names[1]], timeout=10)
            assert [r.track_name for r in await queue.waiting()] == [names[0], names[2], names[1]]
            screen = app.screen
            assert isinstance(screen, SongsScreen)
            selected = screen.selected()
            assert selected is not None and selected.track_name == names[2]

            # x asks first; "no" changes nothing, "yes" takes it out and the viewer is refunded and told.
            await pilot.press("x")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, SongsScreen))
            await app.workers.wait_for_complete()
            assert len(await queue.waiting()) == 3
            await pilot.press("x")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await wait_for(lambda: _rows(app) == [names[0], names[1]], timeout=10)
            await wait_for(lambda: _statuses(rig, reward_id).get(redemptions[2]) == ["CANCELED"], timeout=20)
            lines = [m.text for m in rig.sim.channel.sent_by_app()]
            assert any(line.startswith(f"@{VIEWERS[2]} ") and "refunded" in line for line in lines), lines

            # b bans the selected viewer after a yes: their waiting request comes out, refunded.
            await pilot.press("up")
            await wait_for(lambda: (s := screen.selected()) is not None and s.track_name == names[0])
            await pilot.press("b")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await wait_for(lambda: _rows(app) == [names[1]], timeout=10)
            assert await queue.banned() == [VIEWERS[0]]
            await wait_for(lambda: _statuses(rig, reward_id).get(redemptions[0]) == ["CANCELED"], timeout=20)

            # o closes requests after a yes, and pauses the reward on Twitch.
            await pilot.press("o")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await wait_for(lambda: rig.sim.rewards.rewards[reward_id].is_paused, timeout=10)
            assert (await queue.now_playing()).requests_open is False
            await wait_for(lambda: "Requests closed" in str(screen.query_one("#songs-state", Static).render()))

            # The one request nobody touched is still waiting and unsettled: it is fulfilled only when pushed.
            assert redemptions[1] not in _statuses(rig, reward_id)

            # Every song action is in the command palette too.
            titles = {command.title for command in app.get_system_commands(app.screen)}
            assert {title for title, _, _ in SONG_COMMANDS} <= titles and "Songs" in titles
            await pilot.press("escape", "q")
        assert app.return_value == 0


@pytest.mark.slow
async def test_history_screen_lists_what_played_and_filters_by_viewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fast playback, and the next request sent when 2 simulated minutes are left: three requests play in seconds.
    monkeypatch.setenv("STREAMDECK_SONGS__PUSH_LEAD_SECONDS", "120")
    async with running_engine(tmp_path, spotify=True, speed=150.0, start_playing=True) as rig:
        stream = rig.engine.stream
        assert stream is not None
        await rig.post("/stream/online", {"viewer_count": 12})

        async def live() -> bool:
            snapshot = await stream.snapshot()
            return snapshot is not None and snapshot.live

        await wait_for(live, timeout=10)
        _, tracks, _ = await _three_waiting(rig)
        queue, actions = rig.engine.songs, rig.engine.song_actions
        assert queue is not None and actions is not None
        assert (await actions.resume()).is_ok()

        async def all_played() -> bool:
            return len(await queue.history(limit=10)) == 3

        await wait_for(all_played, timeout=60)
        app = StreamdeckApp(RunningLauncher(rig.engine))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("s")
            await wait_for(lambda: isinstance(app.screen, SongsScreen))
            await pilot.press("h")
            await wait_for(lambda: isinstance(app.screen, HistoryScreen))
            history = app.screen
            assert isinstance(history, HistoryScreen)

            def shown() -> list[str]:
                return [r.track_name for r in history.requests]

            def summary() -> str:
                return str(history.query_one("#history-summary", Static).render())

            # Newest first, all time.
            await wait_for(lambda: shown() == [t.name for t in reversed(tracks)], timeout=10)
            assert summary() == "3 played, all time."

            # f, then a login (with @, any case): only that viewer's requests.
            await pilot.press("f", *"@AYO_B")
            await wait_for(lambda: shown() == [tracks[1].name], timeout=10)
            assert summary() == "1 played requested by ayo_b, all time."

            # t steps the time range: this stream (the live session holds them all), then the last 24 h.
            await pilot.press("enter", "t")
            await wait_for(lambda: summary().endswith("requested by ayo_b, this stream."), timeout=10)
            assert shown() == [tracks[1].name]
            await pilot.press("t")
            await wait_for(lambda: "in the last 24 h" in summary(), timeout=10)
            assert shown() == [tracks[1].name]
            await pilot.press("escape", "escape", "q")
        assert app.return_value == 0
