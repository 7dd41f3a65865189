-- Template of a topic's event table. `{table}` is replaced by `topic_<id>`, where <id> is the
-- integer id from `topics`; nothing derived from user input is ever spliced here.
-- A migration that changes this template must also rewrite the existing topic tables.
CREATE TABLE {table} (
    seq       INTEGER PRIMARY KEY,                   -- per topic, strictly increasing, never reused
    type      INTEGER NOT NULL CHECK (type IN (0, 1)), -- 0: object, 1: end of stream
    time      INTEGER NOT NULL,                      -- producer time
    evict     INTEGER NOT NULL DEFAULT 0 CHECK (evict IN (0, 1)),
    encoding  TEXT,                                  -- codec tag of the payload / object
    size      INTEGER NOT NULL DEFAULT 0,            -- payload bytes
    payload   BLOB,                                  -- inline object (no object store)
    key       BLOB,                                  -- object key (16 bytes) in an object store
    store     INTEGER REFERENCES stores (id),        -- NULL: this file's `objects` table
    metadata  TEXT                                   -- JSON object; NULL when empty
);

-- Keeps the topic's counter when its newest event is deleted, whoever deletes it (trim,
-- retention, redrive, or any SQLite client): an append reads the topic's highest seq as the
-- larger of `topics.next_seq - 1` and its newest event's seq, and its newest time likewise, and
-- writes neither (schema v0004). Fires only for a row with no higher seq left: a trim, which
-- deletes in seq order, updates the topic's row once. `{id}` is the topic's integer id.
CREATE TRIGGER {table}_keeps_counter AFTER DELETE ON {table}
WHEN NOT EXISTS (SELECT 1 FROM {table} WHERE seq > old.seq)
BEGIN
    UPDATE topics SET next_seq = max(next_seq, old.seq + 1), last_time = max(last_time, old.time)
    WHERE id = {id};
END;
