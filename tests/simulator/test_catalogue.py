"""The shipped demo data: enough invented tracks in Spotify shapes, regenerated identically by the script."""

from __future__ import annotations

from pathlib import Path

from streamdeck_tui.simulator.catalogue import Catalogue, default_catalogue_path
from streamdeck_tui.simulator.catalogue_gen import write_assets
from streamdeck_tui.simulator.ids import is_base62_id
from streamdeck_tui.simulator.twitch_users import UserDirectory, default_viewers_path


def test_catalogue_has_enough_varied_tracks() -> None:
    catalogue = Catalogue.load()
    tracks = catalogue.all()
    assert len(tracks) >= 200
    assert all(is_base62_id(t.id) and is_base62_id(t.album.id) for t in tracks)
    assert len({t.id for t in tracks}) == len(tracks)
    assert any(t.explicit for t in tracks)
    assert any(t.duration_ms > 600_000 for t in tracks)
    assert any(not t.is_playable for t in tracks)
    assert catalogue.search(f"artist:{tracks[0].artists[0].name.split()[-1]}")


def test_viewers_are_loaded() -> None:
    users = UserDirectory.load()
    assert len(users.viewers) >= 100
    assert users.broadcaster.login == "simstreamer"
    assert users.by_login(users.viewers[0].login.upper()) == users.viewers[0]
    assert users.raiders


def test_generator_reproduces_the_shipped_files(tmp_path: Path) -> None:
    write_assets(tmp_path)
    assert (tmp_path / "tracks.json").read_bytes() == default_catalogue_path().read_bytes()
    assert (tmp_path / "viewers.json").read_bytes() == default_viewers_path().read_bytes()
