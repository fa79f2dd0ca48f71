-- Workforce: one shift schedule per agent (a JSON document), and the shifts agents
-- actually work, at most one open per agent (a partial unique index). Shifts are listed
-- per agent and over a time range; the auto-end job reads the open ones by start.
CREATE TABLE {schema}.shift_schedules (
    tenant   uuid   NOT NULL,
    user_id  uuid   NOT NULL,
    version  bigint NOT NULL,
    doc      jsonb  NOT NULL,
    CONSTRAINT shift_schedules_pkey PRIMARY KEY (tenant, user_id)
);

CREATE TABLE {schema}.shifts (
    id          uuid        NOT NULL,
    tenant      uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    version     bigint      NOT NULL,
    doc         jsonb       NOT NULL,
    CONSTRAINT shifts_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX shifts_one_open ON {schema}.shifts (tenant, user_id) WHERE ended_at IS NULL;
CREATE INDEX shifts_by_user ON {schema}.shifts (tenant, user_id, started_at);
CREATE INDEX shifts_by_start ON {schema}.shifts (tenant, started_at);
CREATE INDEX shifts_open ON {schema}.shifts (started_at) WHERE ended_at IS NULL;
