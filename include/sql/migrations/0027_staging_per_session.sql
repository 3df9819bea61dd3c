-- Staging moves out of the schema into temporary tables of the loading session (#17 item 1,
-- load/create_staging.sql): no WAL, no half-empty pages (fillfactor 50 was there for the
-- validation UPDATE, which is gone), none of the per-row load_id, feed_date, staged_at and
-- source columns (the same for every row of a load), no index kept up during COPY, and
-- nothing left behind by a load that dies: the server drops a session's temporary tables
-- when the session ends, however it ends. collections.staging_load, which found what a dead
-- load had left, goes with them. The lines of a file COPYed whole (pg_temp.feed_lines) are
-- kept as they came, and split as they are staged (before, each line was kept split too).
drop table collections.stg_customers, collections.stg_accounts, collections.stg_installments,
    collections.stg_repayments, collections.stg_events, collections.staging_load;
drop function collections.analyze_staging();
drop function collections.stage_feed_lines(text, text[], text[], int[], int, uuid, date, text);

-- Stage the lines of one CSV file (pg_temp.feed_lines, load/create_feed_lines.sql) into the
-- entity's staging table (pg_temp.stg_<entity>): each line split at its commas and read as
-- feeds/csv_source.py reads a row, with the same position, raw text, parse error and values.
-- columns are the staging table's columns for the entity's fields, fields their names in the
-- feed (for the messages), positions where each is in the file's header (null: absent). One
-- function for the five entities: the statement differs only in the table and its columns,
-- which the format below quotes as identifiers; every value is bound. The number of rows staged.
create function collections.stage_feed_lines(
    staging text, columns text[], fields text[], positions int[], width int
) returns bigint
language plpgsql as $fn$
declare
    staged bigint;
    picked text := '';
    too_long text := '';
begin
    if staging not in ('stg_customers', 'stg_accounts', 'stg_installments', 'stg_repayments', 'stg_events') then
        raise exception 'stage_feed_lines: % is not a staging table', staging;
    end if;
    for k in 1 .. cardinality(columns) loop
        picked := picked || format(
            ', case when c.parse_error is null then nullif(c.v[%s], '''') end', coalesce(positions[k]::text, 'null')
        );
        too_long := too_long || format(
            ' when length(s.f[%s]) > 4096 then %L', coalesce(positions[k]::text, 'null'),
            fields[k] || ': field longer than 4096 characters'
        );
    end loop;
    execute format($q$
        insert into pg_temp.%I (position, raw, parse_error, %s)
        select l.n + 1, coalesce(l.line, ''), c.parse_error %s
        from pg_temp.feed_lines l
        -- the line split at its commas, and whether a field of it starts or ends with whitespace
        -- (offset 0, here and below: computed once a line, not again for every field)
        cross join lateral (
            select string_to_array(l.line, ',') as f, collections.feed_spaced(l.line) as spaced offset 0
        ) s
        cross join lateral (
            select
                -- a line with a field to trim (rare) is trimmed field by field
                case
                    when s.spaced then array(
                        select collections.feed_value(u.v) from unnest(s.f) with ordinality as u (v, i) order by u.i
                    )
                    else s.f
                end as v,
                case
                    when coalesce(cardinality(s.f), 0) <> $1
                        then 'row has ' || coalesce(cardinality(s.f), 0) || ' fields, header has ' || $1
                    %s
                end as parse_error
            offset 0
        ) c
    $q$, staging, (select string_agg(quote_ident(x), ', ' order by i) from unnest(columns) with ordinality as u (x, i)),
        picked, too_long)
    using width;
    get diagnostics staged = row_count;
    return staged;
end
$fn$;
