-- The health of webhook endpoints per tenant and URL, kept by the relay: the failure
-- clock (failing_since), the last success and error, and whether and why the endpoint
-- is disabled (410 Gone, or failing longer than the configured time).
CREATE TABLE {schema}.webhook_endpoints (
    id              uuid        NOT NULL,
    tenant          uuid        NOT NULL,
    url             text        NOT NULL,
    disabled_at     timestamptz,
    disabled_reason text,
    failing_since   timestamptz,
    last_success_at timestamptz,
    last_failure_at timestamptz,
    last_error      text,
    CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_endpoints_url_key UNIQUE (tenant, url)
);
CREATE INDEX webhook_endpoints_by_tenant ON {schema}.webhook_endpoints (tenant, id);
