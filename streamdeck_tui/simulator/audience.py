"""A scripted audience for the demo: viewers chat, redeem song requests and raffle rolls, follow, raid."""

from __future__ import annotations

import asyncio
import contextlib
import random
import string
from collections import Counter
from collections.abc import Callable
from typing import Final

from streamdeck_tui.runtime.clock import Clock

from .catalogue import Catalogue, Track
from .channel import Channel, Refusal
from .ids import base62_id
from .rewards import Reward, RewardStore
from .twitch_users import TwitchUser

_GREETINGS: Final = (
    "hi chat",
    "hello @{streamer}",
    "first time here!",
    "o/",
    "good evening everyone",
    "hey hey",
)
_CHATTER: Final = (
    "what editor is that?",
    "PogChamp",
    "Kappa",
    "LUL that bug",
    "SeemsGood",
    "HeyGuys",
    "the tests are green!",
    "is this Python?",
    "love the terminal UI",
    "what keyboard are you using?",
    "this track slaps",
    "can we get a raffle?",
)
_COMMANDS: Final = (
    "!song",
    "!queue",
    "!lurk",
    "!unlurk",
    "!stats",
    "!achievements",
    "!raffle-leaderboard",
    "!commands",
    "!today",
    "!keyboard",
    "!time",
)
# Weights of each action per tick; redemptions fall back to chat when the reward does not exist.
_ACTIONS: Final = (
    ("chat", 46),
    ("join", 8),
    ("song_request", 20),
    ("raffle", 12),
    ("other_reward", 3),
    ("follow", 5),
)


def _link(track_id: str, rng: random.Random) -> str:
    shape = rng.randrange(3)
    if shape == 0:
        return f"https://open.spotify.com/track/{track_id}"
    if shape == 1:
        share = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
        return f"https://open.spotify.com/track/{track_id}?si={share}"
    return f"spotify:track:{track_id}"


