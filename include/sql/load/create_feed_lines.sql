-- The lines of one CSV file of the drop, COPYed whole (load/copy_feed_lines.sql), numbered in the
-- file's order; split at the commas as they are staged (collections.stage_feed_lines). Temporary:
-- this session's alone, written without WAL, gone at commit.
create temporary table if not exists feed_lines (
    n    bigint generated always as identity,
    line text
) on commit drop;
