"""The `streamdeck-tui` command: parse options, load settings, then run the console or a subcommand."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import Final

from . import __version__
from .config import LoadedSettings, load_settings
from .runtime.result import Err

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
    common.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], help="log detail (default: info)"
    )
    parser = _Parser(
        prog="streamdeck-tui",
        description="A terminal console for Twitch streamers.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"streamdeck-tui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="run against the embedded Twitch + Spotify simulator, no accounts"
    )
    parser.add_argument(
        "--headless", action="store_true", help="run without the console UI, logging to stdout"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("doctor", parents=[common], help="check config, data dir, keyring and databases")
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
    if getattr(args, "demo", False) and getattr(args, "data_dir", None) is None:
        updates["log_dir"] = updates["data_dir"]
    settings = loaded.value.settings.model_copy(update=updates)
    return LoadedSettings(settings, loaded.value.path)


def main(argv: list[str] | None = None) -> int:
    """Entry point; never lets a traceback reach the terminal."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
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
    try:
        configure_logging(settings.log_dir, settings.log_level, stream=args.headless)
    except OSError as exc:
        print(
            f"log dir {settings.log_dir} is not usable: {exc.strerror}. Set STREAMDECK_LOG_DIR.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from .engine import Engine

    engine = Engine(settings)
    if args.headless:
        return asyncio.run(_run_headless(engine))
    from .ui.app import StreamdeckApp

    app = StreamdeckApp(engine, demo=args.demo)
    code = app.run()
    if app.start_error:
        print(app.start_error, file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if code is None else code


def _try_logging(log_dir: Path, level: str, *, stream: bool) -> Path | None:
    from .logging_setup import configure_logging

    try:
        return configure_logging(log_dir, level, stream=stream)
    except OSError:
        return None


async def _run_headless(engine: object) -> int:
    from .engine import Engine

    assert isinstance(engine, Engine)
    started = await engine.start()
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
        await engine.stop()
    return EXIT_OK
