-- The assignee and team indexes hold only the tickets that have one. Most tickets are
-- raised without either, so every create wrote two index entries that no query could
-- use: every query on these columns asks for one user or one team (`assignee = $n`,
-- `team = $n`, and the agent loads through `tickets_workload`), which implies the column
-- is not null; the queue's `assignee IS NULL` walks the priority or status-category
-- index. `{schema}` is replaced by the quoted schema name.
DROP INDEX {schema}.tickets_assignee;
CREATE INDEX tickets_assignee ON {schema}.tickets (tenant, assignee, created_at DESC, id DESC)
    WHERE assignee IS NOT NULL;
DROP INDEX {schema}.tickets_team;
CREATE INDEX tickets_team ON {schema}.tickets (tenant, team, created_at DESC, id DESC)
    WHERE team IS NOT NULL;
