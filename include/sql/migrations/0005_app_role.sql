-- Least privilege: the DAGs connect as a login role that is a member of
-- collections_app, which may read and write the collections tables and nothing
-- else (no DDL, no other schema, not the migration ledger). Migrations run as the
-- schema owner. Roles are cluster-wide, so the role is created only once: by whichever
-- database's migration gets there first. Two databases migrated at the same moment on a
-- server without the role both find it missing; the second's create waits for the first's
-- commit and then finds the name taken, which is the outcome it wanted.
-- amends: 83c3e587b009c56bca7df6c09b70ddaedbc8df28a394d0f8fd76fb9d42f3555b
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'collections_app') then
        begin
            create role collections_app nologin;
        exception when duplicate_object or unique_violation then
            null;  -- created by another database's migration since the check
        end;
    end if;
end
$$;

grant usage on schema collections to collections_app;
grant select, insert, update, delete on all tables in schema collections to collections_app;
revoke insert, update, delete on collections.schema_migration from collections_app;
grant usage on all sequences in schema collections to collections_app;
grant execute on all functions in schema collections to collections_app;
alter default privileges in schema collections grant select, insert, update, delete on tables to collections_app;

-- Fresh statistics after COPY need the table owner on PostgreSQL 15: the app
-- role asks for them through this function, which runs as the owner.
create function collections.analyze_staging() returns void
language plpgsql security definer set search_path = pg_catalog, collections as $$
begin
    analyze collections.stg_customers, collections.stg_accounts, collections.stg_installments,
            collections.stg_repayments, collections.stg_events;
end
$$;
revoke execute on function collections.analyze_staging() from public;
grant execute on function collections.analyze_staging() to collections_app;
