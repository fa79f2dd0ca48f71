-- The schema of ticket-store-sqlite, version 1. Never edit this file once released: add
-- a new migration instead (the runner refuses a changed checksum).
--
-- Every aggregate keeps its full JSON document (serde of the ticket-core type) in `doc`;
-- real columns hold what is filtered, sorted, unique, aggregated or changed in place.
-- Ticket documents live in a table of their own, so that the ticket rows that filters,
-- sorts and statistics scan stay narrow.
-- Ids are 16-byte UUID blobs (they sort like the ids themselves); instants are INTEGER
-- microseconds since the Unix epoch. Every table is prefixed `ticket_` so the store can
-- share a database with the host's own tables.

CREATE TABLE ticket_tickets (
    seq             INTEGER PRIMARY KEY,
    id              BLOB    NOT NULL UNIQUE,
    tenant          BLOB    NOT NULL,
    status          TEXT    NOT NULL,
    status_category TEXT    NOT NULL,
    is_open         INTEGER NOT NULL,
    priority        INTEGER NOT NULL,
    category        TEXT    NOT NULL,
    requester       BLOB    NOT NULL,
    assignee        BLOB,
    team            BLOB,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    assigned_at     INTEGER,
    version         INTEGER NOT NULL,
    sla_next_check  INTEGER,
    sla_breached    INTEGER,
    sla_at_risk     INTEGER
);

-- The default order, and a covering index for what lists and statistics read in it: a
-- filtered newest-first page and the statistics summary never touch the table.
CREATE INDEX ticket_tickets_created ON ticket_tickets (tenant, created_at, id, status,
    status_category, is_open, priority, category, team, assignee, sla_breached, sla_at_risk);
CREATE INDEX ticket_tickets_updated ON ticket_tickets (tenant, updated_at, id);
-- One index per filter, each ending in the newest-first order (a filtered page reads it in
-- order, and it serves the statistics breakdown of its column).
CREATE INDEX ticket_tickets_priority ON ticket_tickets (tenant, priority, created_at, id);
CREATE INDEX ticket_tickets_status ON ticket_tickets (tenant, status, created_at, id);
CREATE INDEX ticket_tickets_status_category
    ON ticket_tickets (tenant, status_category, created_at, id);
CREATE INDEX ticket_tickets_category ON ticket_tickets (tenant, category, created_at, id);
CREATE INDEX ticket_tickets_requester ON ticket_tickets (tenant, requester, created_at, id);
CREATE INDEX ticket_tickets_assignee ON ticket_tickets (tenant, assignee, created_at, id);
-- The agent loads that routing reads on every assignment: an agent's open count and latest
-- assignment are a range and two seeks, however many tickets they closed.
CREATE INDEX ticket_tickets_agent_load ON ticket_tickets (tenant, assignee, is_open, assigned_at)
    WHERE assignee IS NOT NULL;
CREATE INDEX ticket_tickets_team ON ticket_tickets (tenant, team, created_at, id);
CREATE INDEX ticket_tickets_sla_due  ON ticket_tickets (sla_next_check, id)
    WHERE sla_next_check IS NOT NULL;

CREATE TABLE ticket_ticket_docs (
    seq INTEGER PRIMARY KEY REFERENCES ticket_tickets (seq) ON DELETE CASCADE,
    doc TEXT    NOT NULL
);

-- One row per tag of a ticket: the all-of tag filter is one EXISTS probe per tag.
CREATE TABLE ticket_ticket_tags (
    ticket INTEGER NOT NULL REFERENCES ticket_tickets (seq) ON DELETE CASCADE,
    tag    TEXT    NOT NULL,
    PRIMARY KEY (ticket, tag)
) WITHOUT ROWID;
CREATE INDEX ticket_ticket_tags_tag ON ticket_ticket_tags (tag, ticket);

