-- Journaled workflow runs: one row per run (the id is the idempotency key) and one per executed step.
CREATE TABLE workflow_runs (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    params TEXT NOT NULL CHECK (json_valid(params)),
    order_key TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED',
        'COMPENSATION_FAILED', 'OUTCOME_UNKNOWN', 'POST_COMMIT_FAILED')),
    committed INTEGER NOT NULL DEFAULT 0 CHECK (committed IN (0, 1)),
    error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    finished_ms INTEGER
) STRICT;
CREATE INDEX idx_runs_status ON workflow_runs (status);

CREATE TABLE workflow_steps (
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('STARTED', 'RETRYING', 'SUCCEEDED', 'FAILED', 'UNKNOWN',
        'COMPENSATION_PENDING', 'COMPENSATED', 'COMPENSATION_FAILED')),
    ambiguous INTEGER NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1)),
    attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    result TEXT CHECK (result IS NULL OR json_valid(result)),
    error TEXT,
    next_retry_ms INTEGER,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, position),
    CHECK (state != 'SUCCEEDED' OR result IS NOT NULL),
    CHECK (state NOT IN ('RETRYING', 'COMPENSATION_PENDING') OR next_retry_ms IS NOT NULL)
) STRICT;
