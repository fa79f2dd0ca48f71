-- Expired one-time and refresh tokens are purged on a timer (`purge_expired_tokens`):
-- find them without scanning every token.
CREATE INDEX ticket_tokens_expiry ON ticket_tokens (expires_at);
