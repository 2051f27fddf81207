"""Logging to a rotating file, with every line scrubbed of secrets."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Final

from .runtime.secret import redact

LOG_FILE: Final = "streamdeck-tui.log"
_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes secrets from the whole line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        """Format `record` and redact the result."""
        return redact(super().format(record))


def configure_logging(log_dir: Path, level: str, *, stream: bool = False) -> Path:
    """Send the package's logs to `log_dir/streamdeck-tui.log` (5 x 2 MiB); return the file path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILE
    root = logging.getLogger("streamdeck_tui")
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=2 * 1024 * 1024, backupCount=5)
    file_handler.setFormatter(RedactingFormatter(_FORMAT))
    root.addHandler(file_handler)
    if stream:
        console = logging.StreamHandler()
        console.setFormatter(RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%X"))
        root.addHandler(console)
    root.propagate = False
    return path
