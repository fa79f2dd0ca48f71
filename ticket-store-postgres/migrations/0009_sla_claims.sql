-- The SLA sweep's claims, beside the tickets instead of in them. A claim used to move the
-- ticket's `sla_next_check` to the end of its lease: an UPDATE of an indexed column of
-- the widest table, so every claimed ticket got a new row version and an entry in each of
-- its fifteen indexes (the two GIN ones too), most of the time of a sweep at 1,000,000
-- tickets. A claim is now one narrow row: it holds while the ticket still has the due
-- time (`due_at`) and version it was claimed at and `until` has not passed, so a save
-- (a new version) ends it by itself; `save_sla` and the stale marks delete it. Rows
-- whose lease ended are purged by the next claim. No foreign key: a deleted ticket's
-- claim ends with its lease. `{schema}` is replaced by the quoted schema name.

CREATE TABLE {schema}.sla_claims (
    ticket_id uuid        NOT NULL,
    due_at    timestamptz NOT NULL,
    version   bigint      NOT NULL,
    until     timestamptz NOT NULL,
    CONSTRAINT sla_claims_pkey PRIMARY KEY (ticket_id)
);
CREATE INDEX sla_claims_until ON {schema}.sla_claims (until);
