-- The lines of one CSV file of the drop, COPYed whole (load/copy_feed_lines.sql), numbered in the
-- file's order, each split at its commas as it is written (f), and whether a field of it starts or
-- ends with whitespace (spaced); temporary: this session's alone, written without WAL, gone at commit.
create temporary table if not exists feed_lines (
    n      bigint generated always as identity,
    line   text,
    f      text[] generated always as (string_to_array(line, ',')) stored,
    spaced boolean generated always as (collections.feed_spaced(line)) stored
) on commit drop;
