-- StreamLog schema, version 2: durable consumers, competing-consumer groups, consumer-driven
-- retention and producer dedup. Consumer and group names are data here, never identifiers.

-- Fan-out: one durable cursor per (consumer, topic). A row exists once the consumer is
-- registered (first read, acknowledge or seek); registered consumers hold back consumer-driven
-- eviction and retention until they have passed an event.
CREATE TABLE cursors (
    consumer    TEXT    NOT NULL,
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0), -- seq of the last acknowledged event (0: none)
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (consumer, topic_id)
) WITHOUT ROWID;
-- The lowest position on a topic, for eviction and retention.
CREATE INDEX cursors_by_topic ON cursors (topic_id, position);

-- Competing consumers: the members of a group share the work of one topic. The group's
-- position is derived, not stored: (lowest seq with a `leases` row, else frontier + 1) - 1.
CREATE TABLE consumer_groups (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    topic_id        INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    frontier        INTEGER NOT NULL DEFAULT 0 CHECK (frontier >= 0), -- highest seq ever claimed
    max_deliveries  INTEGER CHECK (max_deliveries IS NULL OR max_deliveries >= 1), -- NULL: never dead-letter
    next_due        INTEGER,                   -- no lease row becomes due before this (NULL: none will)
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (name, topic_id)
);
CREATE INDEX consumer_groups_by_topic ON consumer_groups (topic_id);

-- Object events of a group that are claimed and not yet acked, or released (nack, expired lease)
-- and waiting to be claimed again. Acked and dead-lettered events have no row.
-- No index on visible_at: it would add a page write to every claim and ack. Claims skip the
-- search for due leases until `consumer_groups.next_due` passes, then walk the group's rows in
-- seq order (few: those in flight), stopping once they have what they need.
CREATE TABLE leases (
    group_id    INTEGER NOT NULL REFERENCES consumer_groups (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    member      TEXT,                          -- holder of the current lease; NULL once released
    receipt     INTEGER NOT NULL,              -- fences acks: new on every delivery, 0 when released
    visible_at  INTEGER NOT NULL,              -- lease expiry, or when a nacked event returns
    attempts    INTEGER NOT NULL DEFAULT 0,    -- deliveries so far
    last_error  TEXT,                          -- from the last nack
    PRIMARY KEY (group_id, seq)
) WITHOUT ROWID;

-- Consumer-driven retention of a topic: 0 keeps everything, 1 evicts the objects of events every
-- registered consumer and group has passed, 2 deletes those events (and their objects).
CREATE TABLE consumer_retention (
    topic_id         INTEGER PRIMARY KEY REFERENCES topics (id) ON DELETE CASCADE,
    policy           INTEGER NOT NULL DEFAULT 0 CHECK (policy IN (0, 1, 2)),
    applied_through  INTEGER NOT NULL DEFAULT 0 -- the policy has been applied to events up to here
);

-- Idempotent producers: dedup keys seen per topic, each kept until `expires_at`.
CREATE TABLE dedup_keys (
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    seq         INTEGER NOT NULL,              -- the event appended with this key
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (topic_id, key)
) WITHOUT ROWID;
CREATE INDEX dedup_keys_by_expiry ON dedup_keys (topic_id, expires_at);
