-- Stage the repayments of a CSV file from its lines (load/copy_feed_lines.sql), every field as text:
-- each line split at its commas and read as feeds/csv_source.py reads a row: the same position,
-- raw text, parse error and values. Each c_<field> parameter is its column in the header (null: absent).
insert into collections.stg_repayments (load_id, feed_date, position, source, raw, parse_error, payment_id, account_id, paid_at, amount, reverses, channel)
select
    %(load_id)s,
    %(feed_date)s,
    l.n + 1,
    %(source)s,
    coalesce(l.line, ''),
    c.parse_error,
    case when c.parse_error is null then nullif(c.v[%(c_payment_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_account_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_paid_at)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_amount)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_reverses)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_channel)s], '') end
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
            when length(l.f[%(c_payment_id)s]) > 4096 then 'payment_id: field longer than 4096 characters'
            when length(l.f[%(c_account_id)s]) > 4096 then 'account_id: field longer than 4096 characters'
            when length(l.f[%(c_paid_at)s]) > 4096 then 'paid_at: field longer than 4096 characters'
            when length(l.f[%(c_amount)s]) > 4096 then 'amount: field longer than 4096 characters'
            when length(l.f[%(c_reverses)s]) > 4096 then 'reverses: field longer than 4096 characters'
            when length(l.f[%(c_channel)s]) > 4096 then 'channel: field longer than 4096 characters'
        end as parse_error
    offset 0
) c;
