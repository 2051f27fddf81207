-- How many occurrences of a queued request's track must start in Spotify before its own does (the streamer may
-- have queued the same track, or it is on air when the request is pushed behind it).
ALTER TABLE requests ADD COLUMN ahead INTEGER NOT NULL DEFAULT 0 CHECK (ahead >= 0);
