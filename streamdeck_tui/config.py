"""Settings: a TOML file, overridden by `STREAMDECK_<SECTION>__<KEY>` environment variables."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .runtime.result import Err, Ok, Result, TaggedError
from .songs.policy import SongPolicy

APP_NAME = "streamdeck-tui"
ENV_PREFIX = "STREAMDECK_"
CONFIG_ENV = "STREAMDECK_CONFIG"

LogLevel = Literal["debug", "info", "warning", "error"]


def _endpoint(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError("must be an http(s):// or ws(s):// URL with a host")
    return value.rstrip("/")


Endpoint = Annotated[str, AfterValidator(_endpoint)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TwitchSettings(_Section):
    """Twitch endpoints and the streamer's own application."""

    helix_url: Endpoint = "https://api.twitch.tv/helix"
    auth_url: Endpoint = "https://id.twitch.tv/oauth2"
    eventsub_url: Endpoint = "wss://eventsub.wss.twitch.tv/ws"
    client_id: str = ""


class SpotifySettings(_Section):
    """Spotify endpoints and the streamer's own application."""

    api_url: Endpoint = "https://api.spotify.com/v1"
    accounts_url: Endpoint = "https://accounts.spotify.com"
    client_id: str = ""


class WorkflowSettings(_Section):
    """The warm workflow pool."""

    pool_size: int = Field(default=3, ge=0, le=32)


ChatRole = Literal["broadcaster", "moderator", "vip", "subscriber", "everyone"]


class SongsSettings(SongPolicy):
    """Song requests: the queue's rules (SongPolicy) plus how the console runs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    push_lead_seconds: int = Field(default=15, ge=3, le=120)
    sr_roles: tuple[ChatRole, ...] = ("broadcaster", "moderator", "vip")


class Settings(BaseSettings):
    """Everything configurable; every external endpoint defaults to the real service."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True, case_sensitive=False
    )

    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    log_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_log_dir(APP_NAME)))
    log_level: LogLevel = "info"
    keyring_service: str = Field(default=APP_NAME, min_length=1)
    twitch: TwitchSettings = TwitchSettings()
    spotify: SpotifySettings = SpotifySettings()
    workflows: WorkflowSettings = WorkflowSettings()
    songs: SongsSettings = SongsSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the file's values, which arrive as init arguments."""
        return (env_settings, init_settings)


@dataclass(frozen=True, slots=True)
class ConfigError(TaggedError):
    """The configuration cannot be used; `where` names the file and line, or the variable."""

    tag = "ConfigError"
    where: str
    key: str
    detail: str

    def message(self) -> str:
        """One line: where, which key, what is wrong."""
        key = f"{self.key}: " if self.key else ""
        return f"config error in {self.where}: {key}{self.detail}"


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    """Settings plus the file they came from (None when defaults were used)."""

    settings: Settings
    path: Path | None


def default_config_path() -> Path:
    """The platform's config file location."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def load_settings(config_path: Path | None = None) -> Result[LoadedSettings, ConfigError]:
    """Read the TOML file (explicit path, `STREAMDECK_CONFIG`, or the default), then the environment."""
    from_env = os.environ.get(CONFIG_ENV)
    explicit = config_path or (Path(from_env) if from_env else None)
    candidate = explicit or default_config_path()
    path: Path | None = candidate if (explicit is not None or candidate.exists()) else None
    data: dict[str, Any] = {}
    text = ""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except FileNotFoundError:
            return Err(ConfigError(str(path), "", "the file does not exist"))
        except IsADirectoryError:
            return Err(ConfigError(str(path), "", "this is a folder, not a TOML file"))
        except (OSError, UnicodeDecodeError) as exc:
            return Err(ConfigError(str(path), "", f"cannot read the file ({exc.__class__.__name__})"))
        except tomllib.TOMLDecodeError as exc:
            return Err(_toml_syntax_error(path, text, exc))
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        return Err(_validation_error(path, text, exc))
    return Ok(LoadedSettings(settings, path))


def _toml_syntax_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    if m is None:
        return ConfigError(str(path), "", f"not valid TOML: {reason}")
    line_no = int(m.group(1))
    lines = text.splitlines()
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    key_match = re.match(r"\s*([A-Za-z0-9_.\-\"]+)\s*=", line)
    section = _section_at(lines, line_no)
    key = ".".join(p for p in (section, key_match.group(1).strip('"') if key_match else "") if p)
    return ConfigError(f"{path} line {line_no}", key, f"not valid TOML: {reason}")


def _section_at(lines: list[str], line_no: int) -> str:
    section = ""
    for raw in lines[: line_no - 1]:
        m = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", raw)
        if m:
            section = m.group(1).strip()
    return section


def _find_line(text: str, loc: tuple[str, ...]) -> int | None:
    """The line where dotted key `loc` is set in the TOML text (best effort)."""
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        m = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", raw)
        if m:
            section = m.group(1).strip()
            if tuple(section.split(".")) == loc:
                return number
            continue
        k = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*=", raw)
        if k:
            full = tuple(p for p in (*section.split("."), *k.group(1).split(".")) if p)
            if full == loc:
                return number
    return None


def _validation_error(path: Path | None, text: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(str(p) for p in first["loc"])
    key = ".".join(loc)
    detail = first["msg"]
    if first["type"] == "extra_forbidden":
        detail = "unknown setting"
    elif "input" in first and isinstance(first["input"], str | int | float | bool):
        detail = f"{detail} (got {first['input']!r})"
    env_name = ENV_PREFIX + "__".join(loc).upper()
    if any(k.upper() == env_name for k in os.environ):
        return ConfigError(f"environment variable {env_name}", key, detail)
    if path is not None:
        line = _find_line(text, loc)
        where = f"{path} line {line}" if line is not None else str(path)
        return ConfigError(where, key, detail)
    return ConfigError("the environment", key, detail)


@dataclass(frozen=True, slots=True)
class DataDirError(TaggedError):
    """The data directory cannot be created or written."""

    tag = "DataDirError"
    path: str
    detail: str

    def message(self) -> str:
        """Name the folder and the remedy."""
        return (
            f"data dir {self.path} is not usable: {self.detail}. Choose another with --data-dir or STREAMDECK_DATA_DIR."
        )


def ensure_writable_dir(path: Path) -> Result[Path, DataDirError]:
    """Create `path` if needed and prove it is writable with a probe file."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return Err(DataDirError(str(path), exc.strerror or exc.__class__.__name__))
    return Ok(path)
