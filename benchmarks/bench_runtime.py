"""Cost of the component runtime: a gated `unit_of_work` commit vs a bare aiosqlite commit, side by side."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from streamdeck_tui.runtime import SystemClock
from streamdeck_tui.runtime.storage import Database
from tests.support.counter import Counter, context, make_migrations

N = 500


async def _component(tmp: Path) -> list[float]:
    counter = Counter(context(tmp / "c", make_migrations(tmp / "m"), SystemClock()))  # type: ignore[arg-type]
    await counter.start()
    samples = []
    for _ in range(N):
        t0 = time.perf_counter()
        await counter.increment()
        samples.append(time.perf_counter() - t0)
    await counter.stop()
    return samples


async def _baseline(tmp: Path) -> list[float]:
    db = (await Database.open(tmp / "raw.sqlite3")).unwrap()
    async with db.write() as tx:
        await tx.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
        await tx.execute("INSERT INTO counter VALUES (1, 0)")
    samples = []
    for _ in range(N):
        t0 = time.perf_counter()
        async with db.write() as tx:
            row = await tx.fetch_one("SELECT value FROM counter WHERE id = 1")
            assert row is not None
            await tx.execute("UPDATE counter SET value = ? WHERE id = 1", (row[0] + 1,))
        samples.append(time.perf_counter() - t0)
    await db.close()
    return samples


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        "per_s": round(len(samples) / sum(samples), 1),
    }


async def run() -> dict[str, Any]:
    """Commit N read-modify-writes both ways (synchronous=FULL, WAL) and report latency and ratio."""
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = _figures(await _baseline(tmp))
        comp = _figures(await _component(tmp))
    return {
        "n": N,
        "baseline_bare_aiosqlite": base,
        "component_unit_of_work": comp,
        "p50_ratio": round(comp["p50_ms"] / base["p50_ms"], 2),
    }
