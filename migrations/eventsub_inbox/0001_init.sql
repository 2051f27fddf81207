-- Every EventSub notification is stored here before it is processed (message_id: Twitch's dedupe key).
CREATE TABLE inbox (
    message_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    message_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    subscription TEXT NOT NULL CHECK (json_valid(subscription)),
    event TEXT NOT NULL CHECK (json_valid(event)),
    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms INTEGER NOT NULL,
    last_error TEXT,
    completed_ms INTEGER
) STRICT;
CREATE INDEX idx_inbox_due ON inbox (status, next_attempt_ms);
