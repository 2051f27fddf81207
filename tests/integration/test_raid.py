"""A raid against the simulator: one thank-you line and one shoutout, through the durable workflow."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.workflows.model import RunStatus
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for


async def _subscribed(rig: Rig) -> bool:
    link = rig.engine.twitch
    return link is not None and len(link.subscriptions) == 8


async def test_raid_thanks_in_chat_and_shouts_out_exactly_once(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await wait_for(lambda: _subscribed(rig))
        await rig.post("/stream/online", {"viewer_count": 10})
        await rig.post("/raid", {"viewers": 42})
        pool = rig.engine.pool
        assert pool is not None

        async def completed() -> bool:
            runs = await pool.journal.runs((RunStatus.COMPLETED,))
            return any(r.type == "raid_shoutout" for r in runs)

        await wait_for(completed, 10)
        thanks = [line.text for line in rig.sim.channel.sent_by_app() if "for the raid" in line.text]
        assert len(thanks) == 1 and "42 viewers" in thanks[0] and "https://twitch.tv/" in thanks[0]
        assert len(rig.sim.channel.shoutouts) == 1
