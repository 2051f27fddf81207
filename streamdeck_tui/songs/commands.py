"""Song chat commands: `!sr` (roles from config), `!song`, `!queue` (next 4), `!wrongsong`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ..chat_commands import ChatCommands, Command
from ..components.song_queue import SongQueue
from ..components.workflow_pool import WorkflowPool
from ..runtime.clock import Clock
from ..runtime.result import Err
from ..twitch.eventsub_models import ChatMessageEvent
from ..workflows.song_request import SongParams, SongRequestWorkflow

log = logging.getLogger("streamdeck_tui.songs")

QUEUE_SHOWN = 4
MAX_INPUT = 20_000


def allowed(chat: ChatMessageEvent, roles: Sequence[str]) -> bool:
    """Whether the chatter holds one of `roles` (badges: broadcaster, moderator, vip, subscriber; or everyone)."""
    if "everyone" in roles:
        return True
    badges = {b.set_id for b in chat.badges}
    return any(role in badges for role in roles)


class SongCommands:
    """The chat side of song requests; replies never exceed 500 characters (ChatCommands cuts them)."""

    def __init__(
        self,
        queue: SongQueue,
        pool: WorkflowPool | None,
        roles: Callable[[], Sequence[str]],
        clock: Clock,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.queue = queue
        self.pool = pool
        self.roles = roles
        self.clock = clock
        self.on_change = on_change

    def register(self, commands: ChatCommands) -> None:
        """Add the song commands to the dispatch."""
        commands.add(Command("sr", ("songrequest",), self._sr))
        commands.add(Command("song", ("currentsong",), self._song))
        commands.add(Command("queue", ("songqueue",), self._queue))
        commands.add(Command("wrongsong", (), self._wrongsong))

    async def _sr(self, chat: ChatMessageEvent, args: str) -> str | None:
        who = f"@{chat.chatter_user_name}"
        if not allowed(chat, self.roles()):
            return f"{who} song requests in chat are for {', '.join(self.roles())}; redeem the song request reward."
        if not args.strip():
            return f"{who} usage: !sr <Spotify track link or song name>"
        if self.pool is None:
            return None
        params = SongParams(
            request_id=f"chat:{chat.message_id}",
            broadcaster_id=chat.broadcaster_user_id,
            user_id=chat.chatter_user_id,
            user_login=chat.chatter_user_login,
            display_name=chat.chatter_user_name,
            user_input=args[:MAX_INPUT],
            requested_ms=self.clock.now_ms(),
            source="chat",
        )
        # The message id is the run id: a redelivered chat message is the same request, answered once.
        started = await self.pool.start_run(
            SongRequestWorkflow.kind, f"song:chat:{chat.message_id}", params, order_key=f"viewer:{chat.chatter_user_id}"
        )
        if isinstance(started, Err):
            log.warning("!sr not started: %s", started.error.message())
        return None  # the workflow replies

    async def _song(self, chat: ChatMessageEvent, args: str) -> str | None:
        now = await self.queue.now_playing()
        who = f"@{chat.chatter_user_name}"
        if now.track is None:
            return f"{who} nothing is playing right now."
        line = f'{who} now playing: "{now.track.name}" by {now.track.artist_line}'
        if now.request is not None and now.request.track_id == now.track.id:
            line += f", requested by {now.request.requester_name}"
        return line + "."

    async def _queue(self, chat: ChatMessageEvent, args: str) -> str | None:
        upcoming = await self.queue.upcoming(QUEUE_SHOWN)
        who = f"@{chat.chatter_user_name}"
        if not upcoming:
            return f"{who} the song queue is empty: redeem a song request or use !sr."
        parts = [f'{n}. "{r.track_name}" ({r.requester_name})' for n, r in enumerate(upcoming, start=1)]
        return f"{who} next up: " + " · ".join(parts)

    async def _wrongsong(self, chat: ChatMessageEvent, args: str) -> str | None:
        who = f"@{chat.chatter_user_name}"
        withdrawn = await self.queue.withdraw_last(chat.chatter_user_id)
        if isinstance(withdrawn, Err):
            return f"{who} you have no request waiting (one already sent to Spotify cannot be withdrawn)."
        self.on_change()
        refund = " Your points were refunded." if withdrawn.value.source == "redemption" else ""
        return f"{who} removed {withdrawn.value.title_line} from the queue.{refund}"