-- Full text over title and description; rowid = ticket_tickets.seq, kept in sync by the
-- store in the transaction that writes the ticket. Diacritics are kept so that the
-- tokens agree with `ticket_core::query::search_words` (letters and digits, lower-cased).
CREATE VIRTUAL TABLE ticket_ticket_fts USING fts5 (
    title,
    description,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE ticket_comments (
    id         BLOB    PRIMARY KEY,
    tenant     BLOB    NOT NULL,
    ticket_id  BLOB    NOT NULL REFERENCES ticket_tickets (id) ON DELETE CASCADE,
    internal   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT    NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, created_at, id);

-- History outlives its ticket: no foreign key.
CREATE TABLE ticket_events (
    id        BLOB    PRIMARY KEY,
    tenant    BLOB    NOT NULL,
    ticket_id BLOB    NOT NULL,
    at        INTEGER NOT NULL,
    doc       TEXT    NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at, id);

CREATE TABLE ticket_users (
    id           BLOB    PRIMARY KEY,
    tenant       BLOB    NOT NULL,
    email        TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    email_key    TEXT    NOT NULL,
    username_key TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    is_agent     INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    doc          TEXT    NOT NULL
);
CREATE UNIQUE INDEX ticket_users_email    ON ticket_users (tenant, email);
CREATE UNIQUE INDEX ticket_users_username ON ticket_users (tenant, username);
CREATE INDEX ticket_users_tenant ON ticket_users (tenant, id);

-- Team membership from each agent profile, for the team filters.
CREATE TABLE ticket_user_teams (
    team_id BLOB NOT NULL,
    user_id BLOB NOT NULL REFERENCES ticket_users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX ticket_user_teams_user ON ticket_user_teams (user_id);

CREATE TABLE ticket_teams (
    id       BLOB    PRIMARY KEY,
    tenant   BLOB    NOT NULL,
    name_key TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    doc      TEXT    NOT NULL
);
CREATE UNIQUE INDEX ticket_teams_name ON ticket_teams (tenant, name_key);

CREATE TABLE ticket_sla_policies (
    id       BLOB    PRIMARY KEY,
    tenant   BLOB    NOT NULL,
    position INTEGER NOT NULL,
    doc      TEXT    NOT NULL
);
CREATE INDEX ticket_sla_policies_order ON ticket_sla_policies (tenant, position, id);

CREATE TABLE ticket_calendars (
    id       BLOB PRIMARY KEY,
    tenant   BLOB NOT NULL,
    name_key TEXT NOT NULL,
    doc      TEXT NOT NULL
);
CREATE INDEX ticket_calendars_order ON ticket_calendars (tenant, name_key, id);

CREATE TABLE ticket_rules (
    id       BLOB    PRIMARY KEY,
    tenant   BLOB    NOT NULL,
    position INTEGER NOT NULL,
    doc      TEXT    NOT NULL
);
CREATE INDEX ticket_rules_order ON ticket_rules (tenant, position, id);

CREATE TABLE ticket_faqs (
    id     BLOB PRIMARY KEY,
    tenant BLOB NOT NULL,
    doc    TEXT NOT NULL
);
CREATE INDEX ticket_faqs_order ON ticket_faqs (tenant, id);

CREATE TABLE ticket_tokens (
    id         BLOB    PRIMARY KEY,
    tenant     BLOB    NOT NULL,
    user_id    BLOB    NOT NULL,
    purpose    TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    family     BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE UNIQUE INDEX ticket_tokens_hash ON ticket_tokens (hash);
CREATE INDEX ticket_tokens_family ON ticket_tokens (tenant, family) WHERE family IS NOT NULL;
CREATE INDEX ticket_tokens_user   ON ticket_tokens (tenant, user_id);

-- `read_at` changes in place; the document keeps the rest.
CREATE TABLE ticket_notifications (
    id      BLOB    PRIMARY KEY,
    tenant  BLOB    NOT NULL,
    user_id BLOB    NOT NULL,
    read_at INTEGER,
    doc     TEXT    NOT NULL
);
CREATE INDEX ticket_notifications_user ON ticket_notifications (tenant, user_id, id);

-- The delivery state changes in place; the document keeps the rest.
CREATE TABLE ticket_outbox (
    id              BLOB    PRIMARY KEY,
    tenant          BLOB    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    claim           BLOB,
    last_error      TEXT,
    delivered_at    INTEGER,
    doc             TEXT    NOT NULL
);
CREATE INDEX ticket_outbox_due ON ticket_outbox (next_attempt_at, id)
    WHERE status IN ('pending', 'in_flight');
CREATE INDEX ticket_outbox_tenant ON ticket_outbox (tenant, id);
CREATE INDEX ticket_outbox_tenant_status ON ticket_outbox (tenant, status, id);
