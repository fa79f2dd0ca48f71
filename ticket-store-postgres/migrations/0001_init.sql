-- The first schema of the ticket store. `{schema}` is replaced by the quoted schema name
-- at run time; the checksum is taken over this text as written, so one migration has one
-- checksum whatever the schema. Never edit an applied migration: add the next one.
--
-- Every aggregate is kept whole in `doc` (its serde JSON, what the store reads back);
-- beside it, real columns hold everything a query filters, sorts, counts or keeps unique,
-- and the state that changes in place (deliveries, read marks, token use) so that a claim
-- or a mark is one small UPDATE. Times are timestamptz (microseconds).

-- Tickets ------------------------------------------------------------------------------

CREATE TABLE {schema}.tickets (
    id              uuid        NOT NULL,
    tenant          uuid        NOT NULL,
    status          text        NOT NULL,
    status_category text        NOT NULL,
    priority        smallint    NOT NULL,
    category        text        NOT NULL,
    tags            text[]      NOT NULL,
    requester       uuid        NOT NULL,
    assignee        uuid,
    team            uuid,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    assigned_at     timestamptz,
    has_sla         boolean     NOT NULL,
    sla_next_check  timestamptz,
    sla_at_risk     boolean     NOT NULL,
    sla_breached    boolean     NOT NULL,
    version         bigint      NOT NULL,
    -- The words of title and description as `ticket_core::query::search_words` splits
    -- them (computed by the store, so matching agrees with `TicketQuery::matches`
    -- whatever the database's locale), indexed for full-text search.
    search          tsvector    NOT NULL,
    doc             jsonb       NOT NULL,
    CONSTRAINT tickets_pkey PRIMARY KEY (id)
);

-- One index per sort and per filter, leading with the tenant and ending with the sort
-- key, so that a filtered first page is an ordered index walk.
CREATE INDEX tickets_created     ON {schema}.tickets (tenant, created_at DESC, id DESC);
CREATE INDEX tickets_updated     ON {schema}.tickets (tenant, updated_at DESC, id DESC);
CREATE INDEX tickets_priority    ON {schema}.tickets (tenant, priority DESC, created_at DESC, id DESC);
CREATE INDEX tickets_status      ON {schema}.tickets (tenant, status, created_at DESC, id DESC);
CREATE INDEX tickets_status_cat  ON {schema}.tickets (tenant, status_category, created_at DESC, id DESC);
CREATE INDEX tickets_category    ON {schema}.tickets (tenant, category, created_at DESC, id DESC);
CREATE INDEX tickets_requester   ON {schema}.tickets (tenant, requester, created_at DESC, id DESC);
CREATE INDEX tickets_assignee    ON {schema}.tickets (tenant, assignee, created_at DESC, id DESC);
CREATE INDEX tickets_team        ON {schema}.tickets (tenant, team, created_at DESC, id DESC);
-- The commonest queue view, status and priority together ("pending and urgent").
CREATE INDEX tickets_queue       ON {schema}.tickets (tenant, status, priority, created_at DESC, id DESC);
CREATE INDEX tickets_tags        ON {schema}.tickets USING gin (tags);
CREATE INDEX tickets_search      ON {schema}.tickets USING gin (search);
-- Agent loads (routing): open tickets and the latest assignment per assignee, from the
-- index alone; unassigned tickets (most new ones) are not in it.
CREATE INDEX tickets_workload    ON {schema}.tickets (tenant, assignee, status_category)
    INCLUDE (assigned_at) WHERE assignee IS NOT NULL;
-- The SLA sweep: the next instant something is due, only for tickets that have one.
CREATE INDEX tickets_sla_due     ON {schema}.tickets (sla_next_check, id)
    WHERE sla_next_check IS NOT NULL;

CREATE TABLE {schema}.comments (
    id         uuid        NOT NULL,
    tenant     uuid        NOT NULL,
    ticket_id  uuid        NOT NULL,
    internal   boolean     NOT NULL,
    created_at timestamptz NOT NULL,
    doc        jsonb       NOT NULL,
    CONSTRAINT comments_pkey PRIMARY KEY (id),
    CONSTRAINT comments_ticket_fkey FOREIGN KEY (ticket_id)
        REFERENCES {schema}.tickets (id) ON DELETE CASCADE
);
CREATE INDEX comments_by_ticket ON {schema}.comments (ticket_id, created_at, id);

-- The history outlives its ticket: no foreign key.
CREATE TABLE {schema}.events (
    id        uuid        NOT NULL,
    tenant    uuid        NOT NULL,
    ticket_id uuid        NOT NULL,
    at        timestamptz NOT NULL,
    doc       jsonb       NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX events_by_ticket ON {schema}.events (ticket_id, at, id);

-- Accounts -----------------------------------------------------------------------------

CREATE TABLE {schema}.users (
    id          uuid    NOT NULL,
    tenant      uuid    NOT NULL,
    email       text    NOT NULL,
    username    text    NOT NULL,
    role        text    NOT NULL,
    deleted     boolean NOT NULL,
    is_agent    boolean NOT NULL,
    agent_teams uuid[]  NOT NULL,
    -- Lower-cased name, e-mail and username, for the substring search of `list_users`.
    search_keys text[]  NOT NULL,
    version     bigint  NOT NULL,
    doc         jsonb   NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (tenant, email),
    CONSTRAINT users_username_key UNIQUE (tenant, username)
);
CREATE INDEX users_by_tenant ON {schema}.users (tenant, id);
CREATE INDEX users_agents ON {schema}.users (tenant, id) WHERE is_agent AND NOT deleted;

CREATE TABLE {schema}.teams (
    id       uuid   NOT NULL,
    tenant   uuid   NOT NULL,
    -- The name lower-cased: unique per tenant, and the order of `list_teams`.
    name_key text   NOT NULL,
    version  bigint NOT NULL,
    doc      jsonb  NOT NULL,
    CONSTRAINT teams_pkey PRIMARY KEY (id),
    CONSTRAINT teams_name_key UNIQUE (tenant, name_key)
);

CREATE TABLE {schema}.tokens (
    id         uuid        NOT NULL,
    tenant     uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    purpose    text        NOT NULL,
    hash       text        NOT NULL,
    family     uuid,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    doc        jsonb       NOT NULL,
    CONSTRAINT tokens_pkey PRIMARY KEY (id),
    CONSTRAINT tokens_hash_key UNIQUE (hash)
);
CREATE INDEX tokens_by_family ON {schema}.tokens (tenant, family) WHERE family IS NOT NULL;
CREATE INDEX tokens_by_user ON {schema}.tokens (tenant, user_id);

-- Configuration ------------------------------------------------------------------------

CREATE TABLE {schema}.sla_policies (
    id       uuid    NOT NULL,
    tenant   uuid    NOT NULL,
    position integer NOT NULL,
    doc      jsonb   NOT NULL,
    CONSTRAINT sla_policies_pkey PRIMARY KEY (id)
);
CREATE INDEX sla_policies_by_tenant ON {schema}.sla_policies (tenant, position, id);

CREATE TABLE {schema}.calendars (
    id       uuid  NOT NULL,
    tenant   uuid  NOT NULL,
    name_key text  NOT NULL,
    doc      jsonb NOT NULL,
    CONSTRAINT calendars_pkey PRIMARY KEY (id)
);
CREATE INDEX calendars_by_tenant ON {schema}.calendars (tenant, name_key, id);

CREATE TABLE {schema}.rules (
    id       uuid    NOT NULL,
    tenant   uuid    NOT NULL,
    position integer NOT NULL,
    doc      jsonb   NOT NULL,
    CONSTRAINT rules_pkey PRIMARY KEY (id)
);
CREATE INDEX rules_by_tenant ON {schema}.rules (tenant, position, id);

CREATE TABLE {schema}.faqs (
    id     uuid  NOT NULL,
    tenant uuid  NOT NULL,
    doc    jsonb NOT NULL,
    CONSTRAINT faqs_pkey PRIMARY KEY (id)
);
CREATE INDEX faqs_by_tenant ON {schema}.faqs (tenant, id);

-- Notifications and the outbox ---------------------------------------------------------

-- `doc` holds the notification as written; `read_at` is the authoritative read mark.
CREATE TABLE {schema}.notifications (
    id      uuid        NOT NULL,
    tenant  uuid        NOT NULL,
    user_id uuid        NOT NULL,
    read_at timestamptz,
    doc     jsonb       NOT NULL,
    CONSTRAINT notifications_pkey PRIMARY KEY (id)
);
CREATE INDEX notifications_by_user ON {schema}.notifications (tenant, user_id, id DESC);
CREATE INDEX notifications_unread ON {schema}.notifications (tenant, user_id, id DESC)
    WHERE read_at IS NULL;

-- `doc` holds the entry as enqueued; the columns hold its delivery state, authoritative.
CREATE TABLE {schema}.outbox (
    id              uuid        NOT NULL,
    tenant          uuid        NOT NULL,
    status          text        NOT NULL,
    attempts        integer     NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    claim           uuid,
    last_error      text,
    delivered_at    timestamptz,
    doc             jsonb       NOT NULL,
    CONSTRAINT outbox_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_status_check
        CHECK (status IN ('pending', 'in_flight', 'delivered', 'dead'))
);
-- Claims: due pending entries in order, and in-flight entries whose lease lapsed.
CREATE INDEX outbox_claimable ON {schema}.outbox (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX outbox_leased ON {schema}.outbox (lease_until)
    WHERE status = 'in_flight';
CREATE INDEX outbox_by_tenant ON {schema}.outbox (tenant, id DESC);
CREATE INDEX outbox_by_tenant_status ON {schema}.outbox (tenant, status, id DESC);
