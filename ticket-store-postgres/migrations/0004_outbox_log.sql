-- The attempt log of each delivery (a JSON array of attempts, newest last), written by
-- the relay with each acknowledgement.
ALTER TABLE {schema}.outbox ADD COLUMN log jsonb NOT NULL DEFAULT '[]'::jsonb;
-- Blanking delivered bodies after retention scans delivered entries by delivery time.
CREATE INDEX outbox_delivered ON {schema}.outbox (delivered_at) WHERE status = 'delivered';
