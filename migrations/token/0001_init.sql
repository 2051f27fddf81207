-- Metadata of one provider account (the token components share this schema; each has its own file).
-- The tokens themselves live only in the OS keyring.
CREATE TABLE token_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    status TEXT NOT NULL CHECK (status IN ('not_configured', 'authorized', 'reauthorization_required')),
    expires_ms INTEGER,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    user_id TEXT,
    login TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    last_refresh_ms INTEGER,
    last_error TEXT,
    is_stream_live INTEGER NOT NULL DEFAULT 0 CHECK (is_stream_live IN (0, 1)),
    updated_ms INTEGER NOT NULL,
    CHECK (status != 'authorized' OR expires_ms IS NOT NULL)
) STRICT;
INSERT INTO token_meta (id, status, updated_ms) VALUES (1, 'not_configured', 0);
