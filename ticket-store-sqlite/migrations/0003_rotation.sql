-- Version 2: round-robin rotations, state of their own rather than derived from the
-- tickets agents still hold. One row per agent picked in a rotation: `scope` is the team
-- id, or the nil UUID for tickets without a team; `picked_at` (microseconds) is strictly
-- increasing within a rotation.

CREATE TABLE ticket_rotation (
    tenant    BLOB    NOT NULL,
    scope     BLOB    NOT NULL,
    user_id   BLOB    NOT NULL,
    picked_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, scope, user_id)
);
