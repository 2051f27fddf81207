"""The keyboard-raffle workflow: draw (journaled), record, fulfil, announce; refund if it fails before fulfilling."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from ..components.keyboard_raffle import KeyboardRaffle, RollInput
from ..components.raffle_draw import ByteSource, OsRandom, RafflePair, draw_pair, roll_message
from ..runtime.result import Err, Ok, Result, TaggedError
from ..twitch.helix import HelixClient
from .context import WorkflowContext
from .twitch_effects import say, set_redemption_status


class RaffleParams(BaseModel):
    """One roll: from a redemption (refundable) or typed in by the streamer (manual)."""

    roll_id: str = Field(min_length=1, max_length=200)
    broadcaster_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    display_name: str = Field(min_length=1, max_length=100)
    rolled_ms: int = Field(ge=0)
    source: Literal["redemption", "manual"] = "redemption"
    reward_id: str | None = None
    redemption_id: str | None = None


class Drawn(BaseModel):
    """The two numbers, as journaled."""

    winning_number: int = Field(ge=1, le=10000)
    roll: int = Field(ge=1, le=10000)


class Recorded(BaseModel):
    """What the store said about the roll."""

    distance: int
    is_winner: bool
    is_new_record: bool


class KeyboardRaffleWorkflow:
    """Run id = "raffle:<redemption id>": a redelivered redemption is the same run, with the same numbers."""

    kind: ClassVar[str] = "keyboard_raffle"
    params_model: ClassVar[type[BaseModel]] = RaffleParams

    def __init__(
        self, raffle: KeyboardRaffle, helix: Callable[[], HelixClient | None], source: ByteSource | None = None
    ) -> None:
        self.raffle = raffle
        self.helix = helix
        self.source = source or OsRandom()

    async def run(self, ctx: WorkflowContext, p: RaffleParams) -> Result[None, TaggedError]:
        """Refund is the first step's undo, so it runs last: after the roll was deleted."""
        if p.source == "redemption":

            async def accept() -> Result[str, TaggedError]:
                return Ok(p.redemption_id or "")

            accepted = await ctx.step(
                "accept-redemption", accept, result=str, undo=lambda _: self._set_status(p, "CANCELED")
            )
            if isinstance(accepted, Err):
                return accepted

        async def draw() -> Result[Drawn, TaggedError]:
            pair: RafflePair = draw_pair(self.source)
            return Ok(Drawn(winning_number=pair.winning_number, roll=pair.roll))

        # Journaled: a replay after a crash reuses these numbers, so nobody can fish for a win.
        drawn = await ctx.step("draw", draw, result=Drawn)
        if isinstance(drawn, Err):
            return drawn
        numbers = drawn.value

        async def record() -> Result[Recorded, TaggedError]:
            stored = await self.raffle.record_roll(
                RollInput(
                    id=p.roll_id,
                    user_id=p.user_id,
                    display_name=p.display_name,
                    roll=numbers.roll,
                    winning_number=numbers.winning_number,
                    rolled_ms=p.rolled_ms,
                    source=p.source,
                )
            )
            if isinstance(stored, Err):
                return stored
            r = stored.value
            return Ok(Recorded(distance=r.distance, is_winner=r.is_winner, is_new_record=r.is_new_record))

        recorded = await ctx.step("record-roll", record, result=Recorded, undo=lambda _: self._delete(p.roll_id))
        if isinstance(recorded, Err):
            return recorded

        if p.source == "redemption":
            fulfilled = await ctx.step(
                "fulfil-redemption",
                lambda: self._set_status(p, "FULFILLED"),
                result=bool,
                ambiguous=True,
            )
            if isinstance(fulfilled, Err):
                return fulfilled
        await ctx.commit()

        async def publish() -> Result[bool, TaggedError]:
            published = await self.raffle.publish_roll(p.roll_id)
            return Ok(True) if isinstance(published, Ok) else published

        # After fulfilment, and before the chat line, as the original: achievements count only rolls that stand.
        # The event id comes from the roll id, so a retry or a replay publishes nothing twice.
        published = await ctx.step("publish-event", publish, result=bool, attempts=5)
        if isinstance(published, Err):
            return published

        async def announce() -> Result[str, TaggedError]:
            line = roll_message(p.display_name, numbers.roll, numbers.winning_number, recorded.value.is_new_record)
            return await say(self.helix, p.broadcaster_id, line)

        # After fulfilment nothing is refunded; a failed announcement is only noted (the roll stands).
        await ctx.step("announce", announce, result=str, ambiguous=True)
        return Ok(None)

    async def _set_status(self, p: RaffleParams, status: str) -> Result[bool, TaggedError]:
        return await set_redemption_status(self.helix, p.broadcaster_id, p.reward_id, p.redemption_id, status)

    async def _delete(self, roll_id: str) -> Result[bool, TaggedError]:
        deleted = await self.raffle.delete_roll(roll_id)
        return Ok(True) if isinstance(deleted, Ok) else deleted
