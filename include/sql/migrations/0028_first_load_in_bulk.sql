-- The first load of a book (#17 item 1): into empty tables, the rows go in without their
-- secondary indexes and foreign keys, which are then built and checked once over the whole
-- load, in sets: an index built from sorted rows instead of kept up a row at a time, a foreign
-- key checked by one join instead of one lookup (and lock) per row. Both functions run as the
-- tables' owner (the app role may not alter them), inside the load's upsert transaction: a load
-- that fails or dies takes the change back with it, indexes and keys included.

-- A bulk load under way, until end_bulk_load: a transaction that began one and did not end it
-- cannot commit (the deferred trigger below refuses), so no caller can leave the book without its
-- keys and indexes; it rolls back, and they are there again.
create table collections.bulk_load_pending (txid bigint primary key default txid_current());
revoke all on collections.bulk_load_pending from public;
do $$
begin
    execute format('revoke all on collections.bulk_load_pending from %I', collections.app_role());
end
$$;

create function collections.bulk_load_unfinished() returns trigger
language plpgsql security definer set search_path = pg_catalog, collections, pg_temp as $$
begin
    if exists (select 1 from collections.bulk_load_pending p where p.txid = new.txid) then
        raise exception 'a bulk load began (begin_bulk_load) and did not end (end_bulk_load): its indexes and '
            'foreign keys would be lost, so the transaction does not commit';
    end if;
    return null;
end
$$;
create constraint trigger bulk_load_must_end after insert on collections.bulk_load_pending
deferrable initially deferred for each row execute function collections.bulk_load_unfinished();

-- When the book's tables are all empty: lock them, drop their secondary indexes and foreign
-- keys, and keep how to make them again (pg_temp.bulk_load_ddl, this transaction's, the
-- owner's); the names put aside. When any holds a row: nothing, and an empty array (a daily
-- load keeps its indexes: it writes few rows, and readers must not wait on it).
create function collections.begin_bulk_load() returns text[]
language plpgsql security definer set search_path = pg_catalog, collections, pg_temp as $$
declare
    t text;
    tables text[] := array['customer', 'account', 'installment', 'repayment', 'event'];
    oids oid[];
    r record;
    found boolean;
    aside text[] := '{}';
begin
    foreach t in array tables loop
        execute format('select exists (select 1 from collections.%I)', t) into found;
        if found then
            return aside;
        end if;
    end loop;
    lock table collections.customer, collections.account, collections.installment, collections.repayment,
        collections.event in access exclusive mode;
    foreach t in array tables loop  -- again, under the lock: another load may have written first
        execute format('select exists (select 1 from collections.%I)', t) into found;
        if found then
            return aside;
        end if;
    end loop;
    select array_agg(format('collections.%I', x)::regclass::oid) into oids from unnest(tables) as x;
    create temporary table bulk_load_ddl (n serial, restore text not null) on commit drop;
    insert into collections.bulk_load_pending default values;
    for r in
        select c.conname, c.conrelid::regclass as tbl, pg_get_constraintdef(c.oid) as def
        from pg_constraint c
        where c.contype = 'f' and c.conrelid = any(oids)
        order by c.conname
    loop
        insert into pg_temp.bulk_load_ddl (restore)
        values (format('alter table %s add constraint %I %s', r.tbl, r.conname, r.def));
        execute format('alter table %s drop constraint %I', r.tbl, r.conname);
        aside := aside || r.conname::text;
    end loop;
    for r in
        select c.relname, pg_get_indexdef(i.indexrelid) as def
        from pg_index i
        join pg_class c on c.oid = i.indexrelid
        where i.indrelid = any(oids) and not i.indisunique and not i.indisprimary
        order by c.relname
    loop
        insert into pg_temp.bulk_load_ddl (restore) values (r.def);
        execute format('drop index collections.%I', r.relname);
        aside := aside || r.relname::text;
    end loop;
    return aside;
end
$$;

-- After the rows of a bulk load are in: build the indexes put aside, then add the foreign keys
-- again (each checked over every row by one query; a row without its parent fails the load).
-- The number of indexes and keys made.
create function collections.end_bulk_load() returns integer
language plpgsql security definer set search_path = pg_catalog, collections, pg_temp as $$
declare
    r record;
    made integer := 0;
begin
    if to_regclass('pg_temp.bulk_load_ddl') is null then
        return 0;
    end if;
    -- only this function's own table: the session's role could have made one of that name
    if (select c.relowner from pg_class c where c.oid = to_regclass('pg_temp.bulk_load_ddl'))
       <> (select oid from pg_roles where rolname = current_user) then
        raise exception 'end_bulk_load: pg_temp.bulk_load_ddl is not the one begin_bulk_load made';
    end if;
    perform set_config('maintenance_work_mem', '512MB', true);
    for r in select restore from pg_temp.bulk_load_ddl order by (restore like 'alter table%'), n loop
        execute r.restore;
        made := made + 1;
    end loop;
    drop table pg_temp.bulk_load_ddl;
    delete from collections.bulk_load_pending where txid = txid_current();
    return made;
end
$$;

revoke execute on function collections.begin_bulk_load() from public;
revoke execute on function collections.end_bulk_load() from public;
do $$
begin
    execute format('grant execute on function collections.begin_bulk_load() to %I', collections.app_role());
    execute format('grant execute on function collections.end_bulk_load() to %I', collections.app_role());
end
$$;
