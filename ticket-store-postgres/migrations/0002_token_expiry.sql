-- Expired one-time and refresh tokens are purged on a timer (`purge_expired_tokens`):
-- find them without scanning every token.
CREATE INDEX tokens_by_expiry ON {schema}.tokens (expires_at);
