"""Song chat commands against the simulator: `!sr` for allowed roles, `!song`, `!queue`, `!wrongsong`."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdeck_tui.songs.models import RequestState
from tests.integration.test_song_flow import playable, ready, statuses
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for


def replies(rig: Rig, login: str) -> list[str]:
    """Lines the console sent that mention the viewer (by display name, which may differ from the login)."""
    user = rig.sim.channel.users.by_login(login)
    name = (user.display_name if user is not None else login).lower()
    return [m.text for m in rig.sim.channel.sent_by_app() if f"@{name}" in m.text.lower()]


async def reply_count(rig: Rig, login: str, n: int) -> None:
    await wait_for(lambda: len(replies(rig, login)) >= n, timeout=30)


@pytest.mark.slow
async def test_sr_is_for_allowed_roles_and_wrongsong_refunds(tmp_path: Path) -> None:
    async with running_engine(tmp_path, spotify=True, start_playing=True) as rig:
        reward_id = await ready(rig)
        queue = rig.engine.songs
        assert queue is not None
        first, second, third = playable(rig, 3)

        await rig.post("/chat", {"user": "saffron_gecko81", "text": f"!sr spotify:track:{first}"})  # subscriber
        await reply_count(rig, "saffron_gecko81", 1)
        assert "redeem the song request reward" in replies(rig, "saffron_gecko81")[0]

        await rig.post("/chat", {"user": "gentle_lynx38", "text": f"!sr https://open.spotify.com/track/{first}"})  # VIP
        await reply_count(rig, "gentle_lynx38", 1)
        assert "#1 in the song queue" in replies(rig, "gentle_lynx38")[0]
        await rig.post("/chat", {"user": "gentle_lynx38", "text": "!sr"})
        await reply_count(rig, "gentle_lynx38", 2)
        assert "usage: !sr" in replies(rig, "gentle_lynx38")[1]

        made = await rig.post(
            "/redemptions", {"reward_id": reward_id, "user": "kiwi_fan", "user_input": f"spotify:track:{second}"}
        )
        await reply_count(rig, "kiwi_fan", 1)
        await rig.post("/chat", {"user": "kiwi_fan", "text": "!queue"})
        await reply_count(rig, "kiwi_fan", 2)
        listing = replies(rig, "kiwi_fan")[1]
        assert "next up: 1." in listing and "gentle" in listing.lower() and "2." in listing

        await rig.post("/chat", {"user": "kiwi_fan", "text": "!wrongsong"})
        await reply_count(rig, "kiwi_fan", 3)
        assert "removed" in replies(rig, "kiwi_fan")[2] and "refunded" in replies(rig, "kiwi_fan")[2]
        request = await queue.get(f"redemption:{made['redemption']['id']}")
        assert request is not None and request.state is RequestState.REMOVED
        await wait_for(lambda: statuses(rig, reward_id).get(made["redemption"]["id"]) == ["CANCELED"], timeout=30)
        # The viewer asked for it: no second "taken out of the queue" notice on top of the command's reply.
        assert len(replies(rig, "kiwi_fan")) == 3

        await rig.post("/chat", {"user": "kiwi_fan", "text": "!wrongsong"})
        await reply_count(rig, "kiwi_fan", 4)
        assert "no request waiting" in replies(rig, "kiwi_fan")[3]

        await rig.post("/chat", {"user": "kiwi_fan", "text": "!song"})
        await reply_count(rig, "kiwi_fan", 5)
        assert "now playing:" in replies(rig, "kiwi_fan")[4]
        assert third  # a third track exists for the next test's needs
