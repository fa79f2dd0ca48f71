-- FAQ deflection statistics count the `faq_suggested`, `faq_confirmed` and `faq_rejected`
-- events of the tickets in scope: a partial index holds just those few events, by
-- tenant and ticket, so the count never scans the whole history.
CREATE INDEX events_faq_verdicts ON {schema}.events (tenant, ticket_id)
    WHERE doc->>'type' IN ('faq_suggested', 'faq_confirmed', 'faq_rejected');
