-- Failed and cancelled generations are recorded too (status 'failed' / 'cancelled'), with the Korean
-- error the artist saw: {"code", "message"}; NULL for completed ones.
ALTER TABLE generations ADD COLUMN IF NOT EXISTS error jsonb;
