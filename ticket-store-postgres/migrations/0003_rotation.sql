-- Round-robin rotations, state of their own rather than derived from the tickets agents
-- still hold. One row per agent picked in a rotation: `scope` is the team id, or the nil
-- UUID for tickets without a team; `picked_at` is strictly increasing within a rotation.
-- `{schema}` is replaced by the quoted schema name at run time.

CREATE TABLE {schema}.rotation (
    tenant    uuid        NOT NULL,
    scope     uuid        NOT NULL,
    user_id   uuid        NOT NULL,
    picked_at timestamptz NOT NULL,
    CONSTRAINT rotation_pkey PRIMARY KEY (tenant, scope, user_id)
);
