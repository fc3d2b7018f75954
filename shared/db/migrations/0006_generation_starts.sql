-- One row per generation started (HTTP or a batch line), written before the orchestration starts:
-- what the per-user quotas (generations per hour, images per day) and the paid image model's
-- concurrency cap count (shared.generation.quota). finished_at is set when the generation ends.
CREATE TABLE IF NOT EXISTS generation_starts (
    instance_id text PRIMARY KEY,
    user_id     text NOT NULL,
    images      integer NOT NULL CHECK (images > 0),
    paid        boolean NOT NULL DEFAULT false,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE INDEX IF NOT EXISTS generation_starts_user_started ON generation_starts (user_id, started_at DESC);
CREATE INDEX IF NOT EXISTS generation_starts_paid_running ON generation_starts (started_at)
    WHERE paid AND finished_at IS NULL;
