"""ChannelRewards: which custom rewards mean "raffle" and "song request", created with our client id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from ..runtime.component import Component, TxContext
from ..runtime.result import Err, Ok, Result, TaggedError
from ..twitch.helix import HelixClient

Purpose = Literal["raffle", "song_request"]
PURPOSES: Final[tuple[Purpose, ...]] = ("raffle", "song_request")

# Only rewards this client created can be refunded (Twitch rule), so the console makes its own.
DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "raffle": {
        "title": "Keyboard raffle roll",
        "cost": 500,
        "prompt": "Roll a number from 1 to 10000; match the winning number to win the keyboard.",
        "is_user_input_required": False,
    },
    "song_request": {
        "title": "Song request",
        "cost": 300,
        "prompt": "Paste a Spotify track link or type a song name.",
        "is_user_input_required": True,
    },
}


@dataclass(frozen=True, slots=True)
class RewardInfo:
    """A reward the console manages."""

    purpose: str
    reward_id: str
    title: str
    cost: int
    is_open: bool


@dataclass(frozen=True, slots=True)
class RewardSetupFailed(TaggedError):
    """Creating, adopting or changing a reward failed."""

    tag = "RewardSetupFailed"
    purpose: str
    detail: str

    def message(self) -> str:
        """Which reward and why."""
        return f"{self.purpose} reward: {self.detail}"


class ChannelRewards(Component):
    """Reward ids by purpose; `ensure` creates or adopts them through Helix."""

    name = "channel_rewards"

    async def get(self, purpose: Purpose) -> RewardInfo | None:
        """The reward for a purpose, if set up."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT * FROM rewards WHERE purpose = ?", (purpose,))
        return None if row is None else _info(row)

    async def purpose_of(self, reward_id: str) -> str | None:
        """Which purpose a redeemed reward serves (None: not ours)."""
        async with self.reading() as r:
            row = await r.fetch_one("SELECT purpose FROM rewards WHERE reward_id = ?", (reward_id,))
        return None if row is None else str(row[0])

    async def ensure(
        self, purpose: Purpose, helix: HelixClient, broadcaster_id: str
    ) -> Result[RewardInfo, RewardSetupFailed]:
        """Adopt our reward with the default title, or create it; then remember its id."""
        defaults = DEFAULTS[purpose]
        mine = await helix.manageable_rewards(broadcaster_id)
        if isinstance(mine, Err):
            return Err(RewardSetupFailed(purpose, mine.error.message()))
        existing = next((r for r in mine.value if r.title == defaults["title"]), None)
        if existing is None:
            made = await helix.create_reward(broadcaster_id, defaults)
            if isinstance(made, Err):
                return Err(RewardSetupFailed(purpose, made.error.message()))
            existing = made.value

        async def work(tx: TxContext) -> Result[RewardInfo, RewardSetupFailed]:
            await tx.execute(
                "INSERT INTO rewards (purpose, reward_id, title, cost, is_open, updated_ms) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (purpose) DO UPDATE SET reward_id = excluded.reward_id, title = excluded.title, "
                "cost = excluded.cost, is_open = excluded.is_open, updated_ms = excluded.updated_ms",
                (purpose, existing.id, existing.title, existing.cost, int(not existing.is_paused), self.clock.now_ms()),
            )
            row = await tx.fetch_one("SELECT * FROM rewards WHERE purpose = ?", (purpose,))
            assert row is not None
            return Ok(_info(row))

        return await self.transact(work)

    async def set_open(
        self, purpose: Purpose, is_open: bool, helix: HelixClient, broadcaster_id: str
    ) -> Result[RewardInfo, RewardSetupFailed]:
        """Open (resume) or close (pause) the reward on Twitch, then record it."""
        info = await self.get(purpose)
        if info is None:
            return Err(RewardSetupFailed(purpose, "not set up yet: run `streamdeck-tui rewards setup`"))
        changed = await helix.update_reward(broadcaster_id, info.reward_id, {"is_paused": not is_open})
        if isinstance(changed, Err):
            return Err(RewardSetupFailed(purpose, changed.error.message()))
        async with self.unit_of_work() as tx:
            await tx.execute(
                "UPDATE rewards SET is_open = ?, updated_ms = ? WHERE purpose = ?",
                (int(is_open), self.clock.now_ms(), purpose),
            )
        return Ok(RewardInfo(purpose, info.reward_id, info.title, info.cost, is_open))


def _info(row: Any) -> RewardInfo:
    return RewardInfo(
        str(row["purpose"]), str(row["reward_id"]), str(row["title"]), int(row["cost"]), bool(row["is_open"])
    )
