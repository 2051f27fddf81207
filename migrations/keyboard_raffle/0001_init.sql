-- Keyboard raffle: one row per roll (the redemption id is the idempotency key), the per-user leaderboard
-- view, and the console's prize tracking for winning rolls. Derived columns are enforced by CHECKs so that
-- no writer (not even a hand-written INSERT) can store a distance or a winner flag that contradicts the numbers.
CREATE TABLE rolls (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
    user_id TEXT NOT NULL CHECK (length(user_id) > 0),
    display_name TEXT NOT NULL CHECK (length(display_name) > 0),
    roll INTEGER NOT NULL CHECK (roll BETWEEN 1 AND 10000),
    winning_number INTEGER NOT NULL CHECK (winning_number BETWEEN 1 AND 10000),
    distance INTEGER NOT NULL CHECK (distance = abs(roll - winning_number)),
    is_winner INTEGER NOT NULL CHECK (is_winner = (distance = 0)),
    -- A winner is never a record: records are about the closest miss.
    is_new_record INTEGER NOT NULL CHECK (is_new_record IN (0, 1) AND (is_new_record = 0 OR is_winner = 0)),
    rolled_ms INTEGER NOT NULL CHECK (rolled_ms >= 0),
    source TEXT NOT NULL CHECK (source IN ('redemption', 'manual')),
    recorded_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_rolls_user ON rolls (user_id, rolled_ms);
CREATE INDEX idx_rolls_rolled ON rolls (rolled_ms);
-- The global best miss is read on every insert.
CREATE INDEX idx_rolls_miss_distance ON rolls (distance) WHERE is_winner = 0;

-- Per user: latest display name, counts, the closest non-winning roll (NULL when the user only ever won).
-- Ties for the closest miss go to the earliest roll: whoever got there first keeps it.
CREATE VIEW raffle_leaderboard AS
WITH ranked AS (
    SELECT
        user_id, display_name, roll, winning_number, distance, is_winner, rolled_ms,
        row_number() OVER (PARTITION BY user_id ORDER BY rolled_ms DESC, rowid DESC) AS recency,
        row_number() OVER (PARTITION BY user_id ORDER BY is_winner, distance, rolled_ms, rowid) AS closeness
    FROM rolls
)
SELECT
    user_id,
    max(CASE WHEN recency = 1 THEN display_name END) AS display_name,
    count(*) AS total_rolls,
    sum(is_winner) AS total_wins,
    max(CASE WHEN closeness = 1 AND is_winner = 0 THEN distance END) AS closest_distance,
    max(CASE WHEN closeness = 1 AND is_winner = 0 THEN roll END) AS closest_roll,
    max(CASE WHEN closeness = 1 AND is_winner = 0 THEN winning_number END) AS closest_winning_number,
    max(CASE WHEN closeness = 1 AND is_winner = 0 THEN rolled_ms END) AS closest_rolled_ms,
    max(rolled_ms) AS last_rolled_ms
FROM ranked
GROUP BY user_id;

-- Prizes are handled by hand; the console tracks which winners have been sent theirs.
CREATE TABLE raffle_winners (
    roll_id TEXT PRIMARY KEY NOT NULL REFERENCES rolls (id) ON DELETE CASCADE,
    prize_sent INTEGER NOT NULL DEFAULT 0 CHECK (prize_sent IN (0, 1)),
    note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    updated_ms INTEGER NOT NULL
) STRICT;
