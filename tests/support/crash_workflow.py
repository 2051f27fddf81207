"""A five-step workflow against the simulator, and a child process that is SIGKILLed at a chosen point.

Steps 1, 2, 4 and 5 send a chat line (ambiguous effects: must never repeat); step 3 only reads (safe to
repeat). `KILL_AT` is "before:N" (the boundary before step N), "start:N" (step N is journaled STARTED, its
request not sent yet), "inside:N" (the effect happened, the result is not recorded yet) or "after:5" (the
last result is recorded, the run not yet COMPLETED); the child prints the point and hangs until killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import ClassVar

import httpx
from pydantic import BaseModel

from streamdeck_tui.components.workflow_pool import WorkflowPool
from streamdeck_tui.runtime import ComponentContext, Err, Ok, Result, Secret, SystemClock, TaggedError
from streamdeck_tui.runtime.resources import migrations_root
from streamdeck_tui.runtime.tokens import StaticTokenSource
from streamdeck_tui.twitch.helix import HelixClient
from streamdeck_tui.workflows.context import WorkflowContext

CHAT_STEPS = (1, 2, 4, 5)


class CrashParams(BaseModel):
    """Whose channel, and a tag for the chat lines."""

    broadcaster_id: str
    tag: str


async def _hang(point: str) -> None:
    if os.environ.get("KILL_AT") == point:
        print(f"AT {point}", flush=True)
        await asyncio.Event().wait()


class FiveSteps:
    """The workflow under test."""

    kind: ClassVar[str] = "five_steps"
    params_model: ClassVar[type[BaseModel]] = CrashParams

    def __init__(self, helix: HelixClient) -> None:
        self.helix = helix

    async def run(self, ctx: WorkflowContext, params: CrashParams) -> Result[None, TaggedError]:
        for n in range(1, 6):
            await _hang(f"before:{n}")
            if n in CHAT_STEPS:

                async def say(n: int = n) -> Result[str, TaggedError]:
                    await _hang(f"start:{n}")
                    sent = await self.helix.send_chat(params.broadcaster_id, params.broadcaster_id, f"{params.tag} {n}")
                    await _hang(f"inside:{n}")
                    return Ok(sent.value.message_id) if isinstance(sent, Ok) else sent

                done = await ctx.step(f"say-{n}", say, result=str, ambiguous=True)
            else:

                async def read(n: int = n) -> Result[str, TaggedError]:
                    await _hang(f"start:{n}")
                    me = await self.helix.get_me()
                    await _hang(f"inside:{n}")
                    return Ok(me.value.id) if isinstance(me, Ok) else me

                done = await ctx.step(f"read-{n}", read, result=str)
            if isinstance(done, Err):
                return done
        await _hang("after:5")
        return Ok(None)


def build(data: Path, helix_url: str, client_id: str, token: str, http: httpx.AsyncClient) -> WorkflowPool:
    """The pool with the five-step workflow, as both the child and the restarted parent use it."""
    clock = SystemClock()
    helix = HelixClient(helix_url, client_id, StaticTokenSource(Secret(token)), http, clock)
    pool = WorkflowPool(ComponentContext(data, clock, migrations_root()), warm=0)
    pool.register(FiveSteps(helix))
    return pool


async def main(data: Path, helix_url: str, client_id: str, token: str, broadcaster: str, tag: str) -> None:
    async with httpx.AsyncClient() as http:
        pool = build(data, helix_url, client_id, token, http)
        await pool.start()
        await pool.start_run("five_steps", "crash-run", {"broadcaster_id": broadcaster, "tag": tag})
        await pool.wait("crash-run")
        print("FINISHED", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), *sys.argv[2:7]))
