"""Invented Twitch users: the broadcaster, the viewers, and other channels that may raid."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from streamdeck_tui.runtime.resources import assets_root

from .ids import numeric_id, rfc3339

_CREATED_AT_MS = 1_577_836_800_000  # 2020-01-01, an arbitrary fixed account creation date


@dataclass(frozen=True, slots=True)
class TwitchUser:
    """A user as Helix and EventSub describe them; `badges` are chat badge set ids."""

    id: str
    login: str
    display_name: str
    color: str = "#9147FF"
    badges: tuple[str, ...] = ()
    broadcaster_type: str = ""

    def helix_json(self) -> dict[str, object]:
        """The Helix `User` object."""
        return {
            "id": self.id,
            "login": self.login,
            "display_name": self.display_name,
            "type": "",
            "broadcaster_type": self.broadcaster_type,
            "description": f"{self.display_name} is a simulated user.",
            "profile_image_url": "",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": rfc3339(_CREATED_AT_MS),
        }


@dataclass(frozen=True, slots=True)
class Raider:
    """Another channel that may raid, and how many viewers it brings."""

    user: TwitchUser
    viewers: int


class _UserEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    login: str
    display_name: str
    color: str = "#9147FF"
    badges: tuple[str, ...] = ()
    viewers: int = 0


class _ViewersFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    broadcaster: _UserEntry
    viewers: tuple[_UserEntry, ...]
    raiders: tuple[_UserEntry, ...]


def _user(entry: _UserEntry, broadcaster_type: str = "") -> TwitchUser:
    return TwitchUser(entry.id, entry.login, entry.display_name, entry.color, entry.badges, broadcaster_type)


def default_viewers_path() -> Path:
    """Where the shipped viewer list lives."""
    return assets_root() / "sim" / "viewers.json"


class UserDirectory:
    """Every user the simulator knows, by id and by login."""

    def __init__(self, broadcaster: TwitchUser, viewers: list[TwitchUser], raiders: list[Raider]) -> None:
        self.broadcaster = broadcaster
        self.viewers = list(viewers)
        self.raiders = list(raiders)
        self._by_id: dict[str, TwitchUser] = {}
        self._by_login: dict[str, TwitchUser] = {}
        for user in [broadcaster, *viewers, *(r.user for r in raiders)]:
            self._index(user)

    @classmethod
    def load(cls, path: Path | None = None) -> UserDirectory:
        """Load viewers.json (the shipped one by default)."""
        raw = json.loads((path or default_viewers_path()).read_text(encoding="utf-8"))
        data = _ViewersFile.model_validate(raw)
        return cls(
            _user(data.broadcaster, "affiliate"),
            [_user(v) for v in data.viewers],
            [Raider(_user(r, "affiliate"), r.viewers) for r in data.raiders],
        )

    def _index(self, user: TwitchUser) -> None:
        self._by_id[user.id] = user
        self._by_login[user.login.lower()] = user

    def get(self, user_id: str) -> TwitchUser | None:
        """The user with this id."""
        return self._by_id.get(user_id)

    def by_login(self, login: str) -> TwitchUser | None:
        """The user with this login (case-insensitive)."""
        return self._by_login.get(login.lower())

    def ensure(self, login: str, rng: random.Random) -> TwitchUser:
        """The user with this login, created as a plain viewer when unknown (for injected chat)."""
        found = self.by_login(login)
        if found is not None:
            return found
        user = TwitchUser(numeric_id(rng), login.lower(), login)
        self._index(user)
        self.viewers.append(user)
        return user
