-- Song requests the console owns. A request waits here until it is pushed to Spotify just in time; its
-- redemption stays UNFULFILLED until then, so exactly one of fulfil (pushed) or refund (removed) is owed.
CREATE TABLE requests (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
    track_id TEXT NOT NULL CHECK (length(track_id) BETWEEN 1 AND 64),
    track_name TEXT NOT NULL CHECK (length(track_name) <= 512),
    artists TEXT NOT NULL CHECK (json_valid(artists) AND json_type(artists) = 'array'),
    album TEXT NOT NULL DEFAULT '' CHECK (length(album) <= 512),
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    explicit INTEGER NOT NULL CHECK (explicit IN (0, 1)),
    requester_id TEXT NOT NULL CHECK (length(requester_id) BETWEEN 1 AND 64),
    requester_login TEXT NOT NULL CHECK (length(requester_login) BETWEEN 1 AND 64),
    requester_name TEXT NOT NULL CHECK (length(requester_name) BETWEEN 1 AND 100),
    source TEXT NOT NULL CHECK (source IN ('redemption', 'chat')),
    reward_id TEXT,
    redemption_id TEXT,
    requested_ms INTEGER NOT NULL CHECK (requested_ms >= 0),
    -- Waiting order: lower first. Moves swap keys; "play next" takes one below the lowest.
    sort_key REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'pushing', 'queued', 'playing', 'played', 'removed', 'dropped')),
    state_ms INTEGER NOT NULL,
    pushed_ms INTEGER,
    -- What Spotify was playing when the push began: once that changes, an unseen push has played or gone.
    pushed_current TEXT,
    seen_ms INTEGER,
    started_ms INTEGER,
    finished_ms INTEGER,
    removed_reason TEXT NOT NULL DEFAULT '' CHECK (length(removed_reason) <= 200),
    -- What the redemption is owed, and whether Twitch has been told.
    settle TEXT NOT NULL DEFAULT 'none' CHECK (settle IN ('none', 'fulfil', 'refund')),
    settled INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1)),
    settle_attempts INTEGER NOT NULL DEFAULT 0,
    settle_error TEXT,
    CHECK ((source = 'redemption') = (redemption_id IS NOT NULL AND reward_id IS NOT NULL)),
    CHECK (settle = 'none' OR source = 'redemption'),
    CHECK (settle <> 'refund' OR state = 'removed'),
    CHECK (settle <> 'fulfil' OR state IN ('queued', 'playing', 'played', 'dropped'))
) STRICT;
CREATE INDEX idx_requests_state ON requests (state, sort_key);
CREATE INDEX idx_requests_requester ON requests (requester_id, state);
CREATE INDEX idx_requests_track ON requests (track_id, state);
CREATE INDEX idx_requests_finished ON requests (finished_ms) WHERE state = 'played';
CREATE INDEX idx_requests_unsettled ON requests (state_ms) WHERE settle <> 'none' AND settled = 0;

CREATE TABLE blocked_viewers (
    login TEXT PRIMARY KEY NOT NULL CHECK (length(login) BETWEEN 1 AND 64),
    user_id TEXT,
    added_ms INTEGER NOT NULL
) STRICT;

-- The last Spotify state we saw (one row), whether requests are open, and why the queue is paused.
CREATE TABLE player (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    requests_open INTEGER NOT NULL DEFAULT 1 CHECK (requests_open IN (0, 1)),
    paused_reason TEXT,
    synced_ms INTEGER,
    sync_failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    is_playing INTEGER NOT NULL DEFAULT 0 CHECK (is_playing IN (0, 1)),
    track TEXT CHECK (track IS NULL OR json_valid(track)),
    progress_ms INTEGER NOT NULL DEFAULT 0,
    upcoming TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(upcoming))
) STRICT;
INSERT INTO player (id) VALUES (1);
