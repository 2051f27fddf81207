"""`streamdeck-tui queue|history [--json]` as a user runs them, over a real song-queue database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from streamdeck_tui.components.song_queue import SongQueue
from streamdeck_tui.runtime import ComponentContext, FakeClock, Ok
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.songs.models import SpotifyView
from streamdeck_tui.songs.policy import SongPolicy
from tests.cli.test_cli import run
from tests.songqueue.test_song_queue import request, track


def _fill(data_dir: Path) -> None:
    """r1 played; r2 queued in Spotify; r3 and r4 waiting (r4 moved first)."""

    async def fill() -> None:
        clock = FakeClock()
        queue = SongQueue(ComponentContext(data_dir, clock, migrations_root()))
        assert await queue.start() == Ok(None)
        try:
            for n, user in ((1, "a"), (2, "b"), (3, "c"), (4, "d")):
                assert isinstance(await queue.add(request(n, user, at=n), SongPolicy()), Ok)
            await queue.claim_next()
            await queue.pushed("r1")
            await queue.apply_sync(SpotifyView(track(1), True, 0, (), clock.now_ms()))
            clock.advance(200)
            await queue.claim_next()
            await queue.pushed("r2")
            await queue.apply_sync(SpotifyView(track(9), True, 0, (track(2),), clock.now_ms()))
            await queue.play_next("r4")
        finally:
            await queue.stop()

    asyncio.run(fill())


def test_queue_and_history_json(tmp_path: Path) -> None:
    _fill(tmp_path)
    proc = run("queue", "--json", "--data-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [(r["id"], r["state"], r["position"]) for r in rows] == [
        ("r2", "queued", 1),
        ("r4", "waiting", 2),
        ("r3", "waiting", 3),
    ]
    assert rows[0]["title"] == "Song 2" and rows[0]["requester_login"] == "login_b"
    proc = run("history", "--json", "--data-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    [played] = json.loads(proc.stdout)
    assert played["id"] == "r1" and played["played_at"] is not None


def test_queue_and_history_text(tmp_path: Path) -> None:
    proc = run("queue", "--data-dir", str(tmp_path))
    assert proc.returncode == 0 and proc.stdout.strip() == "The song queue is empty."
    proc = run("history", "--data-dir", str(tmp_path))
    assert proc.returncode == 0 and proc.stdout.strip() == "No requested song has played yet."
    _fill(tmp_path)
    lines = run("queue", "--data-dir", str(tmp_path)).stdout.splitlines()
    assert lines[0].split()[:3] == ["#", "Title", "Requester"]
    assert [line.split()[1:3] for line in lines[1:]] == [["Song", "2"], ["Song", "4"], ["Song", "3"]]
