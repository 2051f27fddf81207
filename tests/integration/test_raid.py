"""Raids against the simulator: one thank-you line per raid, shoutouts inside Twitch's limits (2 minutes
between any two, an hour for the same channel), also across a restart, and a refused shoutout."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from streamdeck_tui.config import load_settings
from streamdeck_tui.demo import demo_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import FakeClock, Result, TaggedError
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.simulator import Simulator
from streamdeck_tui.twitch.eventsub import Notification
from streamdeck_tui.twitch.login import device_login_into
from streamdeck_tui.workflows.journal import RunRow
from streamdeck_tui.workflows.model import RunStatus
from streamdeck_tui.workflows.raid_shoutout import SHOUTOUT_EVERY_MS, WINDOW_STEP
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

SHOUTOUTS = "POST /helix/chat/shoutouts"


async def _subscribed(engine: Engine) -> bool:
    link = engine.twitch
    return link is not None and len(link.subscriptions) == 8


async def _raid_runs(engine: Engine) -> list[RunRow]:
    pool = engine.pool
    assert pool is not None
    return [r for r in await pool.journal.runs(tuple(RunStatus)) if r.type == "raid_shoutout"]


def _thanks(sim: Simulator, login: str | None = None) -> list[str]:
    lines = [line.text for line in sim.channel.sent_by_app() if "for the raid" in line.text]
    return [t for t in lines if login is None or f"@{login} " in t]


def _raider_id(sim: Simulator, login: str) -> str:
    user = sim.channel.users.by_login(login)
    assert user is not None
    return user.id


async def _settled(engine: Engine, sim: Simulator, control: httpx.AsyncClient) -> None:
    """A chat round trip through the inbox, then every raid run at rest: the engine caught up."""
    inbox, pool = engine.inbox, engine.pool
    assert inbox is not None and pool is not None

    async def chats() -> int:
        return sum(item.type == "channel.chat.message" for item in await inbox.items("completed"))

    before = await chats()
    response = await control.post(f"{sim.control_url}/chat", json={"user": "kiwi_fan", "text": "still here"})
    assert response.status_code < 400, response.text

    async def seen() -> bool:
        return await chats() > before

    await wait_for(seen)
    for run in await _raid_runs(engine):
        await pool.wait(run.id)


async def _raid(rig: Rig, login: str, count: int) -> None:
    """Raid as `login` and wait for this raid's run to exist (the `count`-th raid run)."""
    await rig.post("/raid", {"from_login": login, "viewers": 42})

    async def started() -> bool:
        return len(await _raid_runs(rig.engine)) == count

    await wait_for(started)


async def _status_is(engine: Engine, index: int, status: RunStatus) -> bool:
    runs = await _raid_runs(engine)
    return len(runs) > index and runs[index].status is status


async def _window_retry_at(engine: Engine, index: int) -> int | None:
    pool = engine.pool
    assert pool is not None
    runs = await _raid_runs(engine)
    if len(runs) <= index:
        return None
    step = await pool.journal.step(runs[index].id, 1)
    if step is None or step.name != WINDOW_STEP or step.state != "RETRYING":
        return None
    return step.next_retry_ms


async def _window_waiting(engine: Engine, index: int) -> bool:
    return await _window_retry_at(engine, index) is not None


async def test_a_redelivered_raid_thanks_and_shouts_out_once(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock) as rig:
        inbox = rig.engine.inbox
        assert inbox is not None
        raids: list[Notification] = []

        async def redelivering(n: Notification) -> Result[None, TaggedError]:
            # As if the inbox handed the raid over again after a crash before it marked it done.
            if n.type == "channel.raid":
                raids.append(n)
                await rig.engine.router.route(n)
            return await rig.engine.router.route(n)

        inbox.attach_processor(redelivering)
        await wait_for(lambda: _subscribed(rig.engine))
        await rig.post("/stream/online", {"viewer_count": 10})
        await rig.post("/faults/ws-duplicate", {"count": 1})  # the frame itself arrives twice, same id
        await _raid(rig, "alpha_raider", 1)
        await wait_for(lambda: _status_is(rig.engine, 0, RunStatus.COMPLETED))
        assert len(raids) == 1
        for _ in range(2):
            await rig.engine.router.route(raids[0])
        clock.advance(SHOUTOUT_EVERY_MS / 1000 + 1)  # past any window a second shoutout would wait for
        await _settled(rig.engine, rig.sim, rig.control)
        thanks = _thanks(rig.sim)
        assert len(thanks) == 1 and "42 viewers" in thanks[0] and "https://twitch.tv/alpha_raider" in thanks[0]
        assert [s.to_id for s in rig.sim.channel.shoutouts] == [_raider_id(rig.sim, "alpha_raider")]
        assert rig.sim.requests.count(SHOUTOUTS) == 1
        assert len(await _raid_runs(rig.engine)) == 1