class Audience:
    """Drives the channel with a few events per second at speed 1; `speed` scales the rate."""

    def __init__(
        self,
        channel: Channel,
        rewards: RewardStore,
        catalogue: Catalogue,
        clock: Clock,
        rng: random.Random,
        *,
        speed: float = 1.0,
        events_per_second: float = 3.0,
    ) -> None:
        self.speed = speed
        self.stats: Counter[str] = Counter()
        self._channel = channel
        self._rewards = rewards
        self._catalogue = catalogue
        self._clock = clock
        self._rng = rng
        self._rate = events_per_second
        self._task: asyncio.Task[None] | None = None
        self._present: list[TwitchUser] = []
        self._requested: list[Track] = []
        self._step = 0
        self._raid_at = rng.randint(40, 90)

    @property
    def running(self) -> bool:
        """True while the script runs."""
        return self._task is not None and not self._task.done()

    def go_live(self) -> None:
        """Take the stream live with a few dozen viewers (no-op when it is live)."""
        if self._channel.go_live(self._rng.randint(12, 40)):
            self._rewards.reset_stream_counters()

    def start(self) -> None:
        """Take the stream live and start the script (no-op when running)."""
        if self.running:
            return
        self.go_live()
        self._task = asyncio.create_task(self._run(), name="simulator-audience")

    async def stop(self) -> None:
        """Stop the script (the stream stays as it is)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await self._clock.sleep(self._rng.expovariate(self._rate * max(self.speed, 1e-6)))
            self.tick()

    def tick(self) -> None:
        """One step of the script: the viewer count wanders, then one action happens."""
        self._step += 1
        stream = self._channel.stream
        if stream.live:
            self._channel.set_viewers(max(1, stream.viewer_count + self._rng.choice((-1, 0, 0, 1, 1))))
        if self._step == self._raid_at:
            raider = self._rng.choice(self._channel.users.raiders)
            self._channel.raid(raider.user, raider.viewers)
            self.stats["raid"] += 1
            return
        names = [name for name, _ in _ACTIONS]
        action = self._rng.choices(names, weights=[w for _, w in _ACTIONS])[0]
        if action == "join" or not self._present:
            self._join()
        elif action == "song_request" and self._redeem(("song",), self._song_request_input):
            self.stats["song_request"] += 1
        elif action == "raffle" and self._redeem(("raffle", "roll", "keyboard"), lambda: ""):
            self.stats["raffle"] += 1
        elif action == "other_reward" and self._redeem(None, lambda: ""):
            self.stats["other_reward"] += 1
        elif action == "follow":
            self._follow()
        else:
            self._chat()

    def _viewer(self) -> TwitchUser:
        return self._rng.choice(self._present)

    def _join(self) -> None:
        absent = [v for v in self._channel.users.viewers if v not in self._present]
        if absent:
            self._present.append(self._rng.choice(absent))
            self.stats["join"] += 1

    def _chat(self) -> None:
        roll = self._rng.random()
        if roll < 0.2:
            text = self._rng.choice(_GREETINGS).format(streamer=self._channel.broadcaster.login)
        elif roll < 0.45:
            text = self._rng.choice(_COMMANDS)
        elif roll < 0.5:
            text = f"!sr {self._song_request_input()}"
        else:
            text = self._rng.choice(_CHATTER)
        self._channel.viewer_says(self._viewer(), text)
        self.stats["chat"] += 1

    def _follow(self) -> None:
        following = {u.id for u, _ in self._channel.followers}
        candidates = [v for v in self._present if v.id not in following]
        if not candidates:
            self._chat()
            return
        self._channel.follow(self._rng.choice(candidates))
        self.stats["follow"] += 1

    def _pick_reward(self, keywords: tuple[str, ...] | None) -> Reward | None:
        usable = [r for r in self._rewards.rewards.values() if r.is_enabled and not r.is_paused]
        if keywords is None:
            claimed = ("song", "raffle", "roll", "keyboard")
            usable = [r for r in usable if not any(k in r.title.lower() for k in claimed)]
        else:
            usable = [r for r in usable if any(k in r.title.lower() for k in keywords)]
        return self._rng.choice(usable) if usable else None

    def _redeem(self, keywords: tuple[str, ...] | None, user_input: Callable[[], str]) -> bool:
        reward = self._pick_reward(keywords)
        if reward is None:
            return False
        result = self._rewards.redeem(reward.id, self._viewer(), user_input())
        return not isinstance(result, Refusal)

    def _pick(self, wanted: Callable[[Track], bool]) -> Track:
        # A custom catalogue may lack some kinds of track; any track will do then.
        tracks = self._catalogue.all()
        return self._rng.choice([t for t in tracks if wanted(t)] or list(tracks))

    def _song_request_input(self) -> str:
        roll = self._rng.random()
        if roll < 0.45 or not self._requested:
            chosen = self._pick(lambda t: t.is_playable and not t.explicit and t.duration_ms <= 600_000)
            self._requested.append(chosen)
            return _link(chosen.id, self._rng)
        if roll < 0.6:
            chosen = self._pick(lambda t: True)
            return f"{chosen.name} {chosen.artists[0].name}"
        if roll < 0.72:
            return self._rng.choice(
                (
                    f"https://open.spotify.com/track/{base62_id(self._rng)}",
                    "https://www.youtube.com/watch?v=" + base62_id(self._rng, 11),
                    "play something good pls",
                    "https://open.spotify.com/album/" + base62_id(self._rng),
                )
            )
        if roll < 0.8:
            return _link(self._pick(lambda t: t.duration_ms > 600_000).id, self._rng)
        if roll < 0.88:
            return _link(self._pick(lambda t: t.explicit).id, self._rng)
        if roll < 0.95:
            return _link(self._rng.choice(self._requested).id, self._rng)
        return _link(self._pick(lambda t: not t.is_playable).id, self._rng)
