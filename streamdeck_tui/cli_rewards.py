"""`streamdeck-tui rewards setup`: create or adopt the console's custom rewards with its own client id."""

from __future__ import annotations

import asyncio

from .components.channel_rewards import ChannelRewards
from .config import LoadedSettings
from .engine import Engine
from .runtime.result import Err
from .secrets import SecretStore

EXIT_OK = 0
EXIT_FAILED = 1


def run_rewards_setup(loaded: LoadedSettings, store: SecretStore) -> int:
    """Create the raffle and song-request rewards (or adopt ours), print them; returns the exit code."""
    return asyncio.run(_setup(loaded, store))


async def _setup(loaded: LoadedSettings, store: SecretStore) -> int:
    engine = Engine(loaded.settings, components=(ChannelRewards,), secret_store=store)
    started = await engine.start(connect=False)
    if isinstance(started, Err):
        print(started.error.message())
        return EXIT_FAILED
    try:
        made = await engine.setup_rewards()
    finally:
        await engine.stop()
    if isinstance(made, Err):
        print(f"Rewards not set up: {made.error.message()}")
        return EXIT_FAILED
    for info in made.value:
        state = "open" if info.is_open else "paused"
        print(f"{info.purpose:13} {info.title!r} ({info.cost:,} points, {state}): id {info.reward_id}")
    print("Only this console can fulfil or refund these rewards (Twitch allows it only for the creating client).")
    return EXIT_OK
