"""The raid-shoutout workflow: thank the raider in chat, then a native shoutout within Twitch's limits."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Final

from pydantic import BaseModel, Field

from ..runtime.clock import iso_from_ms
from ..runtime.http import HttpStatusError, NetworkError
from ..runtime.result import Err, Ok, Result, TaggedError
from ..twitch.helix import HelixClient
from .context import WorkflowContext

if TYPE_CHECKING:
    from ..components.workflow_pool import WorkflowPool

SHOUTOUT_EVERY_MS: Final = 2 * 60 * 1000
SAME_TARGET_EVERY_MS: Final = 60 * 60 * 1000
# Each wait for the 2-minute window is one attempt of the window step: a raid queued behind this many
# others' shoutouts gives up (FAILED, with the reason) rather than wait for ever.
WINDOW_WAITS: Final = 30
THANKS_STEP: Final = "send-chat-thanks"
WINDOW_STEP: Final = "shoutout-window"
SHOUTOUT_STEP: Final = "create-native-shoutout"

log = logging.getLogger("streamdeck_tui.workflows.raid")


class RaidParams(BaseModel):
    """What the raid notification said."""

    message_id: str = Field(min_length=1)
    broadcaster_id: str = Field(min_length=1)
    raider_id: str = Field(min_length=1)
    raider_login: str = Field(min_length=1, max_length=25, pattern=r"^[A-Za-z0-9_]+$")
    raider_name: str = Field(min_length=1, max_length=50)
    viewers: int = Field(ge=0)


class ShoutoutPlan(BaseModel):
    """What the window step decided, journaled so a replay takes the same branch."""

    send: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChatDropped(TaggedError):
    """Twitch accepted the request but did not send the line."""

    tag = "ChatDropped"


@dataclass(frozen=True, slots=True)
class ShoutoutHistory:
    """The latest shoutouts other raid runs sent, or may have sent, within the last hour."""

    last_ms: int | None
    last_to_target_ms: int | None

    def global_wait_ms(self, now_ms: int) -> int:
        """How long until the 2-minute window is over (0: now)."""
        return 0 if self.last_ms is None else max(0, self.last_ms + SHOUTOUT_EVERY_MS - now_ms)

    def wait_ms(self, now_ms: int) -> int:
        """How long until Twitch would take a shoutout to this target (0: now)."""
        target = 0 if self.last_to_target_ms is None else self.last_to_target_ms + SAME_TARGET_EVERY_MS - now_ms
        return max(0, target, self.global_wait_ms(now_ms))


async def shoutout_history(pool: WorkflowPool, target_id: str, run_id: str, now_ms: int) -> ShoutoutHistory:
    """Read the shoutouts from the journal, so the limits survive a restart (no table of their own)."""
    # A SUCCEEDED step is a shoutout Twitch took (its row is written after the 204, so the time is never
    # early). UNKNOWN and STARTED steps may have gone out (a lost response, a crash mid-call): counting
    # them costs at most one wait and never risks a 429. RETRYING and FAILED ones were refused.
    last, to_target = await pool.journal.last_effects(
        RaidShoutout.kind,
        SHOUTOUT_STEP,
        ("SUCCEEDED", "UNKNOWN", "STARTED"),
        now_ms - SAME_TARGET_EVERY_MS,
        exclude_run=run_id,
        param="raider_id",
        value=target_id,
    )
    return ShoutoutHistory(last, to_target)


def thanks_line(p: RaidParams) -> str:
    """The chat line thanking the raider (well under 500 characters)."""
    party = f" and {p.viewers:,} viewers" if p.viewers else ""
    return f"Thank you @{p.raider_login} for the raid{party}! Go give them a follow: https://twitch.tv/{p.raider_login}"


def _limit_wait(wait_ms: int, why: str) -> HttpStatusError:
    # The engine's 429 path: RETRYING with a durable timer at Retry-After; whole seconds never wake early.
    return HttpStatusError("Twitch", 429, "", why, retry_after_s=float(math.ceil(wait_ms / 1000)))


class RaidShoutout:
    """Keyed by the raid's EventSub message id: a redelivered raid is the same run."""

    kind: ClassVar[str] = "raid_shoutout"
    params_model: ClassVar[type[BaseModel]] = RaidParams

    def __init__(self, helix: Callable[[], HelixClient | None]) -> None:
        self.helix = helix

    async def run(self, ctx: WorkflowContext, params: RaidParams) -> Result[None, TaggedError]:
        """Thanks at once; the shoutout when Twitch's limits allow it; both are effects that never repeat."""

        async def thank() -> Result[str, TaggedError]:
            helix = self.helix()
            if helix is None:
                return Err(NetworkError("Twitch", "not connected"))
            sent = await helix.send_chat(params.broadcaster_id, params.broadcaster_id, thanks_line(params))
            if isinstance(sent, Err):
                return sent
            return Ok(sent.value.message_id) if sent.value.is_sent else Err(ChatDropped())

        thanked = await ctx.step(THANKS_STEP, thank, result=str, ambiguous=True, attempts=3, timeout_s=10)
        if isinstance(thanked, Err):
            return thanked

        plan = await ctx.step(
            WINDOW_STEP, lambda: self._window(ctx, params), result=ShoutoutPlan, attempts=WINDOW_WAITS
        )
        if isinstance(plan, Err):
            return plan
        if not plan.value.send:
            log.info("raid %s: %s", params.message_id, plan.value.note)
            return Ok(None)

        async def shoutout() -> Result[bool, TaggedError]:
            helix = self.helix()
            if helix is None:
                return Err(NetworkError("Twitch", "not connected"))
            now = ctx.pool.clock.now_ms()
            # The window step already waited; this guards a replay after a crash that let another raid's
            # shoutout go out in between.
            history = await shoutout_history(ctx.pool, params.raider_id, ctx.run_id, now)
            wait = history.wait_ms(now)
            if wait > 0:
                return Err(_limit_wait(wait, "another shoutout went out first"))
            sent = await helix.send_shoutout(params.broadcaster_id, params.raider_id)
            if isinstance(sent, Err):
                error = sent.error
                if isinstance(error, HttpStatusError) and error.status == 429:
                    # A shoutout we did not send (the streamer's own /shoutout): Twitch's window is 2 min.
                    after = max(error.retry_after_s or 0.0, SHOUTOUT_EVERY_MS / 1000)
                    return Err(dataclasses.replace(error, retry_after_s=after))
                return sent
            return Ok(True)

        shouted = await ctx.step(SHOUTOUT_STEP, shoutout, result=bool, ambiguous=True, attempts=3, timeout_s=10)
        return shouted if isinstance(shouted, Err) else Ok(None)

    async def _window(self, ctx: WorkflowContext, params: RaidParams) -> Result[ShoutoutPlan, TaggedError]:
        """Skip a raider shouted out within the hour; otherwise wait for the 2-minute window."""
        now = ctx.pool.clock.now_ms()
        history = await shoutout_history(ctx.pool, params.raider_id, ctx.run_id, now)
        if history.last_to_target_ms is not None:
            # Skipped, not delayed: the shoutout introduces the raider to this audience, which saw one for
            # them within the hour; one that Twitch would allow only up to an hour after the raid would be
            # detached from it (the raiders gone, maybe the stream too). The thank-you line still went out.
            ago_min = (now - history.last_to_target_ms) // 60_000
            note = (
                f"shoutout skipped: {params.raider_login} had one {ago_min} min ago "
                f"(Twitch allows one per channel per hour)"
            )
            return Ok(ShoutoutPlan(send=False, note=note))
        wait = history.global_wait_ms(now)
        if wait > 0:
            return Err(_limit_wait(wait, f"waiting for Twitch's shoutout limit until {iso_from_ms(now + wait)}"))
        return Ok(ShoutoutPlan(send=True))
