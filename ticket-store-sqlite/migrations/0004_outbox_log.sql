-- The attempt log of each delivery (a JSON array of attempts, newest last), written by
-- the relay with each acknowledgement.
ALTER TABLE ticket_outbox ADD COLUMN log TEXT NOT NULL DEFAULT '[]';
-- Blanking delivered bodies after retention scans delivered entries by delivery time.
CREATE INDEX ticket_outbox_delivered ON ticket_outbox (delivered_at)
    WHERE status = 'delivered';
