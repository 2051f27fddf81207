"""Settings: file, environment overrides, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamdeck_tui.config import ensure_writable_dir, load_settings
from streamdeck_tui.runtime import Err, Ok


def test_defaults_are_the_real_services(tmp_path: Path) -> None:
    loaded = load_settings()
    assert isinstance(loaded, Ok)
    s = loaded.value.settings
    assert loaded.value.path is None
    assert s.twitch.helix_url == "https://api.twitch.tv/helix"
    assert s.twitch.auth_url == "https://id.twitch.tv/oauth2"
    assert s.twitch.eventsub_url == "wss://eventsub.wss.twitch.tv/ws"
    assert s.spotify.api_url == "https://api.spotify.com/v1"
    assert s.spotify.accounts_url == "https://accounts.spotify.com"


def test_environment_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[twitch]\nhelix_url = "http://127.0.0.1:1/helix"\nclient_id = "file"\n')
    monkeypatch.setenv("STREAMDECK_CONFIG", str(cfg))
    monkeypatch.setenv("STREAMDECK_TWITCH__HELIX_URL", "http://127.0.0.1:2/helix/")
    monkeypatch.setenv("STREAMDECK_DATA_DIR", str(tmp_path / "d"))
    loaded = load_settings()
    assert isinstance(loaded, Ok)
    s = loaded.value.settings
    assert loaded.value.path == cfg
    assert s.twitch.helix_url == "http://127.0.0.1:2/helix"
    assert s.twitch.client_id == "file"
    assert s.data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ('log_level = "info"\n[twitch]\nclient_id = 5\n', 3, "twitch.client_id", "valid string"),
        ('[spotify]\napi_url = "ftp://nope"\n', 2, "spotify.api_url", "http"),
        ('[twitch]\nclient_id = "x"\nbogus = 1\n', 3, "twitch.bogus", "unknown setting"),
        ("[workflows]\npool_size = 500\n", 2, "workflows.pool_size", "less than or equal"),
        ('[twitch\nclient_id = "x"\n', 1, "", "not valid TOML"),
        ('[twitch]\nclient_id = "unterminated\n', 2, "twitch.client_id", "not valid TOML"),
    ],
)
def test_malformed_file_names_file_line_and_key(tmp_path: Path, text: str, line: int, key: str, words: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    loaded = load_settings(cfg)
    assert isinstance(loaded, Err)
    msg = loaded.error.message()
    assert "\n" not in msg
    assert f"{cfg} line {line}" in msg
    assert key in msg and words in msg


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMDECK_TWITCH__EVENTSUB_URL", "not a url")
    loaded = load_settings()
    assert isinstance(loaded, Err)
    assert "STREAMDECK_TWITCH__EVENTSUB_URL" in loaded.error.message()


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path / "absent.toml")
    assert isinstance(loaded, Err)
    assert "does not exist" in loaded.error.message()


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = ensure_writable_dir(blocker / "data")
    assert isinstance(result, Err)
    assert str(blocker / "data") in result.error.message()
    assert ensure_writable_dir(tmp_path / "fine") == Ok(tmp_path / "fine")


def test_the_file_in_the_platform_config_dir_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMDECK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    cfg = tmp_path / "xdg" / "streamdeck-tui" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[songs]\nmax_duration = "5:30"\n', encoding="utf-8")
    loaded = load_settings()
    assert isinstance(loaded, Ok)
    assert loaded.value.path == cfg
    assert loaded.value.settings.songs.max_duration == "5:30"
