-- Version 6: pending SLA re-evaluations after a policy or calendar change: one row per
-- tenant, written by the admin request, claimed and walked in batches by the sweep.
-- `after` is the last ticket already marked; `claim` and `lease_until` (microseconds)
-- say who walks it until when (NULL: nobody).

CREATE TABLE ticket_sla_reevaluations (
    tenant       BLOB    NOT NULL PRIMARY KEY,
    requested_at INTEGER NOT NULL,
    after        BLOB,
    claim        BLOB,
    lease_until  INTEGER
);
