-- The ledger of applied migrations (created before the first migration runs).
create schema if not exists collections;
create table if not exists collections.schema_migration (
    version    integer primary key,
    name       text        not null,
    checksum   text        not null,
    applied_at timestamptz not null default now()
);
