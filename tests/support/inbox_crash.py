"""Child process for the inbox crash test: stores a stream.online, then hangs instead of processing it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from streamdeck_tui.twitch.eventsub import Notification
from tests.support.sim import running_engine
from tests.support.waiting import wait_for


async def main(tmp: Path) -> None:
    async with running_engine(tmp) as rig:
        inbox = rig.engine.inbox
        assert inbox is not None

        async def hang(n: Notification) -> object:
            if n.type == "stream.online":
                print(f"STORED {n.message_id}", flush=True)
                await asyncio.Event().wait()
            return await rig.engine.router.route(n)

        inbox.attach_processor(hang)  # type: ignore[arg-type]
        link = rig.engine.twitch
        await wait_for(lambda: link is not None and len(link.subscriptions) == 8)
        await rig.post("/stream/online", {"viewer_count": 5})
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
