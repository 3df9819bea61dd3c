-- Loads whose rows sit in staging, so that the rows a dead load left behind are found
-- by load_id (the staging tables' index) instead of by scanning every staging row:
-- after a first load of a large book the staging tables hold millions of dead rows
-- until autovacuum passes, and the scan cost the next day's load 13.6 s at 300,000
-- accounts (bench/book.py). Rows staged before this migration by a load that died are
-- not listed; `truncate` the staging tables once, between runs, if any are left.
create table collections.staging_load (
    load_id    uuid primary key,
    started_at timestamptz not null default now()
);
