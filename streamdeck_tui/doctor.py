"""`streamdeck-tui doctor`: what the console would use, and whether each part of it is healthy."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .config import LoadedSettings, ensure_writable_dir
from .runtime.migrations import RUNTIME_SCOPE, discover
from .runtime.resources import migrations_root
from .runtime.result import Err


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


def keyring_check() -> Check:
    """Which keyring backend is in use, and whether it can be used at all."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:
        return Check("keyring", False, f"cannot load a backend ({type(exc).__name__})")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return Check(
            "keyring",
            False,
            f"{name}: no usable keyring. Install and unlock one (e.g. gnome-keyring on Linux).",
        )
    return Check("keyring", True, name)


def code_versions() -> dict[str, int]:
    """The newest migration each scope ships."""
    root = migrations_root()
    versions: dict[str, int] = {}
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            found = discover(folder, folder.name)
            if not isinstance(found, Err) and found.value:
                versions[folder.name] = found.value[-1].version
    return versions


def database_check(path: Path, known: dict[str, int]) -> Check:
    """Schema versions and `PRAGMA integrity_check` of one component file, opened read-only."""
    component = path.stem
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return Check(f"db {component}", False, f"{path}: cannot open ({exc})")
    try:
        verdict = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall())
        try:
            rows = conn.execute("SELECT scope, MAX(version) FROM schema_migrations GROUP BY scope").fetchall()
        except sqlite3.Error:
            rows = []
    except sqlite3.Error as exc:
        return Check(f"db {component}", False, f"{path}: {exc}")
    finally:
        conn.close()
    versions = {str(scope): int(v) for scope, v in rows}
    newer = [s for s, v in versions.items() if v > known.get(s, 0)]
    ok = verdict == "ok" and not newer and RUNTIME_SCOPE in versions
    schemas = [f"{scope} v{v}" for scope, v in sorted(versions.items()) if scope != RUNTIME_SCOPE]
    parts = [
        f"{path}",
        f"schema {', '.join(schemas) or 'none'}",
        f"runtime v{versions.get(RUNTIME_SCOPE, 0)}",
        f"integrity {verdict}",
    ]
    if newer:
        parts.append("newer than this streamdeck-tui: " + ", ".join(newer))
    if RUNTIME_SCOPE not in versions:
        parts.append("not a streamdeck-tui database")
    return Check(f"db {component}", ok, ", ".join(parts))


def run_checks(loaded: LoadedSettings, log_file: Path | None) -> list[Check]:
    """Every check the doctor makes, in report order."""
    s = loaded.settings
    checks = [
        Check("config", True, str(loaded.path) if loaded.path else "none found, using defaults"),
    ]
    writable = ensure_writable_dir(s.data_dir)
    checks.append(
        Check("data dir", not isinstance(writable, Err), str(s.data_dir))
        if not isinstance(writable, Err)
        else Check("data dir", False, writable.error.message())
    )
    checks.append(Check("log file", True, str(log_file) if log_file else "not configured"))
    checks.append(keyring_check())
    known = code_versions()
    dbs = sorted(s.data_dir.glob("*.sqlite3")) if s.data_dir.is_dir() else []
    if not dbs:
        checks.append(Check("databases", True, "none yet (created on first start)"))
    checks.extend(database_check(p, known) for p in dbs)
    return checks


def render(checks: list[Check]) -> str:
    """A plain-text report, one check per line."""
    width = max(len(c.name) for c in checks)
    return "\n".join(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}" for c in checks)