async def test_two_raids_inside_two_minutes_get_two_shoutouts_two_minutes_apart(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock) as rig:
        await wait_for(lambda: _subscribed(rig.engine))
        await rig.post("/stream/online", {"viewer_count": 10})
        await _raid(rig, "alpha_raider", 1)
        await wait_for(lambda: _status_is(rig.engine, 0, RunStatus.COMPLETED))
        first = rig.sim.channel.shoutouts[0].at_ms
        clock.advance(30)
        await _raid(rig, "beta_raider", 2)
        await wait_for(lambda: len(_thanks(rig.sim, "beta_raider")) == 1)  # thanked at once, not held back
        await wait_for(lambda: _window_waiting(rig.engine, 1))
        assert await _window_retry_at(rig.engine, 1) == first + SHOUTOUT_EVERY_MS
        clock.advance(89)  # one second short of the window
        await _settled(rig.engine, rig.sim, rig.control)
        assert len(rig.sim.channel.shoutouts) == 1
        clock.advance(1)
        await wait_for(lambda: _status_is(rig.engine, 1, RunStatus.COMPLETED))
        shoutouts = rig.sim.channel.shoutouts
        assert [s.to_id for s in shoutouts] == [_raider_id(rig.sim, "alpha_raider"), _raider_id(rig.sim, "beta_raider")]
        assert shoutouts[1].at_ms - shoutouts[0].at_ms >= SHOUTOUT_EVERY_MS
        assert rig.sim.requests.count(SHOUTOUTS) == 2  # the wait was ours: Twitch never answered 429


async def test_the_same_raider_within_an_hour_is_thanked_and_the_shoutout_skipped_with_a_note(
    tmp_path: Path,
) -> None:
    # A second shoutout for the same channel within the hour is skipped, not delayed: this audience saw one
    # for them already, and one an hour after the raid would be detached from it. The raid is still thanked.
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock) as rig:
        await wait_for(lambda: _subscribed(rig.engine))
        await rig.post("/stream/online", {"viewer_count": 10})
        await _raid(rig, "alpha_raider", 1)
        await wait_for(lambda: _status_is(rig.engine, 0, RunStatus.COMPLETED))
        clock.advance(10 * 60)
        await _raid(rig, "alpha_raider", 2)
        await wait_for(lambda: _status_is(rig.engine, 1, RunStatus.COMPLETED))
        assert len(_thanks(rig.sim, "alpha_raider")) == 2
        assert len(rig.sim.channel.shoutouts) == 1 and rig.sim.requests.count(SHOUTOUTS) == 1
        pool = rig.engine.pool
        assert pool is not None
        steps = await pool.journal.steps((await _raid_runs(rig.engine))[1].id)
        assert [s.name for s in steps] == ["send-chat-thanks", WINDOW_STEP]
        plan = json.loads(steps[1].result or "{}")
        assert plan["send"] is False and "skipped" in plan["note"] and "10 min ago" in plan["note"]

        clock.advance(50 * 60)  # an hour after the first shoutout the same channel may have one again
        await _raid(rig, "alpha_raider", 3)
        await wait_for(lambda: _status_is(rig.engine, 2, RunStatus.COMPLETED))
        shoutouts = rig.sim.channel.shoutouts
        assert len(shoutouts) == 2 and shoutouts[1].at_ms - shoutouts[0].at_ms == 60 * 60_000


