"""SIGKILL after a notification is stored and before it is processed: after restart, processed once."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streamdeck_tui.config import load_settings
from streamdeck_tui.engine import Engine
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_stored_notification_is_processed_exactly_once_after_a_kill(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.support.inbox_crash", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = (await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=60)).strip()
    assert line.startswith("STORED "), line
    message_id = line.split()[1]
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL

    inbox_db = tmp_path / "data" / "eventsub_inbox.sqlite3"
    with sqlite3.connect(inbox_db) as conn:
        assert conn.execute("SELECT status, attempts FROM inbox WHERE message_id = ?", (message_id,)).fetchone() == (
            "pending",
            0,
        )

    settings = load_settings().unwrap().settings.model_copy(update={"data_dir": tmp_path / "data"})
    engine = Engine(settings)  # no account: processing the inbox needs no Twitch connection
    assert (await engine.start()).is_ok()
    try:
        stream = engine.stream
        assert stream is not None

        async def processed() -> bool:
            with sqlite3.connect(inbox_db) as conn:
                row = conn.execute("SELECT status FROM inbox WHERE message_id = ?", (message_id,)).fetchone()
            return row == ("completed",)

        await wait_for(processed)
        assert (await stream.snapshot()).live
    finally:
        await engine.stop()
    with sqlite3.connect(inbox_db) as conn:
        assert conn.execute("SELECT attempts FROM inbox WHERE message_id = ?", (message_id,)).fetchone() == (1,)
    with sqlite3.connect(tmp_path / "data" / "stream_lifecycle.sqlite3") as conn:
        online = conn.execute("SELECT COUNT(*) FROM outbox WHERE type = 'stream_online'").fetchone()
        sessions = conn.execute("SELECT COUNT(*) FROM stream_sessions").fetchone()
    assert online == (1,) and sessions == (1,)
