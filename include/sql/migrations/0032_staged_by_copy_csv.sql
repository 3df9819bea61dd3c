-- A CSV file of the drop whose lines COPY's own CSV reader reads as feeds/csv_source.py does (#17
-- item 1: no field with whitespace at its edges, none longer than 4096 characters, every row as wide
-- as the header; store/loading.py checks the bytes as they stream and falls back to the lines' split,
-- load/stage_feed_lines.sql, when one is not) is COPYed straight into its staging table: no table of
-- lines written first, no split in SQL. The staging table is made again for it (this function), with
-- the file's columns in the header's order for COPY, its rows numbered as the lines of the file are
-- (the header is line 1) and each row's raw text the line itself, its fields joined by commas again
-- (a file without quotes: exactly the line). Identifiers are quoted by format(); nothing else is
-- dynamic. header: the staging columns of the file's columns, in the file's order.
create function collections.stage_csv_table(staging text, header text[]) returns void
language plpgsql as $fn$
declare
    known text[];
    others text;
    raw text;
begin
    if staging not in ('stg_customers', 'stg_accounts', 'stg_installments', 'stg_repayments', 'stg_events') then
        raise exception 'stage_csv_table: % is not a staging table', staging;
    end if;
    select array_agg(a.attname::text order by a.attnum) into known
    from pg_attribute a
    where a.attrelid = format('pg_temp.%I', staging)::regclass and a.attnum > 0 and not a.attisdropped
      and a.attname not in ('position', 'raw', 'parse_error');
    if cardinality(header) = 0 or not header <@ known
       or (select count(distinct h) from unnest(header) h) <> cardinality(header) then
        raise exception 'stage_csv_table: % is not a list of columns of %', header, staging;
    end if;
    select string_agg(format(', %I text', k), '' order by i) into others
    from unnest(known) with ordinality u (k, i) where k <> all(header);
    select string_agg(format('coalesce(%I, %L)', h, ''), ' || '','' || ' order by i) into raw
    from unnest(header) with ordinality u (h, i);
    execute format('drop table pg_temp.%I', staging);
    execute format(
        'create temporary table %I (position bigint generated always as identity (start with 2), %s%s, '
        'parse_error text, raw text not null generated always as (%s) stored)',
        staging, (select string_agg(format('%I text', h), ', ' order by i) from unnest(header) with ordinality u (h, i)),
        coalesce(others, ''), raw
    );
end
$fn$;
