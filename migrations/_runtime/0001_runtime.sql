-- Tables every component database carries: persisted timers, the outbox of domain events it publishes,
-- the dispatcher's per-subscriber delivery state, and receipts of events it has consumed.
-- Times are integer epoch milliseconds (UTC) everywhere in this project.

CREATE TABLE timers (
    key TEXT PRIMARY KEY,
    due_ms INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT,
    created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_timers_due ON timers (due_ms);

CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    v INTEGER NOT NULL DEFAULT 1,
    occurred_ms INTEGER NOT NULL,
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    created_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox_deliveries (
    event_id TEXT NOT NULL REFERENCES outbox (event_id) ON DELETE CASCADE,
    subscriber TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (event_id, subscriber)
) STRICT;

CREATE TABLE event_receipts (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;
