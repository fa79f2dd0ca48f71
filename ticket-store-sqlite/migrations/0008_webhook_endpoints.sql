-- The health of webhook endpoints per tenant and URL, kept by the relay: the failure
-- clock (failing_since), the last success and error, and whether and why the endpoint
-- is disabled (410 Gone, or failing longer than the configured time).
CREATE TABLE ticket_webhook_endpoints (
    id              BLOB    PRIMARY KEY,
    tenant          BLOB    NOT NULL,
    url             TEXT    NOT NULL,
    disabled_at     INTEGER,
    disabled_reason TEXT,
    failing_since   INTEGER,
    last_success_at INTEGER,
    last_failure_at INTEGER,
    last_error      TEXT,
    UNIQUE (tenant, url)
);
CREATE INDEX ticket_webhook_endpoints_tenant ON ticket_webhook_endpoints (tenant, id);
