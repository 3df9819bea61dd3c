-- Stage the accounts of a CSV file from its lines (load/copy_feed_lines.sql), every field as text:
-- each line split at its commas and read as feeds/csv_source.py reads a row: the same position,
-- raw text, parse error and values. Each c_<field> parameter is its column in the header (null: absent).
insert into collections.stg_accounts (load_id, feed_date, position, source, raw, parse_error, account_id, customer_id, portfolio, product, vin, currency, principal_outstanding, opened_on, status, risk_grade)
select
    %(load_id)s,
    %(feed_date)s,
    l.n + 1,
    %(source)s,
    coalesce(l.line, ''),
    c.parse_error,
    case when c.parse_error is null then nullif(c.v[%(c_account_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_customer_id)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_portfolio)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_product)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_vin)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_currency)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_principal_outstanding)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_opened_on)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_status)s], '') end,
    case when c.parse_error is null then nullif(c.v[%(c_risk_grade)s], '') end
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
            when length(l.f[%(c_account_id)s]) > 4096 then 'account_id: field longer than 4096 characters'
            when length(l.f[%(c_customer_id)s]) > 4096 then 'customer_id: field longer than 4096 characters'
            when length(l.f[%(c_portfolio)s]) > 4096 then 'portfolio: field longer than 4096 characters'
            when length(l.f[%(c_product)s]) > 4096 then 'product: field longer than 4096 characters'
            when length(l.f[%(c_vin)s]) > 4096 then 'vin: field longer than 4096 characters'
            when length(l.f[%(c_currency)s]) > 4096 then 'currency: field longer than 4096 characters'
            when length(l.f[%(c_principal_outstanding)s]) > 4096 then 'principal_outstanding: field longer than 4096 characters'
            when length(l.f[%(c_opened_on)s]) > 4096 then 'opened_on: field longer than 4096 characters'
            when length(l.f[%(c_status)s]) > 4096 then 'status: field longer than 4096 characters'
            when length(l.f[%(c_risk_grade)s]) > 4096 then 'risk_grade: field longer than 4096 characters'
        end as parse_error
    offset 0
) c;
