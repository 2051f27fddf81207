"""The Twitch effects workflow steps share: a redemption's status, and one chat line."""

from __future__ import annotations

from collections.abc import Callable

from ..runtime.http import NetworkError
from ..runtime.result import Err, Ok, Result, TaggedError
from ..twitch.helix import HelixClient
from .model import StepFailed

HelixSource = Callable[[], HelixClient | None]


async def set_redemption_status(
    helix: HelixSource, broadcaster_id: str, reward_id: str | None, redemption_id: str | None, status: str
) -> Result[bool, TaggedError]:
    """FULFILLED or CANCELED; not connected is a network error, so the step retries."""
    client = helix()
    if client is None:
        return Err(NetworkError("Twitch", "not connected"))
    if not reward_id or not redemption_id:
        return Err(StepFailed("redemption", "no redemption to update"))
    done = await client.set_redemption_status(broadcaster_id, reward_id, redemption_id, status)
    return Ok(True) if isinstance(done, Ok) else done


async def say(helix: HelixSource, broadcaster_id: str, line: str) -> Result[str, TaggedError]:
    """Send one chat line as the broadcaster; the message id."""
    client = helix()
    if client is None:
        return Err(NetworkError("Twitch", "not connected"))
    sent = await client.send_chat(broadcaster_id, broadcaster_id, line)
    return Ok(sent.value.message_id) if isinstance(sent, Ok) else sent
