"""The workflows screen: pool status and a refund decided by the streamer."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from streamdeck_tui.config import load_settings
from streamdeck_tui.launcher import Launcher
from streamdeck_tui.runtime import FakeClock
from streamdeck_tui.ui.app import StreamdeckApp
from streamdeck_tui.ui.workflows_screen import WorkflowsScreen
from streamdeck_tui.workflows.model import RunStatus
from tests.support.waiting import wait_for
from tests.workflows.scripted import Script, Scripted, network


async def test_outcome_unknown_run_is_listed_and_refunded_after_confirmation(tmp_path: Path) -> None:
    settings = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
    app = StreamdeckApp(Launcher(settings, clock=FakeClock()))
    script = Script()
    script.fail("announce", network())
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        engine = app.launcher.engine
        assert engine is not None and engine.pool is not None
        pool = engine.pool
        pool.register(Scripted(script))
        await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
        assert await pool.wait("r1") is RunStatus.OUTCOME_UNKNOWN
        await pilot.press("w")
        await wait_for(lambda: isinstance(app.screen, WorkflowsScreen))
        await app.workers.wait_for_complete()
        await pilot.pause()
        runs = app.screen.query_one("#runs", DataTable)
        assert runs.row_count == 1
        table = app.screen.query_one("#pool", DataTable)
        kinds = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert kinds == ["keyboard_raffle", "raid_shoutout", "scripted", "song_request"]
        await pilot.press("f")
        await pilot.press("y")

        async def refunded() -> bool:
            run = await pool.journal.run("r1")
            return run is not None and run.status is RunStatus.FAILED

        await wait_for(refunded)
        assert script.undos == ["charge", "reserve"]
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_value == 0
