-- StreamLog schema, version 1.
-- Applied in one BEGIN IMMEDIATE transaction; PRAGMA user_version records the version.
-- Times are integers: microseconds since the Unix epoch, UTC.

-- 'STLG': lets StreamLog recognise its own files and refuse other applications' databases.
PRAGMA application_id = 1398033479;

-- The topic registry. A topic's events live in its own table, `topic_<id>`, created from
-- topic_table.sql: the user's topic name is data here, never an SQL identifier.
CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER,                                   -- set once, with the end-of-stream event
    next_seq    INTEGER NOT NULL DEFAULT 1 CHECK (next_seq >= 1), -- never decreases: seqs are never reused
    last_time   INTEGER NOT NULL DEFAULT 0 -- time of the newest event: keeps event times non-decreasing
);

-- Object stores that live in another file. A key event refers to one by id (a short reference,
-- not the whole configuration); NULL means this file's own `objects` table.
CREATE TABLE stores (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,                                  -- 'sqlite'
    config  TEXT NOT NULL,                                  -- JSON, e.g. {"path":"/data/objects.db"}
    UNIQUE (kind, config)
);

-- The object store. Small objects keep their bytes in `data`; large ones are split into
-- `object_chunks` (SQLite values are limited to about 1 GB) and `data` is NULL.
CREATE TABLE objects (
    id          INTEGER PRIMARY KEY,
    key         BLOB    NOT NULL UNIQUE CHECK (length(key) = 16),
    size        INTEGER NOT NULL CHECK (size >= 0),
    encoding    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    chunks      INTEGER NOT NULL DEFAULT 0 CHECK (chunks >= 0), -- 0: whole value in `data`
    data        BLOB
);

-- `object_id` is `objects.id`. No foreign key: the library deletes an object's chunks with it,
-- and an ON DELETE CASCADE would cost a temporary b-tree for every object deleted.
CREATE TABLE object_chunks (
    object_id   INTEGER NOT NULL,
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    data        BLOB    NOT NULL,
    PRIMARY KEY (object_id, idx)
) WITHOUT ROWID;

-- Keys of objects deleted by eviction, so that a replay can tell "evicted" from "missing".
-- Rows go when retention trims the last event that referenced the key.
CREATE TABLE evicted_objects (
    key         BLOB    PRIMARY KEY CHECK (length(key) = 16),
    evicted_at  INTEGER NOT NULL
) WITHOUT ROWID;
