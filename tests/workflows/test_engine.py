"""The workflow engine's rules against a real SQLite journal and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import Err, FakeClock, Ok, Result, TaggedError
from streamdeck_tui.workflows.context import WorkflowContext
from streamdeck_tui.workflows.model import RunStatus
from tests.support.waiting import wait_for
from tests.workflows.scripted import STEPS, Params, Script, http, network, pool_with


async def _status(pool, run_id: str) -> RunStatus:  # type: ignore[no-untyped-def]
    run = await pool.journal.run(run_id)
    assert run is not None
    return run.status


async def test_completes_every_step_once_and_a_duplicate_start_returns_the_run(
    tmp_path: Path, clock: FakeClock
) -> None:
    script = Script()
    pool = await pool_with(tmp_path, clock, script)
    first = await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert isinstance(first, Ok)
    assert await pool.wait("r1") is RunStatus.COMPLETED
    again = await pool.start_run("scripted", "r1", {"viewer": "somebody else"})
    assert isinstance(again, Ok) and again.value.status is RunStatus.COMPLETED
    assert '"kiwi"' in again.value.params  # the first params win
    await pool.wait("r1")
    assert script.calls == list(STEPS)
    await pool.stop()


async def test_invalid_params_store_nothing(tmp_path: Path, clock: FakeClock) -> None:
    pool = await pool_with(tmp_path, clock, Script())
    assert not (await pool.start_run("scripted", "r1", {"viewer": 5})).is_ok()
    assert not (await pool.start_run("nope", "r2", {})).is_ok()
    assert await pool.journal.run("r1") is None
    await pool.stop()


async def test_retryable_failures_back_off_and_resume_without_repeating_steps(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("ship", http(503), network())
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert await pool.wait("r1") is RunStatus.RUNNING
    step = await pool.journal.step("r1", 3)
    assert step is not None and step.state == "RETRYING" and step.next_retry_ms == clock.now_ms() + 1000
    clock.advance(1)
    await wait_for(lambda: _step_state(pool, "r1", 3, "RETRYING", clock.now_ms() + 2000))
    clock.advance(2)
    await wait_for(lambda: _is(pool, "r1", RunStatus.COMPLETED))
    assert script.calls == ["reserve", "charge", "announce", "ship", "ship", "ship", "thank"]
    await pool.stop()


async def _is(pool, run_id: str, status: RunStatus) -> bool:  # type: ignore[no-untyped-def]
    return await _status(pool, run_id) is status


async def _step_state(pool, run_id: str, position: int, state: str, due: int | None) -> bool:  # type: ignore[no-untyped-def]
    step = await pool.journal.step(run_id, position)
    return step is not None and step.state == state and step.next_retry_ms == due


async def test_429_honours_retry_after(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("reserve", http(429, retry_after=42))
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    await pool.wait("r1")
    assert await _step_state(pool, "r1", 0, "RETRYING", clock.now_ms() + 42_000)
    await pool.stop()


async def test_permanent_failure_compensates_in_reverse_order_then_fails(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("thank", http(400))
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert await pool.wait("r1") is RunStatus.FAILED
    assert script.undos == ["ship", "charge", "reserve"]
    states = [s.state for s in await pool.journal.steps("r1")]
    assert states == ["COMPENSATED", "COMPENSATED", "SUCCEEDED", "COMPENSATED", "FAILED"]
    await pool.stop()


async def test_rejection_is_compensated_like_a_failure(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.reject_after = "charge"
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert await pool.wait("r1") is RunStatus.FAILED
    assert script.undos == ["charge", "reserve"]
    await pool.stop()


async def test_failing_compensation_is_durable_then_compensation_failed(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("ship", http(400))
    script.undo_outcomes["charge"].extend([Err(http(500))] * 9)
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert await pool.wait("r1") is RunStatus.COMPENSATING
    # Refund-like undo of the first step never ran while the second one's undo is failing.
    assert script.undos == ["charge"]
    for _ in range(3):
        step = await pool.journal.step("r1", 1)
        assert step is not None and step.state == "COMPENSATION_PENDING" and step.next_retry_ms is not None
        before = len(script.undos)
        clock.advance((step.next_retry_ms - clock.now_ms()) / 1000)
        await wait_for(lambda n=before: len(script.undos) == n + 1)  # type: ignore[misc]
    await wait_for(lambda: _is(pool, "r1", RunStatus.COMPENSATION_FAILED))
    assert "reserve" not in script.undos
    await pool.stop()


async def test_ambiguous_step_with_a_lost_response_is_outcome_unknown_and_not_repeated(
    tmp_path: Path, clock: FakeClock
) -> None:
    script = Script()
    script.fail("announce", network())
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert await pool.wait("r1") is RunStatus.OUTCOME_UNKNOWN
    assert script.undos == []  # nothing compensated, nothing refunded: a person decides
    await pool.stop()
    again = await pool_with(tmp_path, clock, script)
    await again.wait("r1")
    assert script.calls.count("announce") == 1
    await again.stop()


async def test_outcome_unknown_resolutions(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("announce", network(), network(), network())
    pool = await pool_with(tmp_path, clock, script)
    for run_id in ("done", "refund", "retry"):
        await pool.start_run("scripted", run_id, {"viewer": run_id}, order_key="same")
        assert await pool.wait(run_id) is RunStatus.OUTCOME_UNKNOWN
    assert await pool.resolve("done", "done") == Ok(RunStatus.COMPLETED)
    assert await pool.resolve("refund", "refund") == Ok(RunStatus.FAILED)
    assert script.undos == ["charge", "reserve"]
    assert await pool.resolve("retry", "retry") == Ok(RunStatus.COMPLETED)
    assert script.calls.count("announce") == 4
    assert not (await pool.resolve("done", "refund")).is_ok()
    await pool.stop()


async def test_failure_after_commit_is_post_commit_failed_without_compensation(
    tmp_path: Path, clock: FakeClock
) -> None:
    script = Script()
    script.commit_after = "ship"
    script.fail("thank", http(400))
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    assert await pool.wait("r1") is RunStatus.POST_COMMIT_FAILED
    assert script.undos == []
    await pool.stop()


async def test_a_renamed_step_fails_the_run_loudly(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("charge", http(503))
    pool = await pool_with(tmp_path, clock, script)
    await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
    await pool.wait("r1")
    await pool.stop()
    import sqlite3

    with sqlite3.connect(tmp_path / "workflow_pool.sqlite3") as conn:
        conn.execute("UPDATE workflow_steps SET name = 'reserve-v2' WHERE position = 0")
    again = await pool_with(tmp_path, clock, script)
    clock.advance(5)
    await wait_for(lambda: _is(again, "r1", RunStatus.FAILED))
    run = await again.journal.run("r1")
    assert run is not None and run.error is not None and "journal mismatch" in run.error
    await again.stop()


async def test_time_randomness_and_ids_replay(tmp_path: Path, clock: FakeClock) -> None:
    seen: list[tuple[int, int, str]] = []
    gate = {"fail": True}

    class NoParams(BaseModel):
        pass

    class Draw:
        kind: ClassVar[str] = "draw"
        params_model: ClassVar[type[BaseModel]] = NoParams

        async def run(self, ctx: WorkflowContext, params: BaseModel) -> Result[None, TaggedError]:
            seen.append((await ctx.now_ms(), await ctx.random_below(10_000), await ctx.new_id()))

            async def flaky() -> Result[str, TaggedError]:
                return Err(http(503)) if gate.pop("fail", False) else Ok("ok")

            done = await ctx.step("flaky", flaky, result=str)
            return done if isinstance(done, Err) else Ok(None)

    pool = await pool_with(tmp_path, clock, Script())
    pool.register(Draw())
    await pool.start_run("draw", "d1", {})
    await pool.wait("d1")
    clock.advance(10)
    await wait_for(lambda: _is(pool, "d1", RunStatus.COMPLETED))
    assert len(seen) == 2 and seen[0] == seen[1]
    await pool.stop()


@asynccontextmanager
async def _running(tmp_path: Path, clock: FakeClock, script: Script) -> AsyncIterator[WorkflowPool]:
    """A pool that is stopped even when the test fails (a pool left running keeps the process alive)."""
    pool = await pool_with(tmp_path, clock, script)
    try:
        yield pool
    finally:
        await pool.stop()


async def _timers(pool: WorkflowPool) -> list[str]:
    async with pool.reading() as r:
        return [str(row[0]) for row in await r.fetch_all("SELECT key FROM timers ORDER BY key")]


async def test_a_step_that_keeps_failing_stops_at_its_attempt_limit_and_compensates(
    tmp_path: Path, clock: FakeClock
) -> None:
    script = Script()
    script.fail("ship", *[http(503)] * 10)  # more failures than the step has attempts (3)
    async with _running(tmp_path, clock, script) as pool:
        await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
        assert await pool.wait("r1") is RunStatus.RUNNING
        assert await _step_state(pool, "r1", 3, "RETRYING", clock.now_ms() + 1000)
        clock.advance(1)
        await wait_for(lambda: _step_state(pool, "r1", 3, "RETRYING", clock.now_ms() + 2000))
        clock.advance(2)
        await wait_for(lambda: _is(pool, "r1", RunStatus.FAILED))
        assert script.calls.count("ship") == 3
        assert "thank" not in script.calls
        assert script.undos == ["charge", "reserve"]
        step = await pool.journal.step("r1", 3)
        assert step is not None and (step.state, step.attempt, step.next_retry_ms) == ("FAILED", 3, None)
        assert await _timers(pool) == []  # no retry left over


async def test_non_retryable_client_errors_are_not_retried(tmp_path: Path, clock: FakeClock) -> None:
    for status in (400, 403, 404, 409, 422):
        script = Script()
        script.fail("charge", http(status), http(status))
        async with _running(tmp_path / str(status), clock, script) as pool:
            await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
            assert await pool.wait("r1") is RunStatus.FAILED, status
            assert script.calls == ["reserve", "charge"], status
            assert script.undos == ["reserve"], status
            step = await pool.journal.step("r1", 1)
            assert step is not None and (step.state, step.attempt) == ("FAILED", 1), status
            assert await _timers(pool) == []


class _Flaky:
    """One step with many attempts that fails with a 503 every time: the retry schedule laid bare."""

    kind: ClassVar[str] = "flaky"
    params_model: ClassVar[type[BaseModel]] = Params

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts
        self.calls = 0

    async def run(self, ctx: WorkflowContext, params: Params) -> Result[None, TaggedError]:
        async def effect() -> Result[str, TaggedError]:
            self.calls += 1
            return Err(http(503))

        done = await ctx.step("flaky", effect, result=str, attempts=self.attempts)
        return done if isinstance(done, Err) else Ok(None)


async def test_backoff_doubles_from_one_second_and_is_capped_at_thirty(tmp_path: Path, clock: FakeClock) -> None:
    flaky = _Flaky(attempts=9)
    async with _running(tmp_path, clock, Script()) as pool:
        pool.register(flaky)
        await pool.start_run("flaky", "f1", {"viewer": "kiwi"})
        assert await pool.wait("f1") is RunStatus.RUNNING
        delays: list[int] = []
        for attempt in range(1, 9):
            step = await pool.journal.step("f1", 0)
            assert step is not None and step.state == "RETRYING" and step.attempt == attempt
            assert step.next_retry_ms is not None
            delays.append(step.next_retry_ms - clock.now_ms())
            assert await _timers(pool) == ["run:f1"]
            clock.advance((step.next_retry_ms - clock.now_ms()) / 1000)
            await wait_for(lambda a=attempt: _attempt_recorded(pool, "f1", a + 1))  # type: ignore[misc]
        assert delays == [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        await wait_for(lambda: _is(pool, "f1", RunStatus.FAILED))
        assert flaky.calls == 9
        assert await _timers(pool) == []


async def _attempt_recorded(pool: WorkflowPool, run_id: str, attempt: int) -> bool:
    step = await pool.journal.step(run_id, 0)
    return step is not None and step.attempt == attempt and step.state in ("RETRYING", "FAILED")


async def test_a_429_without_retry_after_backs_off_like_a_5xx(tmp_path: Path, clock: FakeClock) -> None:
    script = Script()
    script.fail("reserve", http(429), http(429))
    async with _running(tmp_path, clock, script) as pool:
        await pool.start_run("scripted", "r1", {"viewer": "kiwi"})
        await pool.wait("r1")
        assert await _step_state(pool, "r1", 0, "RETRYING", clock.now_ms() + 1000)
        clock.advance(1)
        await wait_for(lambda: _step_state(pool, "r1", 0, "RETRYING", clock.now_ms() + 2000))
        clock.advance(2)
        await wait_for(lambda: _is(pool, "r1", RunStatus.COMPLETED))
        assert script.calls.count("reserve") == 3
