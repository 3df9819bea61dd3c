-- Check each staged account row once, into pg_temp.chk_accounts: the first reason it cannot be
-- loaded (null = valid), its portfolio as scope, and its values typed; the raw text kept for a
-- rejected row only (the quarantine's). Staging is read, never rewritten.
insert into pg_temp.chk_accounts
    (position, scope, reason, raw, account_id, customer_id, portfolio, product, vin, currency, principal_outstanding,
     opened_on, status, risk_grade)
select v.position, v.portfolio, v.reason, case when v.reason is not null then v.raw end,
       v.account_id, v.customer_id, v.portfolio, v.product, v.vin, v.currency,
       case when v.reason is null then v.principal_outstanding::numeric end,
       case when v.reason is null then v.opened_on::date end,
       v.status, v.risk_grade
from (select s.*, case
    when s.parse_error is not null then s.parse_error
    when s.account_id is null then 'missing field: account_id'
    when s.customer_id is null then 'missing field: customer_id'
    when s.portfolio is null then 'missing field: portfolio'
    when s.product is null then 'missing field: product'
    when s.currency is null then 'missing field: currency'
    when s.principal_outstanding is null then 'missing field: principal_outstanding'
    when s.opened_on is null then 'missing field: opened_on'
    when s.status is null then 'missing field: status'
    when s.portfolio !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' then 'bad portfolio name (letters, digits, _ . - only, at most 64)'
    when s.product not in ('loan', 'lease', 'finance_lease') then 'bad product: ' || left(s.product, 32) || ' (allowed: loan, lease, finance_lease)'
    when s.status not in ('active', 'closed', 'written_off') then 'bad status: ' || left(s.status, 32) || ' (allowed: active, closed, written_off)'
    when s.currency !~ '^[A-Z]{3}$' then 'bad currency: ' || left(s.currency, 16) || ' (ISO 4217 code)'
    when not collections.is_decimal(s.principal_outstanding) then 'principal_outstanding is not a finite decimal with at most 2 places: ' || left(s.principal_outstanding, 32)
    when not collections.is_date(s.opened_on) then 'bad date in opened_on: ' || left(s.opened_on, 32)
    when s.risk_grade !~ '^[A-Za-z0-9+-]{1,8}$' then 'bad risk_grade: ' || left(s.risk_grade, 16) || ' (1-8 letters, digits, + or -)'
    when c.customer_id is null and vc.customer_id is null then 'unknown customer_id: ' || left(s.customer_id, 64)
    when exists (
        select 1 from pg_temp.stg_accounts d
        where d.account_id = s.account_id and d.position < s.position
          and d.parse_error is null
          and (d.customer_id, d.portfolio, d.product, d.vin, d.currency, d.principal_outstanding, d.opened_on, d.status, d.risk_grade)
              is distinct from (s.customer_id, s.portfolio, s.product, s.vin, s.currency, s.principal_outstanding, s.opened_on, s.status, s.risk_grade)
    ) then 'account_id repeated in this drop with other content'
end as reason
from pg_temp.stg_accounts s
-- its customer: stored, or valid in this drop
left join collections.customer c on c.customer_id = s.customer_id
left join (select distinct customer_id from pg_temp.chk_customers where reason is null) vc on vc.customer_id = s.customer_id
-- offset 0: the reason is computed once a row (pulled up, it would be computed again for each use below)
offset 0
) v;
