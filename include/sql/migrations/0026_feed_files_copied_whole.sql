-- A CSV file of the feed is COPYed whole into a temporary table of lines and split in SQL
-- (store/loading.py, "_copy_file"), instead of being parsed row by row in Python: the
-- two functions below give each field exactly what the Python reader gives it
-- (feeds/base.py, clean_field): str.strip()'s whitespace, every character Python's
-- str.isspace() accepts, taken off both ends, and an empty value read as null.

-- Does any field of the line start or end with such whitespace? (Most lines have none,
-- and their fields are taken as they are: one test a line instead of a trim a field.)
create function collections.feed_spaced(line text) returns boolean
language sql immutable parallel safe as $$
    select line ~ E'(^|,)[\t\n\x0b\x0c\r\x1c-\x1f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|[\t\n\x0b\x0c\r\x1c-\x1f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](,|$)'
$$;

-- A field as the Python reader stores it: trimmed as str.strip() trims, null when empty.
create function collections.feed_value(v text) returns text
language sql immutable parallel safe as $$
    select nullif(btrim(v, E'\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000'), '')
$$;

-- Stage the lines of one CSV file (pg_temp.feed_lines, load/create_feed_lines.sql) into the
-- entity's staging table: each line split at its commas and read as feeds/csv_source.py reads
-- a row, with the same position, raw text, parse error and values. columns are the staging
-- table's columns for the entity's fields, fields their names in the feed (for the messages),
-- positions where each is in the file's header (null: absent). One function for the five
-- entities: the statement differs only in the table and its columns, which the format below
-- quotes as identifiers; every value is bound. The number of rows staged.
create function collections.stage_feed_lines(
    staging text, columns text[], fields text[], positions int[], width int,
    load_id uuid, feed_date date, source text
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
            ' when length(l.f[%s]) > 4096 then %L', coalesce(positions[k]::text, 'null'),
            fields[k] || ': field longer than 4096 characters'
        );
    end loop;
    execute format($q$
        insert into collections.%I (load_id, feed_date, position, source, raw, parse_error, %s)
        select $1, $2, l.n + 1, $3, coalesce(l.line, ''), c.parse_error %s
        from pg_temp.feed_lines l
        -- offset 0: computed once a line (pulled up, it would be computed again for every field)
        cross join lateral (
            select
                -- a line with a field to trim (rare) is trimmed field by field
                case
                    when l.spaced then array(
                        select collections.feed_value(u.v) from unnest(l.f) with ordinality as u (v, i) order by u.i
                    )
                    else l.f
                end as v,
                case
                    when coalesce(cardinality(l.f), 0) <> $4
                        then 'row has ' || coalesce(cardinality(l.f), 0) || ' fields, header has ' || $4
                    %s
                end as parse_error
            offset 0
        ) c
    $q$, staging, (select string_agg(quote_ident(x), ', ' order by i) from unnest(columns) with ordinality as u (x, i)),
        picked, too_long)
    using load_id, feed_date, source, width;
    get diagnostics staged = row_count;
    return staged;
end
$fn$;
