-- Workforce: one shift schedule per agent (a JSON document), and the shifts agents
-- actually work, at most one open per agent (a partial unique index). Shifts are listed
-- per agent and over a time range; the auto-end job reads the open ones by start.
CREATE TABLE ticket_shift_schedules (
    tenant   BLOB    NOT NULL,
    user_id  BLOB    NOT NULL,
    version  INTEGER NOT NULL,
    doc      TEXT    NOT NULL,
    PRIMARY KEY (tenant, user_id)
);

CREATE TABLE ticket_shifts (
    id          BLOB    PRIMARY KEY,
    tenant      BLOB    NOT NULL,
    user_id     BLOB    NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    version     INTEGER NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE UNIQUE INDEX ticket_shifts_one_open ON ticket_shifts (tenant, user_id)
    WHERE ended_at IS NULL;
CREATE INDEX ticket_shifts_by_user ON ticket_shifts (tenant, user_id, started_at);
CREATE INDEX ticket_shifts_by_start ON ticket_shifts (tenant, started_at);
CREATE INDEX ticket_shifts_open ON ticket_shifts (started_at) WHERE ended_at IS NULL;

-- Capacity counts an agent's working tickets (status category new or open): the agent
-- loads and the capacity check of a routed save count them by this index.
CREATE INDEX ticket_tickets_working ON ticket_tickets (tenant, assignee, status_category);
