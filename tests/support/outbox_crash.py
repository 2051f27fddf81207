"""Child process for the outbox crash tests: stops at a chosen point and waits to be SIGKILLed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from streamdeck_tui.runtime import FakeClock
from streamdeck_tui.runtime.dispatcher import Dispatcher
from tests.support.counter import Counter, Sink, context


async def main(mode: str, data: Path, migrations: Path) -> None:
    clock = FakeClock()
    dispatcher = Dispatcher(clock)
    ctx = context(data, migrations, clock, on_committed=lambda events: dispatcher.notify())
    counter, sink = Counter(ctx), Sink(ctx)
    await counter.start()
    await sink.start()
    dispatcher.add_source(counter)
    dispatcher.subscribe("sink", sink.handle, types=["bumped"])
    if mode == "after-handler":

        async def record_then_hang(*args: object) -> None:
            print("HANDLED", flush=True)
            await asyncio.Event().wait()

        dispatcher._record = record_then_hang  # type: ignore[method-assign]
    await counter.bump(7, key="crash")
    if mode == "before-delivery":
        print("COMMITTED", flush=True)
        await asyncio.Event().wait()
    await dispatcher.run_once()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
