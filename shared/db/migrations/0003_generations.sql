-- One row per finished generation, written by the store_outputs activity. Activities run at least
-- once, so the insert is idempotent on the Durable instance id (all variations go in one row).
CREATE TABLE IF NOT EXISTS generations (
    instance_id  text PRIMARY KEY,
    user_id      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL DEFAULT 'completed',
    category     text NOT NULL,
    stage        text NOT NULL,
    keywords     text NOT NULL,
    description  text NOT NULL DEFAULT '',
    aspect       text NOT NULL,
    title        text NOT NULL DEFAULT '',
    prompt       text NOT NULL DEFAULT '',
    images       jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [{"index", "png", "psd", "thumbnail"}] blob names
    reference_ids bigint[] NOT NULL DEFAULT '{}',
    timings      jsonb NOT NULL DEFAULT '{}'::jsonb,
    warnings     jsonb NOT NULL DEFAULT '[]'::jsonb
);

-- The history page: one user's rows, newest first.
CREATE INDEX IF NOT EXISTS generations_user_created_idx ON generations (user_id, created_at DESC, instance_id);
