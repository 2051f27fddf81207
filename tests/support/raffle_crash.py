"""Child for the raffle crash test: draws, then is SIGKILLed before the roll is recorded."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from streamdeck_tui.components.keyboard_raffle import KeyboardRaffle
from streamdeck_tui.components.raffle_draw import ByteSource
from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import ComponentContext, Secret, SystemClock
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.runtime.tokens import StaticTokenSource
from streamdeck_tui.twitch.helix import HelixClient
from streamdeck_tui.workflows.keyboard_raffle import KeyboardRaffleWorkflow

PARAMS = {
    "roll_id": "manual:crash",
    "broadcaster_id": "",
    "user_id": "u-kiwi",
    "display_name": "kiwi",
    "rolled_ms": 1_767_225_600_000,
    "source": "manual",
}


def build(
    data: Path, helix_url: str, client_id: str, token: str, http: httpx.AsyncClient, source: ByteSource | None = None
) -> tuple[WorkflowPool, KeyboardRaffle]:
    """Raffle store + pool with the raffle workflow, shared by the child and the restarted parent."""
    clock = SystemClock()
    ctx = ComponentContext(data, clock, migrations_root())
    raffle = KeyboardRaffle(ctx)
    pool = WorkflowPool(ctx, warm=0)
    helix = HelixClient(helix_url, client_id, StaticTokenSource(Secret(token)), http, clock)
    pool.register(KeyboardRaffleWorkflow(raffle, lambda: helix, source))
    return pool, raffle


async def main(data: Path, helix_url: str, client_id: str, token: str, broadcaster: str) -> None:
    async with httpx.AsyncClient() as http:
        pool, raffle = build(data, helix_url, client_id, token, http)
        await raffle.start()
        await pool.start()

        async def hang(*args: object, **kwargs: object) -> object:
            print("DRAWN", flush=True)
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        raffle.record_roll = hang  # type: ignore[method-assign]
        await pool.start_run("keyboard_raffle", "raffle:crash", {**PARAMS, "broadcaster_id": broadcaster})
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), *sys.argv[2:6]))
