-- Live/offline state of the channel (one row), and viewer-count samples per stream.
CREATE TABLE stream_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    status TEXT NOT NULL CHECK (status IN ('offline', 'live')),
    stream_id TEXT,
    title TEXT NOT NULL DEFAULT '',
    started_ms INTEGER,
    ended_ms INTEGER,
    viewer_count INTEGER NOT NULL DEFAULT 0 CHECK (viewer_count >= 0),
    last_event_ms INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL,
    CHECK (status = 'offline' OR (stream_id IS NOT NULL AND started_ms IS NOT NULL))
) STRICT;
INSERT INTO stream_state (id, status, updated_ms) VALUES (1, 'offline', 0);

CREATE TABLE viewer_samples (
    stream_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    viewers INTEGER NOT NULL CHECK (viewers >= 0),
    PRIMARY KEY (stream_id, at_ms)
) STRICT;
