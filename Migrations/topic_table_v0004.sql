-- What v0004_counter_from_events.sql does to each topic table that exists when it runs:
-- `{table}` and `{id}` are replaced as in topic_table.sql, whose trigger this is (as of v0004).
CREATE TRIGGER {table}_keeps_counter AFTER DELETE ON {table}
WHEN NOT EXISTS (SELECT 1 FROM {table} WHERE seq > old.seq)
BEGIN
    UPDATE topics SET next_seq = max(next_seq, old.seq + 1), last_time = max(last_time, old.time)
    WHERE id = {id};
END;
