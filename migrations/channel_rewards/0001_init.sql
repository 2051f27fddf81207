-- The custom rewards the console created (or adopted) with its own client id, by purpose.
CREATE TABLE rewards (
    purpose TEXT PRIMARY KEY CHECK (purpose IN ('raffle', 'song_request')),
    reward_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    cost INTEGER NOT NULL CHECK (cost >= 1),
    is_open INTEGER NOT NULL DEFAULT 1 CHECK (is_open IN (0, 1)),
    updated_ms INTEGER NOT NULL
) STRICT;
