-- Stage the customers of a CSV file from its lines (load/copy_feed_lines.sql), every field as text:
-- each line split at its commas and read as feeds/csv_source.py reads a row: the same position,
-- raw text, parse error and values. Each c_<field> parameter is its column in the header (null: absent).
insert into collections.stg_customers (load_id, feed_date, position, source, raw, parse_error, customer_id, full_name, phone, region, timezone, language, address)
select
    %(load_id)s,
    %(feed_date)s,
    l.n + 1,
    %(source)s,
    coalesce(l.line, ''),
    c.parse_error,
    case when c.parse_error is null then nullif(c.v[%(c_customer_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_full_name)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_phone)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_region)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_timezone)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_language)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_address)s], '') end
from pg_temp.feed_lines l
-- offset 0: computed once a line (pulled up, it would be computed again for every field that reads it)
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
            when coalesce(cardinality(l.f), 0) <> %(width)s
                then 'row has ' || coalesce(cardinality(l.f), 0) || ' fields, header has ' || %(width)s
            when length(l.f[%(c_customer_id)s]) > 4096 then 'customer_id: field longer than 4096 characters'
            when length(l.f[%(c_full_name)s]) > 4096 then 'full_name: field longer than 4096 characters'
            when length(l.f[%(c_phone)s]) > 4096 then 'phone: field longer than 4096 characters'
            when length(l.f[%(c_region)s]) > 4096 then 'region: field longer than 4096 characters'
            when length(l.f[%(c_timezone)s]) > 4096 then 'timezone: field longer than 4096 characters'
            when length(l.f[%(c_language)s]) > 4096 then 'language: field longer than 4096 characters'
            when length(l.f[%(c_address)s]) > 4096 then 'address: field longer than 4096 characters'
        end as parse_error
    offset 0
) c;
