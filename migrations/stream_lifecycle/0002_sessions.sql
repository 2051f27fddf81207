-- One row per stream session (online to offline), for the Stream screen and `streamdeck-tui streams`.
CREATE TABLE stream_sessions (
    stream_id TEXT PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    peak INTEGER NOT NULL DEFAULT 0 CHECK (peak >= 0),
    title TEXT NOT NULL DEFAULT '',
    CHECK (ended_ms IS NULL OR ended_ms >= started_ms)
) STRICT;

INSERT INTO stream_sessions (stream_id, started_ms, ended_ms, peak)
SELECT stream_id, started_ms, ended_ms, viewer_count FROM stream_state WHERE stream_id IS NOT NULL;
