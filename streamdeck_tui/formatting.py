"""Plain-text formatting shared by the console, headless mode and the CLI reports (no Textual here)."""

from __future__ import annotations

from datetime import UTC, datetime

from .components.stream_lifecycle import SessionSummary


def format_uptime(seconds: int) -> str:
    """H:MM:SS."""
    seconds = max(0, seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def local_time(ms: int) -> str:
    """A timestamp in the streamer's local time."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def session_cells(s: SessionSummary, now_ms: int) -> tuple[str, str, str, str, str]:
    """Start, end, duration, peak, average of one stream session."""
    end = s.ended_ms if s.ended_ms is not None else now_ms
    return (
        local_time(s.started_ms),
        local_time(s.ended_ms) if s.ended_ms is not None else "live",
        format_uptime((end - s.started_ms) // 1000),
        f"{s.peak:,}",
        f"{s.average:,.0f}" if s.average is not None else "-",
    )
