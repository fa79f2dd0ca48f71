-- FAQ deflection statistics count the `faq_suggested`, `faq_confirmed` and `faq_rejected`
-- events of the tickets in scope: the events of a tenant's tickets are found by this
-- index, then filtered by type. (A partial index on `json_extract(doc, '$.type')` kept
-- the last connection from checkpointing its WAL at close, so the filter stays in the
-- query.)
CREATE INDEX ticket_events_by_tenant ON ticket_events (tenant, ticket_id);
