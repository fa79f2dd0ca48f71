-- One batch of bench/ops/run.sh's SQLite seed: tickets @LO@ ..< @HI@ of @N@, each a copy of
-- one of the templates (the tickets created through the API at or after @SINCE@ µs), with
-- an id of its own, a creation time spread over the two years before the templates, its
-- template's history shifted to that time, and its next SLA check spread over the week
-- after @NOW@ µs. Columns, tags, full-text rows and documents are the template's, so every
-- row is one the store wrote. run.sh replaces the @NAMES@ with integers.
BEGIN;
CREATE TEMP TABLE tpl AS
    SELECT row_number() OVER (ORDER BY created_at, id) - 1 AS k, seq, created_at
    FROM ticket_tickets WHERE created_at >= @SINCE@;
CREATE TEMP TABLE g AS
    WITH RECURSIVE n(i) AS (SELECT @LO@ UNION ALL SELECT i + 1 FROM n WHERE i < @HI@ - 1)
    SELECT i, @BASE@ + i AS seq, randomblob(16) AS id,
           @START@ + i * (729 * 86400000000 / @N@) AS created,
           @NOW@ + 60000000 + (abs(random()) % (7 * 86400000)) * 1000 AS next,
           (SELECT seq FROM tpl WHERE k = i % (SELECT count(*) FROM tpl)) AS tseq
    FROM n;
-- The instants of each copy, and the text forms its documents hold: ids as hyphenated
-- hex, instants as RFC 3339 (`@TS:column@` is the text of a column of microseconds).
CREATE TEMP TABLE gi AS
    SELECT g.*, t.created_at AS tcreated,
           g.created + (t.updated_at - t.created_at) AS updated,
           g.created + (t.assigned_at - t.created_at) AS assigned,
           lower(substr(hex(g.id), 1, 8) || '-' || substr(hex(g.id), 9, 4) || '-'
                 || substr(hex(g.id), 13, 4) || '-' || substr(hex(g.id), 17, 4) || '-'
                 || substr(hex(g.id), 21)) AS id_text
    FROM g JOIN ticket_tickets AS t ON t.seq = g.tseq;
CREATE TEMP TABLE gt AS
    SELECT gi.*, @TS:created@ AS created_text, @TS:updated@ AS updated_text,
           @TS:assigned@ AS assigned_text, @TS:next@ AS next_text
    FROM gi;
CREATE TEMP TABLE gev AS
    SELECT randomblob(16) AS id, e.tenant, gt.id AS ticket_id, gt.id_text AS ticket_text,
           gt.created + (e.at - gt.tcreated) AS at, e.doc
    FROM gt JOIN ticket_tickets AS t ON t.seq = gt.tseq
    JOIN ticket_events AS e ON e.ticket_id = t.id;
CREATE TEMP TABLE ge AS
    SELECT gev.*, @TS:at@ AS at_text,
           lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-'
                 || substr(hex(id), 13, 4) || '-' || substr(hex(id), 17, 4) || '-'
                 || substr(hex(id), 21)) AS id_text
    FROM gev;

INSERT INTO ticket_tickets (seq, id, tenant, status, status_category, is_open, priority,
    category, requester, assignee, team, created_at, updated_at, assigned_at, version,
    sla_next_check, sla_breached, sla_at_risk)
SELECT gt.seq, gt.id, t.tenant, t.status, t.status_category, t.is_open, t.priority,
       t.category, t.requester, t.assignee, t.team, gt.created,
       gt.updated, gt.assigned, t.version,
       CASE WHEN t.sla_next_check IS NOT NULL THEN gt.next END,
       CASE WHEN t.sla_next_check IS NOT NULL THEN 0 END,
       CASE WHEN t.sla_next_check IS NOT NULL THEN 0 END
FROM gt JOIN ticket_tickets AS t ON t.seq = gt.tseq;

INSERT INTO ticket_ticket_docs (seq, doc)
SELECT gt.seq, json_set(d.doc,
        '$.id', gt.id_text,
        '$.created_at', gt.created_text,
        '$.updated_at', gt.updated_text,
        '$.assigned_at', gt.assigned_text,
        '$.sla', CASE WHEN json_type(d.doc, '$.sla') = 'object'
                      THEN json_set(json_extract(d.doc, '$.sla'), '$.next_check',
                               gt.next_text, '$.at_risk', json('false'),
                               '$.breached', json('false'), '$.replay', NULL) END)
FROM gt JOIN ticket_tickets AS t ON t.seq = gt.tseq
JOIN ticket_ticket_docs AS d ON d.seq = gt.tseq;

INSERT INTO ticket_ticket_tags (ticket, tag)
SELECT gt.seq, tt.tag FROM gt JOIN ticket_ticket_tags AS tt ON tt.ticket = gt.tseq;

INSERT INTO ticket_ticket_fts (rowid, title, description)
SELECT gt.seq, f.title, f.description FROM gt JOIN ticket_ticket_fts AS f ON f.rowid = gt.tseq;

INSERT INTO ticket_events (id, tenant, ticket_id, at, doc)
SELECT ge.id, ge.tenant, ge.ticket_id, ge.at,
       json_set(ge.doc, '$.id', ge.id_text, '$.ticket_id', ge.ticket_text, '$.at', ge.at_text)
FROM ge;
DROP TABLE tpl;
DROP TABLE g;
DROP TABLE gi;
DROP TABLE gt;
DROP TABLE gev;
DROP TABLE ge;
COMMIT;
