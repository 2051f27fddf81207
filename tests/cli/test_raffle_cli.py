"""`streamdeck-tui raffle leaderboard|winners`: in-process through run_raffle, and as a user runs it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streamdeck_tui.cli import build_parser
from streamdeck_tui.cli_raffle import run_raffle
from streamdeck_tui.components.keyboard_raffle import KeyboardRaffle, RollInput
from streamdeck_tui.config import LoadedSettings, load_settings
from streamdeck_tui.runtime import ComponentContext, FakeClock, Ok
from streamdeck_tui.runtime.resources import migrations_root

ROOT = Path(__file__).resolve().parents[2]


def _has_raffle_command() -> bool:
    parser = build_parser()
    return any(
        isinstance(action, argparse._SubParsersAction) and "raffle" in action.choices for action in parser._actions
    )


wired = pytest.mark.skipif(not _has_raffle_command(), reason="the `raffle` subcommand is not wired into cli.py yet")


def _record_history(data_dir: Path) -> None:
    """Alice: 3 rolls, 1 win, closest 40. Bob: 1 roll, closest 5. Cara: 2 rolls, 2 wins (one prize sent)."""

    async def record() -> None:
        raffle = KeyboardRaffle(ComponentContext(data_dir, FakeClock(), migrations_root()))
        assert await raffle.start() == Ok(None)
        try:
            for rid, user, name, rolled, winning, at in (
                ("a1", "u-a", "Alice", 100, 140, 1_000),
                ("a2", "u-a", "Alice", 500, 500, 2_000),
                ("b1", "u-b", "Bob", 200, 205, 3_000),
                ("a3", "u-a", "Alice", 9000, 10, 4_000),
                ("c1", "u-c", "Cara", 7, 7, 5_000),
                ("c2", "u-c", "Cara", 8, 8, 6_000),
            ):
                result = await raffle.record_roll(RollInput(rid, user, name, rolled, winning, at))
                assert isinstance(result, Ok), result
            assert isinstance(await raffle.set_prize("c1", True, "sent by post"), Ok)
        finally:
            await raffle.stop()

    asyncio.run(record())


def _loaded(data_dir: Path) -> LoadedSettings:
    loaded = load_settings().unwrap()
    return LoadedSettings(loaded.settings.model_copy(update={"data_dir": data_dir}), loaded.path)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamdeck_tui", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=ROOT,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("by", "order"),
    [("rolls", ["Alice", "Cara", "Bob"]), ("wins", ["Cara", "Alice", "Bob"]), ("closest", ["Bob", "Alice", "Cara"])],
)
def test_leaderboard_json_is_ranked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], by: str, order: list[str]
) -> None:
    _record_history(tmp_path)
    assert run_raffle(_loaded(tmp_path), "leaderboard", by, as_json=True) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["display_name"] for r in rows] == order
    assert [r["rank"] for r in rows] == [1, 2, 3]
    alice = next(r for r in rows if r["user_id"] == "u-a")
    assert (alice["rolls"], alice["wins"], alice["closest_distance"]) == (3, 1, 40)
    assert (alice["closest_roll"], alice["closest_winning_number"]) == (100, 140)


def test_winners_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _record_history(tmp_path)
    assert run_raffle(_loaded(tmp_path), "winners", "rolls", as_json=True) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["roll_id"], r["prize_sent"], r["note"]) for r in rows] == [
        ("c2", False, ""),
        ("c1", True, "sent by post"),
        ("a2", False, ""),
    ]
    assert run_raffle(_loaded(tmp_path), "winners", "rolls", as_json=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["Won", "Viewer", "Roll", "Prize"]
    assert len(lines) == 4 and "sent by post" in lines[2] and "pending" in lines[1]


def test_leaderboard_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _record_history(tmp_path)
    assert run_raffle(_loaded(tmp_path), "leaderboard", "closest", as_json=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Raffle leaderboard by closest"
    assert [line.split()[1] for line in lines[2:]] == ["Bob", "Alice", "Cara"]
    assert lines[4].split()[2:5] == ["2", "2", "-"]  # Cara: 2 rolls, 2 wins, no miss


def test_empty_store_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_raffle(_loaded(tmp_path), "leaderboard", "rolls", as_json=False) == 0
    assert capsys.readouterr().out.strip() == "Nobody has rolled for the keyboard yet."
    assert run_raffle(_loaded(tmp_path), "winners", "rolls", as_json=True) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run_raffle(_loaded(tmp_path), "leaderboard", "luck", as_json=True) == 2
    assert run_raffle(_loaded(tmp_path), "draw", "rolls", as_json=True) == 2


@wired
def test_raffle_command_prints_leaderboard_and_winners_as_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _record_history(data)
    proc = _cli("raffle", "leaderboard", "--json", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["display_name"] for r in json.loads(proc.stdout)] == ["Alice", "Cara", "Bob"]
    proc = _cli("raffle", "leaderboard", "--by", "closest", "--json", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["display_name"] for r in json.loads(proc.stdout)] == ["Bob", "Alice", "Cara"]
    proc = _cli("raffle", "winners", "--json", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["roll_id"] for r in json.loads(proc.stdout)] == ["c2", "c1", "a2"]


@wired
def test_raffle_command_usage_errors_exit_2_in_one_line(tmp_path: Path) -> None:
    proc = _cli("raffle", "leaderboard", "--by", "luck", "--data-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
