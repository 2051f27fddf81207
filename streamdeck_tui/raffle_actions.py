"""The streamer's raffle actions, shared by the console and the CLI: open/close, manual roll, leaderboard to chat."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .components.channel_rewards import ChannelRewards, RewardInfo
from .components.keyboard_raffle import MAX_NAME_LEN, KeyboardRaffle
from .components.raffle_draw import leaderboard_message, leaderboard_unavailable_message, nobody_rolled_message
from .components.workflow_pool import WorkflowPool
from .runtime.clock import Clock
from .runtime.result import Err, Ok, Result, TaggedError
from .twitch.helix import HelixClient
from .twitch.models import User
from .workflows.keyboard_raffle import KeyboardRaffleWorkflow, RaffleParams

LEADERBOARD_SIZE = 5


@dataclass(frozen=True, slots=True)
class RaffleActionFailed(TaggedError):
    """A raffle action could not be done; the message says why and what to do."""

    tag = "RaffleActionFailed"
    detail: str

    def message(self) -> str:
        """The reason, for the streamer."""
        return self.detail


async def leaderboard_line(raffle: KeyboardRaffle) -> str:
    """The chat line for `!leaderboard` and the console's "post leaderboard": top winners and total rolls."""
    board = await raffle.leaderboard("wins", LEADERBOARD_SIZE)
    if isinstance(board, Err):
        return leaderboard_unavailable_message()
    totals = await raffle.totals()
    if totals.rolls == 0:
        return nobody_rolled_message()
    return leaderboard_message([(e.display_name, e.total_wins) for e in board.value if e.total_wins > 0], totals.rolls)


def clean_viewer_name(typed: str) -> Result[str, RaffleActionFailed]:
    """A typed viewer name as a Twitch login: "@Alice " → "alice"; anything else is refused with a reason."""
    name = typed.strip().lstrip("@").strip()
    if not name:
        return Err(RaffleActionFailed("type the viewer's Twitch name"))
    if len(name) > MAX_NAME_LEN or not all(c.isalnum() or c == "_" for c in name):
        return Err(RaffleActionFailed(f"{name[:40]!r} is not a Twitch name (letters, digits and _ only)"))
    return Ok(name.lower())


class RaffleActions:
    """What the raffle panel's keys and the CLI do; every action returns a Result the caller shows."""

    def __init__(
        self,
        raffle: KeyboardRaffle,
        rewards: ChannelRewards | None,
        pool: WorkflowPool | None,
        helix: Callable[[], HelixClient | None],
        broadcaster: Callable[[], Awaitable[Result[User, TaggedError]]],
        clock: Clock,
    ) -> None:
        self.raffle = raffle
        self.rewards = rewards
        self.pool = pool
        self.helix = helix
        self.broadcaster = broadcaster
        self.clock = clock

    async def is_open(self) -> bool:
        """Whether the raffle reward is set up and taking redemptions."""
        info = None if self.rewards is None else await self.rewards.get("raffle")
        return info is not None and info.is_open

    async def set_open(self, is_open: bool) -> Result[RewardInfo, TaggedError]:
        """Resume (open) or pause (close) the raffle reward on Twitch."""
        helix, me = await self._twitch()
        if isinstance(me, Err):
            return me
        if self.rewards is None or helix is None:
            return Err(RaffleActionFailed("rewards are not available in this mode"))
        return await self.rewards.set_open("raffle", is_open, helix, me.value.id)

    async def manual_roll(self, typed_name: str) -> Result[str, TaggedError]:
        """Roll for a viewer by name through the raffle workflow (recorded as manual, announced); the run id."""
        login = clean_viewer_name(typed_name)
        if isinstance(login, Err):
            return login
        helix, me = await self._twitch()
        if isinstance(me, Err):
            return me
        if helix is None or self.pool is None:
            return Err(RaffleActionFailed("the workflow pool is not running"))
        found = await helix.get_user_by_login(login.value)
        if isinstance(found, Err):
            return found
        if found.value is None:
            return Err(RaffleActionFailed(f"no Twitch user is called {login.value}"))
        viewer = found.value
        run_id = f"raffle:manual:{uuid.uuid4().hex}"
        params = RaffleParams(
            roll_id=run_id.removeprefix("raffle:"),
            broadcaster_id=me.value.id,
            user_id=viewer.id,
            display_name=viewer.display_name,
            rolled_ms=self.clock.now_ms(),
            source="manual",
        )
        kind = KeyboardRaffleWorkflow.kind
        started = await self.pool.start_run(kind, run_id, params, order_key=f"viewer:{viewer.id}")
        return Ok(run_id) if isinstance(started, Ok) else started

    async def post_leaderboard(self) -> Result[str, TaggedError]:
        """Send the leaderboard line to chat; the line sent."""
        line = await leaderboard_line(self.raffle)
        helix, me = await self._twitch()
        if isinstance(me, Err):
            return me
        if helix is None:
            return Err(RaffleActionFailed("not connected to Twitch"))
        sent = await helix.send_chat(me.value.id, me.value.id, line)
        return Ok(line) if isinstance(sent, Ok) else sent

    async def _twitch(self) -> tuple[HelixClient | None, Result[User, TaggedError]]:
        return self.helix(), await self.broadcaster()
