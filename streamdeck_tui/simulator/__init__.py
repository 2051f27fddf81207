"""An embedded Twitch + Spotify simulator on loopback sockets.

`Simulator`, `SimulatorConfig` and `run_simulator` live in `streamdeck_tui.simulator.server`; they are also
importable from here, loaded on first use so importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Simulator, SimulatorConfig, run_simulator

__all__ = ["Simulator", "SimulatorConfig", "run_simulator"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
