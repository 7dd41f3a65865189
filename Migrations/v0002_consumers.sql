-- StreamLog schema, version 2: durable consumers, competing-consumer groups, producer dedup.

-- Fan-out: one durable cursor per (consumer, topic).
CREATE TABLE cursors (
    consumer    TEXT    NOT NULL,
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL DEFAULT 0,   -- seq of the last acknowledged event (0: none yet)
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (consumer, topic_id)
) WITHOUT ROWID;

-- Competing consumers: the members of a group share one position on a topic.
CREATE TABLE groups (
    name            TEXT    NOT NULL,
    topic_id        INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL DEFAULT 0, -- every event up to here is acked or dead-lettered
    frontier        INTEGER NOT NULL DEFAULT 0, -- highest seq ever claimed by a member
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (name, topic_id)
) WITHOUT ROWID;

-- Events of a group that are claimed, or were released (nack, expired lease) and wait to be
-- claimed again. An acked event has no row.
CREATE TABLE leases (
    group_name  TEXT    NOT NULL,
    topic_id    INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    member      TEXT,                         -- holder of the current lease
    receipt     INTEGER NOT NULL,             -- fences acks: changes on every delivery
    visible_at  INTEGER NOT NULL,             -- lease expiry, or when a nacked event returns
    attempts    INTEGER NOT NULL DEFAULT 0,   -- deliveries so far
    last_error  TEXT,
    PRIMARY KEY (group_name, topic_id, seq),
    FOREIGN KEY (group_name, topic_id) REFERENCES groups (name, topic_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX leases_by_visibility ON leases (group_name, topic_id, visible_at);

-- Idempotent producers: dedup keys seen per topic, kept for a window.
CREATE TABLE dedup_keys (
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (topic_id, key)
) WITHOUT ROWID;
CREATE INDEX dedup_keys_by_age ON dedup_keys (topic_id, created_at);
