-- Fresh statistics of the book after a load that changed a large share of it (the first
-- load of a book, a portfolio taken on): without them the planner reads a never-analysed
-- table as holding a few hundred rows per account and plans the next day's arrears on
-- guesses. Autovacuum gets there too, but not before the same run's evaluation. Runs as the
-- owner (ANALYZE needs it on PostgreSQL 15); analyses each table whose estimated size is
-- unknown or under ten times the rows the load wrote.
create function collections.analyze_after_load(rows_written bigint) returns text[]
language plpgsql security definer set search_path = pg_catalog, collections as $$
declare
    t text;
    done text[] := '{}';
    estimate real;
begin
    foreach t in array array['customer', 'account', 'installment', 'repayment', 'event'] loop
        select c.reltuples into estimate from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'collections' and c.relname = t;
        if estimate < 0 or estimate < 10 * rows_written then
            execute format('analyze collections.%I', t);
            done := done || t;
        end if;
    end loop;
    return done;
end
$$;
revoke execute on function collections.analyze_after_load(bigint) from public;
grant execute on function collections.analyze_after_load(bigint) to collections_app;
