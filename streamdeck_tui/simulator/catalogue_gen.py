"""Writes the simulator's demo data (invented tracks and viewers) deterministically from a fixed seed.

Run `python -m streamdeck_tui.simulator.catalogue_gen [assets/sim]` to regenerate `tracks.json` and
`viewers.json`. Every name is made up from the word lists below.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Final

from .ids import base62_id, numeric_id

SEED: Final = 20260101
TRACK_TARGET: Final = 240

_ADJECTIVES: Final = (
    "Amber", "Velvet", "Hollow", "Neon", "Quiet", "Paper", "Silver", "Static", "Lunar", "Wandering",
    "Glass", "Sleepy", "Golden", "Northern", "Cobalt", "Faded", "Tidal", "Copper", "Distant", "Hidden",
    "Gentle", "Restless", "Frozen", "Humble", "Dusty", "Saffron", "Marble", "Woolen", "Brittle", "Pale",
)  # fmt: skip
_NOUNS: Final = (
    "Lanterns", "Harbor", "Orchard", "Satellites", "Foxes", "Circuits", "Meadows", "Signals", "Comets",
    "Pines", "Echoes", "Lighthouse", "Sparrows", "Engines", "Valleys", "Mirrors", "Kites", "Owls", "Embers",
    "Cassettes", "Gardens", "Fireflies", "Islands", "Postcards", "Teacups", "Radiators", "Ferries",
    "Glaciers", "Balconies", "Tramlines",
)  # fmt: skip
_VERBS: Final = (
    "Dancing", "Falling", "Waiting", "Drifting", "Running", "Humming", "Sleeping", "Burning", "Floating",
    "Counting", "Chasing", "Folding",
)  # fmt: skip
_FIRST: Final = (
    "Mira", "Tovin", "Elsa", "Jory", "Noor", "Kasimir", "Ilse", "Dario", "Wren", "Oona", "Teodor", "Lusia",
    "Anouk", "Birk", "Cosima", "Emrys", "Fenna", "Gideon", "Hanne", "Ivo",
)  # fmt: skip
_SYLLABLES: Final = ("vek", "mar", "sol", "ren", "quin", "dal", "ost", "bri", "tev", "lun", "kor", "wyn")
_ANIMALS: Final = (
    "otter", "heron", "badger", "lynx", "gecko", "walrus", "puffin", "marmot", "newt", "ibis", "yak",
    "quokka", "tapir", "stoat", "koi", "moth",
)  # fmt: skip
_COLORS: Final = ("#1E90FF", "#FF4500", "#2E8B57", "#DAA520", "#9ACD32", "#FF69B4", "#8A2BE2", "#00FF7F")


def _surname(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _artist_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(_FIRST)} {_surname(rng)}"
    return f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"


def _title(rng: random.Random) -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    if shape == 1:
        return f"{rng.choice(_VERBS)} in the {rng.choice(_NOUNS)}"
    if shape == 2:
        return f"{rng.choice(_NOUNS)} of {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    return f"{rng.choice(_VERBS)} {rng.choice(_ADJECTIVES)}"


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1998, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def generate_tracks(rng: random.Random) -> list[dict[str, object]]:
    """At least TRACK_TARGET invented tracks grouped in albums; a few are long, explicit or unplayable."""
    tracks: list[dict[str, object]] = []
    seen_artists: set[str] = set()
    while len(tracks) < TRACK_TARGET:
        name = _artist_name(rng)
        if name in seen_artists:
            continue
        seen_artists.add(name)
        artist = {"id": base62_id(rng), "name": name}
        for _ in range(rng.randint(1, 2)):
            count = rng.randint(3, 6)
            album = {
                "id": base62_id(rng),
                "name": _title(rng),
                "images": [],
                "release_date": _date(rng),
                "total_tracks": count,
            }
            for number in range(1, count + 1):
                long_track = rng.random() < 0.04
                duration = rng.randint(610_000, 1_260_000) if long_track else rng.randint(125_000, 330_000)
                tracks.append(
                    {
                        "id": base62_id(rng),
                        "name": _title(rng),
                        "artists": [artist],
                        "album": album,
                        "duration_ms": duration,
                        "explicit": rng.random() < 0.15,
                        "track_number": number,
                        "is_playable": rng.random() > 0.02,
                    }
                )
    return tracks


def generate_viewers(rng: random.Random) -> dict[str, object]:
    """The broadcaster, about 150 invented viewers with chat badges, and a few channels that may raid."""
    logins: set[str] = set()
    viewers: list[dict[str, object]] = []
    while len(viewers) < 150:
        login = f"{rng.choice(_ADJECTIVES).lower()}_{rng.choice(_ANIMALS)}{rng.randint(1, 99)}"
        if login in logins:
            continue
        logins.add(login)
        roll = rng.random()
        badges = ["moderator"] if roll < 0.04 else ["vip"] if roll < 0.1 else []
        if rng.random() < 0.3:
            badges.append("subscriber")
        display = login if rng.random() < 0.5 else login.replace("_", "").capitalize()
        viewers.append(
            {
                "id": numeric_id(rng),
                "login": login,
                "display_name": display,
                "color": rng.choice(_COLORS),
                "badges": badges,
            }
        )
    raiders = [
        {
            "id": numeric_id(rng),
            "login": f"{rng.choice(_ANIMALS)}_{rng.choice(_NOUNS).lower()}_tv",
            "display_name": f"{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)}TV",
            "viewers": rng.randint(5, 400),
        }
        for _ in range(6)
    ]
    broadcaster = {
        "id": "90210001",
        "login": "simstreamer",
        "display_name": "SimStreamer",
        "color": "#9147FF",
        "badges": ["broadcaster"],
    }
    return {"broadcaster": broadcaster, "viewers": viewers, "raiders": raiders}


def write_assets(folder: Path) -> None:
    """Write tracks.json and viewers.json into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    tracks = generate_tracks(rng)
    viewers = generate_viewers(rng)
    (folder / "tracks.json").write_text(json.dumps({"tracks": tracks}, indent=1) + "\n", encoding="utf-8")
    (folder / "viewers.json").write_text(json.dumps(viewers, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_assets(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/sim"))
