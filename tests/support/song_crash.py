"""Child for the song-request crash test: a full engine against the parent's simulator, killed mid-run.

The same `build` makes the restarted engine in the parent, so both runs share one data dir and one setup.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from streamdeck_tui.config import load_settings
from streamdeck_tui.engine import Engine
from streamdeck_tui.runtime import Secret, SystemClock
from streamdeck_tui.runtime.tokens import StaticTokenSource

FRESH_MS = 100


def build(data: Path, env: dict[str, str]) -> Engine:
    """An engine pointed at the simulator whose endpoints and tokens are in `env` (JSON from the parent)."""
    base = load_settings().unwrap().settings
    settings = base.model_validate(
        {
            **base.model_dump(),
            "data_dir": data,
            "twitch": {
                "helix_url": env["helix"],
                "auth_url": env["auth"],
                "eventsub_url": env["eventsub"],
                "client_id": env["twitch_client"],
            },
            "spotify": {"api_url": env["spotify"], "accounts_url": env["accounts"], "client_id": env["spotify_client"]},
            "songs": {**base.songs.model_dump(), "push_lead_seconds": 120, "max_pending_per_viewer": 10},
        }
    )
    engine = Engine(
        settings,
        clock=SystemClock(),
        twitch_tokens=StaticTokenSource(Secret(env["twitch_token"])),
        spotify_tokens=StaticTokenSource(Secret(env["spotify_token"])),
    )
    assert engine.song_sync is not None
    engine.song_sync.fresh_ms = FRESH_MS
    return engine


async def main(data: Path, env: dict[str, str]) -> None:
    engine = build(data, env)
    assert (await engine.start()).is_ok()
    assert engine.twitch is not None, "the child could not connect to the simulated Twitch"
    assert (await engine.setup_rewards()).is_ok()
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), json.loads(sys.argv[2])))
