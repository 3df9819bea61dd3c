-- Stage the events of a CSV file from its lines (load/copy_feed_lines.sql), every field as text:
-- each line split at its commas and read as feeds/csv_source.py reads a row: the same position,
-- raw text, parse error and values. Each c_<field> parameter is its column in the header (null: absent).
insert into collections.stg_events (load_id, feed_date, position, source, raw, parse_error, event_id, account_id, at, kind, amount, until, reason_code, event_source)
select
    %(load_id)s,
    %(feed_date)s,
    l.n + 1,
    %(source)s,
    coalesce(l.line, ''),
    c.parse_error,
    case when c.parse_error is null then nullif(c.v[%(c_event_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_account_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_at)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_kind)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_amount)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_until)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_reason)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_source)s], '') end
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
            when length(l.f[%(c_event_id)s]) > 4096 then 'event_id: field longer than 4096 characters'
            when length(l.f[%(c_account_id)s]) > 4096 then 'account_id: field longer than 4096 characters'
            when length(l.f[%(c_at)s]) > 4096 then 'at: field longer than 4096 characters'
            when length(l.f[%(c_kind)s]) > 4096 then 'kind: field longer than 4096 characters'
            when length(l.f[%(c_amount)s]) > 4096 then 'amount: field longer than 4096 characters'
            when length(l.f[%(c_until)s]) > 4096 then 'until: field longer than 4096 characters'
            when length(l.f[%(c_reason)s]) > 4096 then 'reason: field longer than 4096 characters'
            when length(l.f[%(c_source)s]) > 4096 then 'source: field longer than 4096 characters'
        end as parse_error
    offset 0
) c;
