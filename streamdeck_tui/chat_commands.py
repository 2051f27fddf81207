"""Chat commands, kept in one place: `!raffle`, `!leaderboard` (alias `!raffle-leaderboard`).

A small dispatch that the full command engine (tiers, aliases, cooldowns, an editor) will grow out of.
Replies never exceed 500 characters.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .components.keyboard_raffle import KeyboardRaffle
from .components.raffle_draw import stats_fragment
from .raffle_actions import leaderboard_line
from .runtime.result import Err, Ok, Result, TaggedError
from .twitch.eventsub_models import ChatMessageEvent
from .twitch.helix import HelixClient

log = logging.getLogger("streamdeck_tui.commands")
MAX_REPLY = 500

Handler = Callable[[ChatMessageEvent, str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Command:
    """A name, its aliases and what it answers."""

    name: str
    aliases: tuple[str, ...]
    handler: Handler


def parse(text: str) -> tuple[str, str] | None:
    """`!Name args` → ("name", "args"); None when the message is not a command."""
    stripped = text.strip()
    if not stripped.startswith("!") or len(stripped) < 2:
        return None
    name, _, args = stripped[1:].partition(" ")
    return name.lower()[:40], args.strip()


class ChatCommands:
    """Looks a command up and sends its reply through Helix."""

    def __init__(self, raffle: KeyboardRaffle | None, helix: Callable[[], HelixClient | None]) -> None:
        self.helix = helix
        self.raffle = raffle
        self._by_name: dict[str, Command] = {}
        if raffle is not None:
            self.add(Command("raffle", (), self._raffle))
            self.add(Command("leaderboard", ("raffle-leaderboard",), self._leaderboard))

    def add(self, command: Command) -> None:
        """Register a command under its name and aliases."""
        for key in (command.name, *command.aliases):
            self._by_name[key] = command

    async def handle(self, chat: ChatMessageEvent) -> Result[str | None, TaggedError]:
        """Answer a chat message if it is a known command; Ok(None) otherwise."""
        parsed = parse(chat.message.text)
        if parsed is None or parsed[0] not in self._by_name:
            return Ok(None)
        reply = await self._by_name[parsed[0]].handler(chat, parsed[1])
        if reply is None:
            return Ok(None)
        helix = self.helix()
        if helix is None:
            return Ok(None)
        sent = await helix.send_chat(chat.broadcaster_user_id, chat.broadcaster_user_id, reply[:MAX_REPLY])
        if isinstance(sent, Err):
            log.warning("reply to !%s failed: %s", parsed[0], sent.error.message())
            return sent
        return Ok(reply)

    async def _raffle(self, chat: ChatMessageEvent, args: str) -> str | None:
        assert self.raffle is not None
        how = "Redeem the keyboard raffle: you roll 1-10000 against your own winning number; an exact match wins."
        stats = await self.raffle.user_stats(chat.chatter_user_id)
        if isinstance(stats, Err):
            return f"@{chat.chatter_user_name} {how} You have not rolled yet."
        s = stats.value
        return f"@{chat.chatter_user_name} {how} You: {stats_fragment(s.total_rolls, s.closest_distance, s.total_wins)}"

    async def _leaderboard(self, chat: ChatMessageEvent, args: str) -> str | None:
        assert self.raffle is not None
        return await leaderboard_line(self.raffle)
