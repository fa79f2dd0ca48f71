-- Pending SLA re-evaluations after a policy or calendar change: one row per tenant,
-- written by the admin request, claimed and walked in batches by the sweep of any
-- instance. `after` is the last ticket already marked; `claim` and `lease_until` say who
-- walks it until when (NULL: nobody). `{schema}` is replaced by the quoted schema name
-- at run time.

CREATE TABLE {schema}.sla_reevaluations (
    tenant       uuid        NOT NULL,
    requested_at timestamptz NOT NULL,
    after        uuid,
    claim        uuid,
    lease_until  timestamptz,
    CONSTRAINT sla_reevaluations_pkey PRIMARY KEY (tenant)
);
