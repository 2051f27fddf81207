"""The workflows screen: pool status, and mark done, refund and retry decided by the streamer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel
from textual.screen import Screen
from textual.widgets import DataTable

from streamdeck_tui.components.workflow_pool import PoolStatus, WorkflowPool
from streamdeck_tui.config import load_settings
from streamdeck_tui.launcher import Launcher
from streamdeck_tui.runtime import Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.ui.accounts import Confirm
from streamdeck_tui.ui.app import StreamdeckApp
from streamdeck_tui.ui.workflows_screen import ACTIONS, WorkflowsScreen
from streamdeck_tui.workflows.context import WorkflowContext
from streamdeck_tui.workflows.model import RunStatus
from tests.support.waiting import wait_for
from tests.workflows.scripted import Params, Script, Scripted, network


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
        try:
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
            screen = app.screen
            await pilot.press("f")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            assert _question(app) == ACTIONS["refund"]
            await _just_refreshed(screen)
            await pilot.press("y")

            async def refunded() -> bool:
                run = await pool.journal.run("r1")
                return run is not None and run.status is RunStatus.FAILED

            await wait_for(refunded)
            assert script.undos == ["charge", "reserve"]
        except BaseException:
            await app.launcher.stop()  # a failed test must not leave the databases open (the process would hang)
            raise
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_value == 0


class Held:
    """A one-step workflow that holds at a gate, so the pool has busy and queued runs to show."""

    kind: ClassVar[str] = "held"
    params_model: ClassVar[type[BaseModel]] = Params

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.holding = 0

    async def run(self, ctx: WorkflowContext, params: Params) -> Result[None, TaggedError]:
        async def hold() -> Result[str, TaggedError]:
            self.holding += 1
            await self.gate.wait()
            return Ok(params.viewer)

        done = await ctx.step("hold", hold, result=str)
        return done if isinstance(done, Err) else Ok(None)


class LostThenHeld:
    """An ambiguous step whose first response is lost (OUTCOME_UNKNOWN); a retry holds at a gate, then succeeds."""

    kind: ClassVar[str] = "lost_then_held"
    params_model: ClassVar[type[BaseModel]] = Params

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.attempts = 0

    async def run(self, ctx: WorkflowContext, params: Params) -> Result[None, TaggedError]:
        async def announce() -> Result[str, TaggedError]:
            self.attempts += 1
            if self.attempts == 1:
                return Err(network())
            await self.gate.wait()
            return Ok("announced")

        done = await ctx.step("announce", announce, result=str, ambiguous=True)
        return done if isinstance(done, Err) else Ok(None)


def _pool_rows(screen: Screen[None]) -> list[tuple[str, ...]]:
    table = screen.query_one("#pool", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


def _expected_rows(pool: WorkflowPool) -> list[tuple[str, ...]]:
    return [(kind, str(s.warm), str(s.busy), str(s.queued)) for kind, s in pool.status().items()]


def _run_ids(runs: DataTable[object]) -> list[str]:
    return [str(runs.get_row_at(i)[2]) for i in range(runs.row_count)]


async def _status_is(pool: WorkflowPool, run_id: str, status: RunStatus) -> bool:
    run = await pool.journal.run(run_id)
    return run is not None and run.status is status


async def _just_refreshed(screen: Screen[None]) -> None:
    """Wait for the screen's next once-a-second re-read (its status rows are new objects each time).

    The key tests confirm right after one, so each decision meets a known screen state; that a re-read never
    cancels a decision in flight is the test `test_a_retry_still_running_when_the_screen_refreshes_is_not_cancelled`.
    """
    table = screen.query_one("#pool", DataTable)
    before = table.ordered_rows[0].key if table.row_count else None
    await wait_for(lambda: table.row_count > 0 and table.ordered_rows[0].key is not before)


def _question(app: StreamdeckApp) -> str:
    assert isinstance(app.screen, Confirm)
    return app.screen.question


async def test_pool_status_mark_done_and_retry_through_the_keys_after_confirmation(tmp_path: Path) -> None:
    settings = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
    app = StreamdeckApp(Launcher(settings, clock=FakeClock()))
    script = Script()
    script.fail("announce", network(), network())
    held = Held()
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        engine = app.launcher.engine
        assert engine is not None and engine.pool is not None
        pool = engine.pool
        pool.register(Scripted(script))
        pool.register(held)
        try:
            for run_id in ("done-me", "retry-me"):
                await pool.start_run("scripted", run_id, {"viewer": run_id})
                assert await pool.wait(run_id) is RunStatus.OUTCOME_UNKNOWN
            for i in range(6):  # more than the pool runs at once: some are busy, the rest queued
                await pool.start_run("held", f"h{i}", {"viewer": f"v{i}"}, order_key=f"v{i}")
            await wait_for(lambda: held.holding == 4)
            await pool.warmed()
            assert pool.status()["held"] == PoolStatus(warm=3, busy=4, queued=2)

            await pilot.press("w")
            await wait_for(lambda: isinstance(app.screen, WorkflowsScreen))
            screen = app.screen
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert _pool_rows(screen) == _expected_rows(pool)
            assert ("held", "3", "4", "2") in _pool_rows(screen)
            held.gate.set()
            for i in range(6):
                assert await pool.wait(f"h{i}") is RunStatus.COMPLETED
            # The status table follows (it re-reads every second).
            await wait_for(lambda: ("held", "3", "0", "0") in _pool_rows(screen))
            assert _pool_rows(screen) == _expected_rows(pool)

            runs = screen.query_one("#runs", DataTable)
            await wait_for(lambda: _run_ids(runs) == ["done-me", "retry-me"])

            await pilot.press("m")  # mark done: asks first
            await wait_for(lambda: isinstance(app.screen, Confirm))
            assert _question(app) == ACTIONS["done"]
            assert await _status_is(pool, "done-me", RunStatus.OUTCOME_UNKNOWN)
            await _just_refreshed(screen)
            await pilot.press("y")
            await wait_for(lambda: _status_is(pool, "done-me", RunStatus.COMPLETED))
            run = await pool.journal.run("done-me")
            assert run is not None and run.error == "marked done by the streamer"
            await wait_for(lambda: _run_ids(runs) == ["retry-me"])

            await pilot.press("r")  # retry, declined
            await wait_for(lambda: isinstance(app.screen, Confirm))
            assert _question(app) == ACTIONS["retry"]
            await pilot.press("n")
            await wait_for(lambda: app.screen is screen and _run_ids(runs) == ["retry-me"])
            assert await _status_is(pool, "retry-me", RunStatus.OUTCOME_UNKNOWN)
            assert script.calls.count("announce") == 2

            await pilot.press("r")  # retry, confirmed: the uncertain step runs again
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await _just_refreshed(screen)
            await pilot.press("y")
            await wait_for(lambda: _status_is(pool, "retry-me", RunStatus.COMPLETED))
            assert script.calls.count("announce") == 3
            assert script.calls.count("thank") == 1  # only the retried run went on past it
            assert script.undos == []  # neither was refunded
            await wait_for(lambda: runs.row_count == 0)
        except BaseException:
            await app.launcher.stop()  # a failed test must not leave the databases open (the process would hang)
            raise
        finally:
            held.gate.set()
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_value == 0


async def test_a_retry_still_running_when_the_screen_refreshes_is_not_cancelled(tmp_path: Path) -> None:
    settings = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
    app = StreamdeckApp(Launcher(settings, clock=FakeClock()))
    flow = LostThenHeld()
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        engine = app.launcher.engine
        assert engine is not None and engine.pool is not None
        pool = engine.pool
        pool.register(flow)
        try:
            await pool.start_run(LostThenHeld.kind, "slow-retry", {"viewer": "kiwi"})
            assert await pool.wait("slow-retry") is RunStatus.OUTCOME_UNKNOWN
            await pilot.press("w")
            await wait_for(lambda: isinstance(app.screen, WorkflowsScreen))
            screen = app.screen
            runs = screen.query_one("#runs", DataTable)
            await wait_for(lambda: _run_ids(runs) == ["slow-retry"])
            await pilot.press("r")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await wait_for(lambda: flow.attempts == 2)  # the retried step is in its effect
            await _just_refreshed(screen)  # a refresh while the decision is still running ...
            flow.gate.set()
            # ... must not have cancelled it: the step finishes and the run completes.
            await wait_for(lambda: _status_is(pool, "slow-retry", RunStatus.COMPLETED), timeout=5)
            assert flow.attempts == 2
        except BaseException:
            flow.gate.set()
            await app.launcher.stop()  # a failed test must not leave the databases open (the process would hang)
            raise
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_value == 0
