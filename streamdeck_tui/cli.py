"""The `streamdeck-tui` command: parse options, load settings, then run the console or a subcommand."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from . import __version__
from .config import LoadedSettings, load_settings
from .runtime.result import Err
from .runtime.secret import redact

if TYPE_CHECKING:
    from .launcher import Launcher

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2

log = logging.getLogger("streamdeck_tui.cli")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """All options and subcommands."""
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--config", type=Path, metavar="FILE", help="settings file (TOML)")
    common.add_argument("--data-dir", type=Path, metavar="DIR", help="where component databases live")
    common.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="log detail (default: info)")
    parser = _Parser(
        prog="streamdeck-tui",
        description="A terminal console for Twitch streamers.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"streamdeck-tui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="run against the embedded Twitch + Spotify simulator, no accounts"
    )
    parser.add_argument("--headless", action="store_true", help="run without the console UI, logging to stdout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("doctor", parents=[common], help="check config, data dir, keyring and databases")
    login = sub.add_parser("login", parents=[common], help="connect your Twitch or Spotify account")
    login.add_argument("provider", choices=["twitch", "spotify"])
    login.add_argument("--no-browser", action="store_true", help="only print the URL to open")
    logout = sub.add_parser("logout", parents=[common], help="revoke and forget an account")
    logout.add_argument("provider", choices=["twitch", "spotify"])
    accounts = sub.add_parser("accounts", parents=[common], help="who is logged in, scopes, expiry")
    accounts.add_argument("--json", action="store_true", help="machine-readable output")
    streams = sub.add_parser("streams", parents=[common], help="past stream sessions: duration, peak, average")
    streams.add_argument("--json", action="store_true", help="machine-readable output")
    raffle = sub.add_parser("raffle", parents=[common], help="keyboard raffle: leaderboard and winners")
    raffle.add_argument("action", choices=["leaderboard", "winners"])
    raffle.add_argument("--by", choices=["rolls", "wins", "closest"], default="rolls", help="leaderboard order")
    raffle.add_argument("--json", action="store_true", help="machine-readable output")
    queue = sub.add_parser("queue", parents=[common], help="song requests waiting, in the order they will play")
    queue.add_argument("--json", action="store_true", help="machine-readable output")
    history = sub.add_parser("history", parents=[common], help="requested songs that played, newest first")
    history.add_argument("--json", action="store_true", help="machine-readable output")
    rewards = sub.add_parser("rewards", parents=[common], help="set up the raffle and song-request rewards")
    rewards.add_argument("action", choices=["setup"])
    sim = sub.add_parser("simulator", parents=[common], help="run the Twitch + Spotify simulator on its own")
    sim.add_argument("--port", type=int, default=0, help="port of the Twitch HTTP server (0: any free port)")
    sim.add_argument("--speed", type=float, default=1.0, help="how fast simulated time runs (default 1.0)")
    sim.add_argument("--auto-approve", action="store_true", help="grant logins at once (for scripts)")
    return parser


def _load(args: argparse.Namespace) -> LoadedSettings | int:
    loaded = load_settings(getattr(args, "config", None))
    if isinstance(loaded, Err):
        print(loaded.error.message(), file=sys.stderr)
        return EXIT_USAGE
    updates: dict[str, object] = {}
    if getattr(args, "data_dir", None) is not None:
        updates["data_dir"] = args.data_dir
    elif getattr(args, "demo", False):
        # The demo never touches the streamer's real data.
        updates["data_dir"] = Path(tempfile.mkdtemp(prefix="streamdeck-demo-"))
    if getattr(args, "log_level", None) is not None:
        updates["log_level"] = args.log_level
    if getattr(args, "demo", False):
        # The demo's log stays with its data (a throw-away dir unless --data-dir), never in the real log dir.
        updates["log_dir"] = updates["data_dir"]
    settings = loaded.value.settings.model_copy(update=updates)
    return LoadedSettings(settings, loaded.value.path)


def main(argv: list[str] | None = None) -> int:
    """Entry point; never lets a traceback reach the terminal."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `streamdeck-tui queue | head`: the reader left; Python would complain again when stdout is flushed.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except Exception as exc:
        log.exception("unexpected error")
        print(
            f"streamdeck-tui stopped on an unexpected error ({type(exc).__name__}). "
            "Details are in the log file; `streamdeck-tui doctor` shows where it is.",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    from .config import ensure_writable_dir
    from .logging_setup import configure_logging

    settings = loaded.settings
    if args.command == "simulator":
        return _run_simulator(args)
    writable = ensure_writable_dir(settings.data_dir)
    if args.command == "doctor":
        from .doctor import render, run_checks

        log_file = _try_logging(settings.log_dir, settings.log_level, stream=False)
        checks = run_checks(loaded, log_file)
        print(render(checks))
        return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED
    if isinstance(writable, Err):
        print(writable.error.message(), file=sys.stderr)
        return EXIT_USAGE
    if args.command in ("login", "logout", "accounts", "rewards"):
        return _run_accounts_command(args, loaded)
    if args.command in ("queue", "history"):
        from .cli_songs import run_songs

        return run_songs(loaded, args.command, as_json=args.json)
    if args.command == "raffle":
        from .cli_raffle import run_raffle

        return run_raffle(loaded, args.action, args.by, as_json=args.json)
    if args.command == "streams":
        from .cli_reports import run_streams

        return run_streams(loaded, as_json=args.json)
    try:
        configure_logging(settings.log_dir, settings.log_level, stream=args.headless)
    except OSError as exc:
        print(
            f"log dir {settings.log_dir} is not usable: {exc.strerror}. Set STREAMDECK_LOG_DIR.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from .launcher import Launcher

    store = None
    if not args.demo:
        from .cli_accounts import keyring_store

        checked = keyring_store(settings.keyring_service)
        if isinstance(checked, str):
            print(checked, file=sys.stderr)
            return EXIT_USAGE
        store = checked
    launcher = Launcher(settings, demo=args.demo, secret_store=store)
    try:
        if args.headless:
            return asyncio.run(_run_headless(launcher))
        from .ui.app import StreamdeckApp

        app = StreamdeckApp(launcher)
        code = app.run()
        if app.start_error:
            print(app.start_error, file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK if code is None else code
    finally:
        if getattr(args, "demo", False) and getattr(args, "data_dir", None) is None:
            # The demo's throw-away data dir (and its log) go with it.
            shutil.rmtree(settings.data_dir, ignore_errors=True)


def _run_accounts_command(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    from . import cli_accounts

    _try_logging(loaded.settings.log_dir, loaded.settings.log_level, stream=False)
    if args.command == "login":
        return cli_accounts.run_login(loaded, args.provider, open_browser=not args.no_browser)
    if args.command == "logout":
        return cli_accounts.run_logout(loaded, args.provider)
    if args.command == "rewards":
        from .cli_rewards import run_rewards_setup

        store = cli_accounts.keyring_store(loaded.settings.keyring_service)
        if isinstance(store, str):
            print(store, file=sys.stderr)
            return EXIT_USAGE
        return run_rewards_setup(loaded, store)
    return cli_accounts.run_accounts(loaded, as_json=args.json)


def _try_logging(log_dir: Path, level: str, *, stream: bool) -> Path | None:
    from .logging_setup import configure_logging

    try:
        return configure_logging(log_dir, level, stream=stream)
    except OSError:
        return None


async def _run_headless(launcher: Launcher) -> int:
    started = await launcher.start(on_item=_print_item)
    if isinstance(started, Err):
        print(started.error.message(), file=sys.stderr)
        return EXIT_FAILED
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("running headless; Ctrl-C stops")
    try:
        await stop.wait()
    finally:
        await launcher.stop()
    return EXIT_OK


def _print_item(item: object) -> None:
    """Headless mode's view of the hub: one plain line per item."""
    from .feed import ActivitySeen, ChatSeen, LinkChanged, RedemptionSeen
    from .runtime.events import DomainEvent

    match item:
        case ChatSeen(display_name=name, text=text):
            line = f"chat {name}: {text}"
        case RedemptionSeen(display_name=name, reward_title=title, user_input=text):
            line = f"redemption {name} -> {title}: {text}"
        case ActivitySeen(kind=kind, text=text):
            line = f"{kind}: {text}"
        case LinkChanged(state=state, detail=detail):
            line = f"twitch {state}: {detail}"
        case DomainEvent(type=kind, payload=payload):
            line = f"event {kind} {payload}"
        case _:
            return
    print(redact(line), flush=True)


def _run_simulator(args: argparse.Namespace) -> int:
    from .simulator import run_simulator

    try:
        asyncio.run(run_simulator(args.port, args.speed, args.auto_approve))
    except OSError as exc:
        print(f"the simulator could not start: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
