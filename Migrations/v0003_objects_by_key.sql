-- StreamLog schema, version 3: the object store keyed by the object's key.
--
-- `objects` becomes a WITHOUT ROWID table whose primary key is the 16-byte key. Version 1 kept a
-- rowid table plus a UNIQUE index on the key: two b-trees to insert into when an object is stored
-- and two to delete from when it is evicted, all under the one write lock that producer and
-- consumer share. Now each is one.
--
-- Values larger than 64 KiB leave the row for `object_chunks`, a rowid table: SQLite's incremental
-- blob I/O (sqlite3_blob_open) reads only rowid tables, and large rows would bloat the key b-tree.
-- Rule: `chunks` = 0 means the whole value is in `objects.data` (at most 64 KiB); `chunks` = n > 0
-- means it is in the `object_chunks` rows of its key with idx 0 … n-1, in order.

CREATE TABLE objects_v3 (
    key         BLOB    PRIMARY KEY CHECK (length(key) = 16),
    size        INTEGER NOT NULL CHECK (size >= 0),
    encoding    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    chunks      INTEGER NOT NULL DEFAULT 0 CHECK (chunks >= 0), -- 0: whole value in `data`
    data        BLOB
) WITHOUT ROWID;

-- No foreign key to `objects`: the library deletes an object's chunks with it, and an
-- ON DELETE CASCADE would cost a temporary b-tree for every object deleted.
CREATE TABLE object_chunks_v3 (
    id          INTEGER PRIMARY KEY,                        -- for incremental blob I/O
    key         BLOB    NOT NULL CHECK (length(key) = 16),
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    data        BLOB    NOT NULL,
    UNIQUE (key, idx)
);

INSERT INTO object_chunks_v3 (key, idx, data)
    SELECT o.key, c.idx, c.data FROM object_chunks c JOIN objects o ON o.id = c.object_id
    ORDER BY o.id, c.idx;
INSERT INTO object_chunks_v3 (key, idx, data)
    SELECT key, 0, data FROM objects WHERE chunks = 0 AND length(data) > 65536 ORDER BY id;
INSERT INTO objects_v3 (key, size, encoding, created_at, chunks, data)
    SELECT key, size, encoding, created_at,
           CASE WHEN chunks = 0 AND length(data) > 65536 THEN 1 ELSE chunks END,
           CASE WHEN chunks = 0 AND length(data) > 65536 THEN NULL ELSE data END
    FROM objects;

DROP TABLE object_chunks;
DROP TABLE objects;
ALTER TABLE objects_v3 RENAME TO objects;
ALTER TABLE object_chunks_v3 RENAME TO object_chunks;
