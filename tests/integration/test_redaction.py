"""Known token values never reach a log file, a SQLite file, an error text or the screen."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from textual.color import Color
from textual.widgets import Static

from streamdeck_tui.launcher import Launcher
from streamdeck_tui.logging_setup import configure_logging
from streamdeck_tui.runtime import Err, Ok, Secret
from streamdeck_tui.secrets import MemoryStore
from streamdeck_tui.ui.accounts import AccountsScreen
from streamdeck_tui.ui.app import StreamdeckApp
from tests.support.sim import running_engine
from tests.support.waiting import wait_for


class RunningLauncher(Launcher):
    """Hands the app an engine that is already running (the rig owns its lifecycle)."""

    def __init__(self, engine: object) -> None:
        self.engine = engine  # type: ignore[assignment]

    async def start(self, on_item=None):  # type: ignore[no-untyped-def]
        if on_item is not None:
            self.engine.hub.subscribe(on_item)
        return Ok(self.engine)

    async def stop(self) -> None:
        return None


def _values(store: MemoryStore) -> set[str]:
    out = set()
    for key in ("twitch.access_token", "twitch.refresh_token"):
        got = store.get(key).unwrap()
        assert isinstance(got, Secret)
        out.add(got.reveal())
    return out


async def test_tokens_appear_in_no_log_no_database_no_error_and_no_screen(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path / "log", "debug")
    store = MemoryStore()
    errors: list[str] = []
    failures: list[Err[Any]] = []
    async with running_engine(tmp_path, store=store) as rig:
        token = rig.engine.twitch_token
        assert token is not None
        known = _values(store)
        for _ in range(3):
            assert isinstance(await token.refresh_now(), Ok)
            known |= _values(store)
        assert len(known) == 8  # four access and four refresh tokens, all different
        await rig.post("/faults/fail", {"endpoint": "POST /oauth2/token", "status": 500, "count": 1})
        failed = await token.refresh_now()
        assert isinstance(failed, Err)
        failures.append(failed)

        # An exception carrying the live tokens, logged with its traceback, as a crash handler would.
        live_access, live_refresh = (store.get(k).unwrap() for k in ("twitch.access_token", "twitch.refresh_token"))
        assert live_access is not None and live_refresh is not None
        try:
            raise RuntimeError(f"upstream said {live_access.reveal()} / {live_refresh.reveal()} is bad")
        except RuntimeError:
            logging.getLogger("streamdeck_tui.test").exception("unexpected failure while refreshing")
        logging.getLogger("streamdeck_tui.test").error("with exc_info", exc_info=ValueError(live_refresh.reveal()))

        await rig.post("/twitch/tokens/revoke", {})
        revoked = await token.refresh_now()
        assert isinstance(revoked, Err)
        failures.append(revoked)
        again = await token.access_token()  # fails fast now
        assert isinstance(again, Err)
        failures.append(again)
        for failure in failures:
            errors += [failure.error.message(), str(failure.error), repr(failure.error), str(failure), repr(failure)]
        errors.append(str((await token.account()).last_error))
        logging.getLogger("streamdeck_tui.test").info("state after failures: %r", await token.account())

        app = StreamdeckApp(RunningLauncher(rig.engine))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            banner_text = "Twitch needs you to log in again: press a"
            await wait_for(lambda: banner_text in app.export_screenshot().replace("&#160;", " "))
            main_screen = app.export_screenshot().replace("&#160;", " ")
            banner = app.query_one("#banner", Static)
            assert banner.display
            assert banner.styles.background == Color.parse(app.get_css_variables()["error"]), "the red banner"
            await pilot.press("a")
            await wait_for(lambda: isinstance(app.screen, AccountsScreen))
            await app.workers.wait_for_complete()
            await pilot.pause()
            accounts_screen = app.export_screenshot().replace("&#160;", " ")
        assert "needs login" in accounts_screen and "Twitch" in accounts_screen

    for handler in logging.getLogger("streamdeck_tui").handlers:
        handler.flush()
    logs = "".join(p.read_text(errors="replace") for p in log_file.parent.iterdir())
    assert "refreshed" in logs  # the log did record the refreshes
    assert "Traceback (most recent call last)" in logs and "RuntimeError: upstream said" in logs
    assert "ValueError: " in logs
    databases = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    for value in known:
        assert value not in logs
        assert value.encode() not in databases
        assert all(value not in e for e in errors)
        assert value not in main_screen and value not in accounts_screen