async def test_a_refused_shoutout_fails_the_run_without_repeating_the_thanks(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_engine(tmp_path, clock=clock) as rig:
        await wait_for(lambda: _subscribed(rig.engine))
        await rig.post("/stream/online", {"viewer_count": 10})
        await rig.post(
            "/faults/fail",
            {"endpoint": SHOUTOUTS, "status": 400, "count": 1, "message": "The broadcaster is not streaming live."},
        )
        await _raid(rig, "alpha_raider", 1)
        await wait_for(lambda: _status_is(rig.engine, 0, RunStatus.FAILED))
        [run] = await _raid_runs(rig.engine)
        assert run.error is not None and "400" in run.error and "not streaming live" in run.error
        pool = rig.engine.pool
        assert pool is not None
        again = await pool.start_run("raid_shoutout", run.id, json.loads(run.params))  # a redelivery
        assert again.is_ok() and again.unwrap().status is RunStatus.FAILED
        clock.advance(10 * 60)  # no retry is scheduled: nothing happens later either
        await _settled(rig.engine, rig.sim, rig.control)
        assert len(_thanks(rig.sim)) == 1
        assert rig.sim.channel.shoutouts == [] and rig.sim.requests.count(SHOUTOUTS) == 1
        assert (await _raid_runs(rig.engine))[0].status is RunStatus.FAILED


@asynccontextmanager
async def _engine(sim: Simulator, data_dir: Path, clock: FakeClock, store: MemoryStore) -> AsyncIterator[Engine]:
    settings = demo_settings(load_settings().unwrap().settings.model_copy(update={"data_dir": data_dir}), sim)
    engine = Engine(settings, clock=clock, secret_store=store)
    assert (await engine.start()).is_ok()
    try:
        if engine.twitch is None:  # the first start: log in like the demo does
            assert engine.twitch_token is not None
            logged = await device_login_into(
                engine.twitch_token, settings.twitch.auth_url, settings.twitch.client_id, clock, on_code=lambda c: None
            )
            assert logged.is_ok(), logged
            await engine.connect_twitch()
        await wait_for(lambda: _subscribed(engine))
        yield engine
    finally:
        await engine.stop()


async def test_the_limits_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    store = MemoryStore()
    data_dir = tmp_path / "data"
    async with Simulator(auto_approve=True, clock=clock) as sim, httpx.AsyncClient() as http:

        async def post(path: str, body: dict[str, object]) -> None:
            response = await http.post(f"{sim.control_url}{path}", json=body)
            assert response.status_code < 400, response.text

        async def runs_are(engine: Engine, n: int, status: RunStatus) -> bool:
            runs = await _raid_runs(engine)
            return len(runs) == n and runs[-1].status is status

        def check(engine: Engine, n: int, status: RunStatus) -> Callable[[], Awaitable[bool]]:
            return lambda: runs_are(engine, n, status)

        async with _engine(sim, data_dir, clock, store) as engine:
            await post("/stream/online", {"viewer_count": 10})
            await post("/raid", {"from_login": "alpha_raider", "viewers": 42})
            await wait_for(check(engine, 1, RunStatus.COMPLETED))
        first = sim.channel.shoutouts[0].at_ms

        clock.advance(30)
        async with _engine(sim, data_dir, clock, store) as engine:
            await post("/raid", {"from_login": "beta_raider", "viewers": 7})
            await wait_for(lambda: len(_thanks(sim, "beta_raider")) == 1)
            await wait_for(lambda: _window_waiting(engine, 1))
            # The new engine knows about the shoutout the old one sent: it waits, it does not try and get a 429.
            assert await _window_retry_at(engine, 1) == first + SHOUTOUT_EVERY_MS
            assert sim.requests.count(SHOUTOUTS) == 1
            clock.advance(SHOUTOUT_EVERY_MS / 1000 - 30)
            await wait_for(check(engine, 2, RunStatus.COMPLETED))
            clock.advance(60)
            # The first raider again, within the hour of its shoutout: thanked, shoutout skipped.
            await post("/raid", {"from_login": "alpha_raider", "viewers": 3})
            await wait_for(check(engine, 3, RunStatus.COMPLETED))

        assert len(_thanks(sim, "alpha_raider")) == 2 and len(_thanks(sim, "beta_raider")) == 1
        shoutouts = sim.channel.shoutouts
        assert [s.to_id for s in shoutouts] == [_raider_id(sim, "alpha_raider"), _raider_id(sim, "beta_raider")]
        assert shoutouts[1].at_ms - shoutouts[0].at_ms >= SHOUTOUT_EVERY_MS
        assert sim.requests.count(SHOUTOUTS) == 2
