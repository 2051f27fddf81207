"""Setting up the rewards from the console (Accounts screen, `w`): asks first, then creates them on Twitch."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdeck_tui.components.channel_rewards import DEFAULTS
from streamdeck_tui.ui.accounts import AccountsScreen, Confirm
from streamdeck_tui.ui.app import StreamdeckApp
from tests.integration.test_redaction import RunningLauncher
from tests.support.sim import running_engine
from tests.support.waiting import wait_for

TITLES = {d["title"] for d in DEFAULTS.values()}


@pytest.mark.slow
async def test_w_on_the_accounts_screen_sets_up_the_rewards_after_a_confirmation(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        app = StreamdeckApp(RunningLauncher(rig.engine))

        def ours() -> set[str]:
            return {r.title for r in rig.sim.rewards.rewards.values()} & TITLES

        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("a")
            await wait_for(lambda: isinstance(app.screen, AccountsScreen))
            await pilot.press("w")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, AccountsScreen))
            await app.workers.wait_for_complete()
            assert ours() == set()  # declined: nothing on Twitch
            await pilot.press("w")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await wait_for(lambda: ours() == TITLES, timeout=30)
        assert rig.engine.rewards is not None
        assert await rig.engine.rewards.get("song_request") is not None
        assert await rig.engine.rewards.get("raffle") is not None
