-- One batch of bench/ops/run.sh's PostgreSQL seed: tickets :lo ..< :hi of :n, each a copy
-- of one of the templates (the tickets created through the API at or after :'since'),
-- with an id of its own (UUIDv7 layout: creation milliseconds first), a creation time
-- spread over the two years before :'start' + 730 days, its template's history shifted to
-- that time, and its next SLA check spread over the week after :'now' (about 100 fall
-- due per minute at 1,000,000 tickets, as the server's sweep meets them). Columns, tags,
-- search words and documents are the template's, so every row is one the store wrote.
-- Run by psql with -v schema, lo, hi, n, since, start, now.
WITH tpl AS (
    SELECT row_number() OVER (ORDER BY created_at, id) - 1 AS k, *
    FROM :"schema".tickets WHERE created_at >= :'since'
), t_count AS (SELECT count(*) AS c FROM tpl),
g AS (
    SELECT i, tpl.id AS tid, x.c AS created, x.next,
           uuid(lpad(to_hex((extract(epoch FROM x.c) * 1000)::bigint), 12, '0') || '7'
                || substr(x.h, 1, 3) || '8' || substr(x.h, 4, 15)) AS id
    FROM generate_series(:lo, :hi - 1) AS i
    CROSS JOIN LATERAL (
        SELECT :'start'::timestamptz + (i * interval '729 days') / :n AS c,
               :'now'::timestamptz + interval '60 seconds'
                   + (hashint8(i) & 1048575) * interval '7 days' / 1048576 AS next,
               md5('ops-ticket-' || i) AS h
    ) AS x
    JOIN tpl ON tpl.k = i % (SELECT c FROM t_count)
),
tickets AS (
    INSERT INTO :"schema".tickets (id, tenant, status, status_category, priority, category,
        tags, requester, assignee, team, created_at, updated_at, assigned_at, has_sla,
        sla_next_check, sla_at_risk, sla_breached, version, search, doc)
    SELECT g.id, t.tenant, t.status, t.status_category, t.priority, t.category, t.tags,
           t.requester, t.assignee, t.team, g.created,
           g.created + (t.updated_at - t.created_at),
           g.created + (t.assigned_at - t.created_at),
           t.has_sla, CASE WHEN t.has_sla THEN g.next END, false, false, t.version, t.search,
           t.doc || jsonb_build_object(
               'id', g.id,
               'created_at', g.created,
               'updated_at', g.created + (t.updated_at - t.created_at),
               'assigned_at', g.created + (t.assigned_at - t.created_at),
               'sla', CASE WHEN jsonb_typeof(t.doc -> 'sla') = 'object'
                          THEN (t.doc -> 'sla') || jsonb_build_object('next_check', g.next,
                               'at_risk', false, 'breached', false, 'replay', null)
                          ELSE 'null'::jsonb END)
    FROM g JOIN tpl AS t ON t.id = g.tid
    RETURNING id
)
INSERT INTO :"schema".events (id, tenant, ticket_id, at, doc)
SELECT e.id, e.tenant, e.ticket_id, e.at,
       e.doc || jsonb_build_object('id', e.id, 'ticket_id', e.ticket_id, 'at', e.at)
FROM (
    SELECT uuid(lpad(to_hex((extract(epoch FROM g.created + (ev.at - t.created_at)) * 1000)::bigint), 12, '0')
                || '7' || substr(md5(g.i || '-' || ev.id), 1, 3) || '8'
                || substr(md5(g.i || '-' || ev.id), 4, 15)) AS id,
           ev.tenant, g.id AS ticket_id, g.created + (ev.at - t.created_at) AS at, ev.doc
    FROM g JOIN tpl AS t ON t.id = g.tid
    JOIN :"schema".events AS ev ON ev.ticket_id = t.id
) AS e;
