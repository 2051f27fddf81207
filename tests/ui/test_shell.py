"""The console shell starts the engine and quits cleanly on `q`."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.components.stream_lifecycle import StreamLifecycle
from streamdeck_tui.config import load_settings
from streamdeck_tui.launcher import Launcher
from streamdeck_tui.runtime import FakeClock, Health
from streamdeck_tui.ui.app import StreamdeckApp
from tests.support.counter import Counter


async def test_q_stops_components_and_exits_zero(tmp_path: Path, migrations: Path) -> None:
    loaded = load_settings().unwrap()
    settings = loaded.settings.model_copy(update={"data_dir": tmp_path / "data"})
    launcher = Launcher(settings, clock=FakeClock(), components=[StreamLifecycle, Counter], migrations=migrations)
    app = StreamdeckApp(launcher)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        assert launcher.engine is not None
        counter = launcher.engine.components["counter"]
        assert counter.health.state is Health.HEALTHY
        assert str(app.query_one("#live-state").render()) == "OFFLINE"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0
    assert counter.health.state is Health.STOPPED
    assert counter._db is None  # the database was closed
