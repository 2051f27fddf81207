"""Song requests in bulk against the simulator: 50 redemptions from 20 viewers mixing every kind of input, and
hostile input through the whole flow. Every outcome is decided before anything is sent."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from contextlib import closing
from pathlib import Path

import pytest

from streamdeck_tui.simulator.rewards import Reward, RewardFields
from streamdeck_tui.songs.models import RequestState
from streamdeck_tui.songs.track_input import MAX_RAW_CHARS
from streamdeck_tui.workflows.model import RunStatus
from streamdeck_tui.workflows.song_request import SongParams
from tests.support.sim import Rig, running_engine
from tests.support.song_mix import (
    MAX_DURATION,
    QUEUED_REPLY,
    REFUNDED,
    Planned,
    accepted,
    accepted_pool,
    check_replies,
    duplicate,
    explicit,
    invalid_inputs,
    link_forms,
    rejected,
    search_text,
    too_long,
    unplayable,
)
from tests.support.waiting import wait_for

SPEED = 150.0  # simulated seconds per real second: a 4-minute track lasts 1.6 s
LEAD_S = 120  # push the next request when the current track has 2 simulated minutes left
VIEWERS = [f"mixfan{n:02d}" for n in range(1, 21)]


def _song_env(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    # running_engine reads the settings through load_settings(), so the environment set here applies.
    env = {
        "STREAMDECK_SONGS__ALLOW_EXPLICIT": "false",
        "STREAMDECK_SONGS__MAX_DURATION": MAX_DURATION,
        "STREAMDECK_SONGS__MAX_PENDING_PER_VIEWER": "10",  # 20 viewers, at most 3 requests each: never binding
        "STREAMDECK_SONGS__MAX_QUEUE": "500",
        "STREAMDECK_SONGS__PUSH_LEAD_SECONDS": str(LEAD_S),
        **extra,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)


async def _ready(rig: Rig) -> str:
    assert (await rig.engine.setup_rewards()).is_ok()
    assert rig.engine.rewards is not None and rig.engine.song_sync is not None
    settings = rig.engine.settings.songs
    assert (settings.allow_explicit, settings.push_lead_seconds) == (False, LEAD_S), "env settings not applied"
    rig.engine.song_sync.fresh_ms = 150
    rig.engine.song_sync.poke()
    info = await rig.engine.rewards.get("song_request")
    assert info is not None
    return info.reward_id


async def _redeem(rig: Rig, reward_id: str, planned: list[Planned]) -> None:
    for p in planned:
        made = await rig.post("/redemptions", {"reward_id": reward_id, "user": p.user, "user_input": p.text})
        p.redemption_id = made["redemption"]["id"]


async def _all_completed(rig: Rig, run_ids: list[str], timeout: float = 60) -> None:
    pool = rig.engine.pool
    assert pool is not None

    async def finished() -> bool:
        runs = [await pool.journal.run(run_id) for run_id in run_ids]
        return all(run is not None and run.status.terminal for run in runs)

    await wait_for(finished, timeout=timeout)
    runs = [await pool.journal.run(run_id) for run_id in run_ids]
    assert {run.id: run.status for run in runs if run is not None} == dict.fromkeys(run_ids, RunStatus.COMPLETED)


def _updates(rig: Rig, reward_id: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for u in rig.sim.rewards.updates:
        if u.reward_id == reward_id:
            out.setdefault(u.redemption_id, []).append(u.status)
    return out


def _app_lines(rig: Rig) -> list[str]:
    return [m.text for m in rig.sim.channel.sent_by_app()]


@pytest.mark.slow
async def test_fifty_mixed_requests_from_twenty_viewers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _song_env(monkeypatch)
    async with running_engine(tmp_path, spotify=True, speed=SPEED, start_playing=True) as rig:
        reward_id = await _ready(rig)
        queue, actions, sync = rig.engine.songs, rig.engine.song_actions, rig.engine.song_sync
        assert queue is not None and actions is not None and sync is not None
        catalogue = rig.sim.catalogue
        good, long_, dirty, gone = (
            accepted_pool(catalogue),
            too_long(catalogue),
            explicit(catalogue),
            unplayable(catalogue),
        )
        counts = (len(good), len(long_), len(dirty), len(gone))
        assert all(have >= need for have, need in zip(counts, (18, 4, 6, 3), strict=True)), counts

        # -- burst 1 (33): 18 accepted in every link form and as search text, a viewer's own duplicate, bad input.
        forms = link_forms
        first: list[Planned] = [accepted("", forms(t.id)[i], t) for i, t in enumerate(good[:12])]
        first += [
            accepted("", text, t)
            for t, text in zip(
                good[12:18],
                [
                    search_text(good[12]),
                    search_text(good[13]).lower(),
                    search_text(good[14]).upper(),
                    f"  {good[15].name}   {good[15].artists[0].name}  ",
                    search_text(good[16]),
                    search_text(good[17]),
                ],
                strict=True,
            )
        ]
        first += [rejected("", text, *needles) for text, needles in invalid_inputs(catalogue)]
        for i, p in enumerate(first):
            p.user = VIEWERS[i % len(VIEWERS)]
        # The same viewer sends good[3] again while the first is pending: their runs keep their order.
        first.append(duplicate(first[3].user, f"spotify:track:{good[3].id}", good[3]))
        assert len(first) == 33

        # -- burst 2 (17), sent while the queue plays: 4 too long, 6 explicit, 3 unavailable, and 4 duplicates of
        # tracks still far back, whose targets are the last four in line, picked once burst 1 is stored.
        second: list[Planned] = [
            rejected("", forms(t.id)[i], f'"{t.name}"', "long; the limit is 7:00") for i, t in enumerate(long_[:4])
        ]
        second += [
            rejected("", forms(t.id)[i + 5], f'"{t.name}"', "is marked explicit") for i, t in enumerate(dirty[:6])
        ]
        second += [
            rejected("", forms(t.id)[i + 2], f'"{t.name}"', "is not available on Spotify")
            for i, t in enumerate(gone[:3])
        ]

        # The streamer pauses Spotify while chat floods in: nothing is pushed, so the queue order is exactly the
        # order the requests were stored, and a removal is guaranteed to find its request still waiting.
        assert (await actions.pause()).is_ok()
        await wait_for(lambda: sync.last_view is not None and not sync.last_view.is_playing, timeout=10)

        await _redeem(rig, reward_id, first)
        await _all_completed(rig, [p.run_id for p in first])
        accepted_first = [p for p in first if p.outcome == "accepted"]
        waiting = await queue.waiting()
        by_request = {p.request_id: p for p in first}
        assert sorted(r.id for r in waiting) == sorted(p.request_id for p in accepted_first)
        order = [by_request[r.id] for r in waiting]  # the order the requests were accepted

        # Each accepted reply gave the place the request really got.
        lines = _app_lines(rig)
        for place, p in enumerate(order, start=1):
            [reply] = [line for line in lines if line.startswith(f"@{p.user} ") and all(n in line for n in p.needles)]
            match = QUEUED_REPLY.search(reply)
            assert match is not None and int(match.group(1)) == place, (reply, place)

        # The moderator takes one out while it waits (not one of the duplicates' targets below).
        removed = order[len(order) // 2]
        taken = await actions.remove(removed.request_id)
        assert taken.is_ok(), taken
        order.remove(removed)

        for i, target in enumerate(order[-4:]):
            assert target.track is not None
            text = [search_text(target.track), f"spotify:track:{target.track.id}", forms(target.track.id)[4]][i % 3]
            second.append(duplicate("", text, target.track))
        for i, p in enumerate(second):
            p.user = VIEWERS[(i + 7) % len(VIEWERS)]
        assert len(first) + len(second) == 50

        # Spotify plays again; burst 2 arrives while requests are being pushed.
        assert (await actions.resume()).is_ok()
        await _redeem(rig, reward_id, second)
        await _all_completed(rig, [p.run_id for p in second])
        everything = first + second
        assert len({p.user for p in everything}) == 20

        async def all_played() -> bool:
            for p in order:
                req = await queue.get(p.request_id)
                if req is None or req.state is not RequestState.PLAYED:
                    return False
            return True

        await wait_for(all_played, timeout=150)
        await wait_for(lambda: len(_updates(rig, reward_id)) == len(everything), timeout=30)

        # Twitch: one status per redemption, none left UNFULFILLED.
        updates = _updates(rig, reward_id)
        expected_updates = {
            p.redemption_id: ["FULFILLED" if p.outcome == "accepted" and p is not removed else "CANCELED"]
            for p in everything
        }
        assert updates == expected_updates
        assert all(rig.sim.rewards.redemptions[p.redemption_id].status != "UNFULFILLED" for p in everything)

        # Chat: exactly the expected replies per viewer (one per request, one refund notice for the removal).
        lines = _app_lines(rig)
        expected_by_user: dict[str, list[tuple[str, ...]]] = {}
        for p in everything:
            expected_by_user.setdefault(p.user, []).append(p.needles)
        assert removed.track is not None
        expected_by_user[removed.user].append(
            (f'"{removed.track.name}" by', "was taken out of the queue; your points were refunded.")
        )
        problems = [problem for user in VIEWERS for problem in check_replies(lines, user, expected_by_user[user])]
        assert problems == []
        assert len(lines) == len(everything) + 1

        # Spotify: each accepted track pushed once, played from the queue in the order accepted.
        expected_tracks = [p.track.id for p in order if p.track is not None]
        pushed = [a.track_id for a in rig.sim.player.queue_adds]
        assert pushed == expected_tracks
        assert len(set(pushed)) == len(pushed)
        assert [pl.track_id for pl in rig.sim.player.played if pl.source == "queue"] == expected_tracks

        # The console: history is what played; only accepted requests were ever stored.
        history = await queue.history(limit=100)
        assert [r.id for r in reversed(history)] == [p.request_id for p in order]
        stored = {r.id: r for r in await queue.all_requests()}
        assert set(stored) == {p.request_id for p in accepted_first}
        assert stored[removed.request_id].state is RequestState.REMOVED
        assert all(r.settled for r in stored.values())


@pytest.mark.slow
async def test_hostile_input_is_refused_refunded_and_never_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _song_env(monkeypatch, STREAMDECK_SONGS__SR_ROLES='["everyone"]')
    async with running_engine(tmp_path, spotify=True, speed=1.0, start_playing=False) as rig:
        reward_id = await _ready(rig)
        queue, pool = rig.engine.songs, rig.engine.pool
        assert queue is not None and pool is not None
        rtl = "\u202eأغنية حب שיר אהבה\u202c"
        sql = "'; DROP TABLE requests; --"
        ansi = "\x1b[31mred\x1b[0m\x07 alert\x00"
        cases = [
            rejected("ctrlonly", "\x00\x01\x07\x08\x1b\x7f\x9b", "send a Spotify track link or a song name"),
            rejected("ctrlmix", ansi, 'nothing on Spotify matches "[31mred[0m alert"'),
            rejected("rtlfan", rtl, 'nothing on Spotify matches "أغنية حب שיר אהבה"'),
            rejected("sqlfan", sql, f'nothing on Spotify matches "{sql}"'),
            rejected("sqllink", f"spotify:track:{sql}", "looks broken"),
            rejected("chatty", "la " * 166 + "la", "too long for a song name"),  # 500 characters: Twitch's maximum
        ]
        assert len(cases[-1].text) == 500
        await _redeem(rig, reward_id, cases)

        # Twitch caps chat (and the simulator's control API caps user input) at 500 characters, so 10 kB cannot
        # arrive through either; it is handed to the workflow as the router would, for a real redemption of a
        # reward this app owns but the router does not route (so no second run competes for it).
        for path, body in [
            ("/chat", {"user": "bigfan", "text": "!sr " + "x" * 10_240}),
            ("/redemptions", {"reward_id": reward_id, "user": "bigfan", "user_input": "x" * 10_240}),
        ]:
            capped = await rig.control.post(f"{rig.sim.control_url}{path}", json=body)
            assert capped.status_code == 422 and "500" in capped.text, capped.text
        huge_text = ("never gonna give you up " * 420)[:10_240]
        assert len(huge_text) > MAX_RAW_CHARS
        side = rig.sim.rewards.create(
            rig.sim.twitch_client_id, RewardFields(title="Song (bulk test)", cost=1, is_user_input_required=True)
        )
        assert isinstance(side, Reward), side
        huge = rejected("bigfan", huge_text, "that is far too long")
        made = await rig.post("/redemptions", {"reward_id": side.id, "user": huge.user, "user_input": "placeholder"})
        huge.redemption_id = made["redemption"]["id"]
        redemption = made["redemption"]
        started = await pool.start_run(
            "song_request",
            huge.run_id,
            SongParams(
                request_id=huge.request_id,
                broadcaster_id=redemption["broadcaster_id"],
                user_id=redemption["user_id"],
                user_login=redemption["user_login"],
                display_name=redemption["user_name"],
                user_input=huge_text,
                requested_ms=rig.sim.clock.now_ms(),
                reward_id=side.id,
                redemption_id=huge.redemption_id,
            ),
            order_key=f"viewer:{redemption['user_id']}",
        )
        assert started.is_ok(), started

        # `!sr` in chat with SQL-looking text: the same rejection, nothing to refund.
        said = await rig.post("/chat", {"user": "chatsql", "text": f"!sr {sql}"})
        chat_run = f"song:chat:{said['message']['message_id']}"

        await _all_completed(rig, [p.run_id for p in [*cases, huge]])

        async def chat_done() -> bool:
            run = await pool.journal.run(chat_run)
            return run is not None and run.status.terminal

        await wait_for(chat_done, timeout=30)
        await _all_completed(rig, [chat_run])

        updates = {**_updates(rig, reward_id), **_updates(rig, side.id)}
        assert updates == {p.redemption_id: ["CANCELED"] for p in [*cases, huge]}
        lines = _app_lines(rig)
        problems = [problem for p in [*cases, huge] for problem in check_replies(lines, p.user, [p.needles])]
        problems += check_replies(
            lines, "chatsql", [("Sorry,", f'nothing on Spotify matches "{sql}"; try a track link.')]
        )
        assert problems == []
        assert not any(line.endswith(REFUNDED) for line in lines if line.startswith("@chatsql "))
        assert len(lines) == len(cases) + 2
        # What went back to chat is clean: no control or bidi characters, nothing over Twitch's limit.
        for line in lines:
            assert len(line) <= 500
            assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in line), repr(line)
        assert await queue.all_requests() == []

        # The table is intact and still takes a request.
        track = next(t for t in rig.sim.catalogue.all() if t.is_playable and not t.explicit and t.duration_ms < 400_000)
        fine = accepted("okfan", f"https://open.spotify.com/track/{track.id}", track)
        await _redeem(rig, reward_id, [fine])
        await _all_completed(rig, [fine.run_id])
        [row] = await queue.all_requests()
        assert (row.id, row.track_id, row.state) == (fine.request_id, track.id, RequestState.WAITING)
        database = tmp_path / "data" / "song_queue.sqlite3"
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert {"requests", "blocked_viewers", "player"} <= tables
            assert db.execute("SELECT id, track_id FROM requests").fetchall() == [(fine.request_id, track.id)]
        assert re.fullmatch(r"@okfan .* is #1 in the song queue\.", _app_lines(rig)[-1])
