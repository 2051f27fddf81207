"""Parsing what viewers type: ordinary inputs against hostile ones of the same size (a backtracking regex would
make the hostile ones thousands of times slower; linear parsing keeps the ratio near 1)."""

from __future__ import annotations

import statistics
import time
from typing import Any

from streamdeck_tui.songs.track_input import MAX_RAW_CHARS, parse_track_input

REPEATS = 200
ORDINARY = [
    "https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC?si=abc",
    "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
    "never gonna give you up rick astley",
    ("a normal song name " * 200)[:MAX_RAW_CHARS],
]
HOSTILE = [
    "open.spotify.com/" * 117,
    "a." * 999,
    "https://" * 250,
    "\u202e" * MAX_RAW_CHARS,
    ("é" * 3 + "\u0301" * 7) * 200,
    "x" * 10_240,
]


def _per_call_us(inputs: list[str]) -> list[float]:
    times = []
    for text in inputs:
        started = time.perf_counter()
        for _ in range(REPEATS):
            parse_track_input(text)
        times.append((time.perf_counter() - started) / REPEATS * 1e6)
    return times


async def run() -> dict[str, Any]:
    """Median and worst microseconds per parse, ordinary vs hostile, and the ratio of the worst cases."""
    ordinary, hostile = _per_call_us(ORDINARY), _per_call_us(HOSTILE)
    return {
        "ordinary_median_us": round(statistics.median(ordinary), 1),
        "ordinary_worst_us": round(max(ordinary), 1),
        "hostile_median_us": round(statistics.median(hostile), 1),
        "hostile_worst_us": round(max(hostile), 1),
        "worst_ratio_hostile_to_ordinary": round(max(hostile) / max(ordinary), 2),
    }
