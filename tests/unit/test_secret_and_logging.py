"""Secrets never show themselves; logs are scrubbed of them."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from streamdeck_tui.logging_setup import configure_logging
from streamdeck_tui.runtime import Secret, redact


def test_secret_hides_in_repr_str_and_format() -> None:
    s = Secret("super-secret-token-123")
    assert "super-secret" not in repr(s)
    assert "super-secret" not in str(s)
    assert "super-secret" not in f"{s} {s!r} {s:>40}"
    assert "super-secret" not in repr({"token": s})
    assert s.reveal() == "super-secret-token-123"
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_redact_removes_live_secrets_and_credential_shapes() -> None:
    s = Secret("abcdef0123456789")
    text = (
        f"refreshing with {s.reveal()} failed; "
        'body={"access_token": "rawAccess999", "refresh_token":"rawRefresh777"} '
        "Authorization: Bearer rawBearer555 code=rawcode123&state=x"
    )
    out = redact(text)
    for leaked in ("abcdef0123456789", "rawAccess999", "rawRefresh777", "rawBearer555", "rawcode123"):
        assert leaked not in out
    assert "refreshing with" in out


def test_redact_keeps_names_that_only_end_in_token() -> None:
    line = "INFO streamdeck_tui.twitch_token: starting; error_code: 400; token=rawTok42 code: rawCode43"
    out = redact(line + " spotify_access_token=rawTok44")
    assert out.startswith("INFO streamdeck_tui.twitch_token: starting; error_code: 400; ")
    assert not any(raw in out for raw in ("rawTok42", "rawCode43", "rawTok44"))


def test_log_file_never_contains_a_secret_even_in_a_traceback(tmp_path: Path) -> None:
    path = configure_logging(tmp_path / "log", "debug")
    token = Secret("tok_live_8f7e6d5c4b3a")
    log = logging.getLogger("streamdeck_tui.test")
    log.info("token is %s and raw %s", token, token.reveal())
    try:
        raise ValueError(f"provider said no to {token.reveal()}")
    except ValueError:
        log.exception("refresh failed")
    for handler in logging.getLogger("streamdeck_tui").handlers:
        handler.flush()
    content = path.read_text()
    assert "refresh failed" in content and "ValueError" in content
    assert "tok_live_8f7e6d5c4b3a" not in content
