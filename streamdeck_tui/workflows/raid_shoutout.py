"""The raid-shoutout workflow: thank the raider in chat, then a native shoutout, each exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Final

from pydantic import BaseModel, Field

from ..runtime.http import HttpStatusError, NetworkError
from ..runtime.result import Err, Ok, Result, TaggedError
from ..twitch.helix import HelixClient
from .context import WorkflowContext

SHOUTOUT_EVERY_MS: Final = 2 * 60 * 1000
SAME_TARGET_EVERY_MS: Final = 60 * 60 * 1000


class RaidParams(BaseModel):
    """What the raid notification said."""

    message_id: str = Field(min_length=1)
    broadcaster_id: str = Field(min_length=1)
    raider_id: str = Field(min_length=1)
    raider_login: str = Field(min_length=1, max_length=25, pattern=r"^[A-Za-z0-9_]+$")
    raider_name: str = Field(min_length=1, max_length=50)
    viewers: int = Field(ge=0)


@dataclass(frozen=True, slots=True)
class ChatDropped(TaggedError):
    """Twitch accepted the request but did not send the line."""

    tag = "ChatDropped"


def thanks_line(p: RaidParams) -> str:
    """The chat line thanking the raider (well under 500 characters)."""
    party = f" and {p.viewers:,} viewers" if p.viewers else ""
    return f"Thank you @{p.raider_login} for the raid{party}! Go give them a follow: https://twitch.tv/{p.raider_login}"


class ShoutoutLimits:
    """When the last shoutouts went out, so the workflow waits instead of hitting Twitch's 429."""

    def __init__(self) -> None:
        self.last_ms: int | None = None
        self.by_target: dict[str, int] = {}

    def wait_ms(self, target: str, now_ms: int) -> int:
        """How long until a shoutout to `target` is allowed (0: now)."""
        waits = [0]
        if self.last_ms is not None:
            waits.append(self.last_ms + SHOUTOUT_EVERY_MS - now_ms)
        if target in self.by_target:
            waits.append(self.by_target[target] + SAME_TARGET_EVERY_MS - now_ms)
        return max(waits)

    def record(self, target: str, now_ms: int) -> None:
        """A shoutout went out."""
        self.last_ms = now_ms
        self.by_target[target] = now_ms


class RaidShoutout:
    """Keyed by the raid's EventSub message id: a redelivered raid is the same run."""

    kind: ClassVar[str] = "raid_shoutout"
    params_model: ClassVar[type[BaseModel]] = RaidParams

    def __init__(self, helix: Callable[[], HelixClient | None], limits: ShoutoutLimits | None = None) -> None:
        self.helix = helix
        self.limits = limits or ShoutoutLimits()

    async def run(self, ctx: WorkflowContext, params: RaidParams) -> Result[None, TaggedError]:
        """Thanks first, then the shoutout; both are effects that must never repeat."""

        async def thank() -> Result[str, TaggedError]:
            helix = self.helix()
            if helix is None:
                return Err(NetworkError("Twitch", "not connected"))
            sent = await helix.send_chat(params.broadcaster_id, params.broadcaster_id, thanks_line(params))
            if isinstance(sent, Err):
                return sent
            return Ok(sent.value.message_id) if sent.value.is_sent else Err(ChatDropped())

        thanked = await ctx.step("send-chat-thanks", thank, result=str, ambiguous=True, attempts=3, timeout_s=10)
        if isinstance(thanked, Err):
            return thanked

        async def shoutout() -> Result[bool, TaggedError]:
            helix = self.helix()
            if helix is None:
                return Err(NetworkError("Twitch", "not connected"))
            now = ctx.pool.clock.now_ms()
            wait_ms = self.limits.wait_ms(params.raider_id, now)
            if wait_ms > 0:
                # Within Twitch's shoutout limits: come back when the window has passed.
                return Err(HttpStatusError("Twitch", 429, "", "shoutout limit", retry_after_s=wait_ms / 1000))
            sent = await helix.send_shoutout(params.broadcaster_id, params.raider_id)
            if isinstance(sent, Err):
                return sent
            self.limits.record(params.raider_id, now)
            return Ok(True)

        shouted = await ctx.step(
            "create-native-shoutout", shoutout, result=bool, ambiguous=True, attempts=6, timeout_s=10
        )
        return shouted if isinstance(shouted, Err) else Ok(None)
