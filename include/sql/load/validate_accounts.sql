-- Give each staged account row the first reason it cannot be loaded (null = valid).
update collections.stg_accounts s
set scope = s.portfolio,
    reason = case
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
    when not exists (select 1 from collections.customer c where c.customer_id = s.customer_id)
     and not exists (select 1 from collections.stg_customers c
                     where c.load_id = s.load_id and c.customer_id = s.customer_id and c.reason is null)
        then 'unknown customer_id: ' || left(s.customer_id, 64)
    when exists (
        select 1 from collections.stg_accounts d
        where d.load_id = s.load_id and d.account_id = s.account_id and d.position < s.position
          and d.parse_error is null
          and (d.customer_id, d.portfolio, d.product, d.vin, d.currency, d.principal_outstanding, d.opened_on, d.status, d.risk_grade)
              is distinct from (s.customer_id, s.portfolio, s.product, s.vin, s.currency, s.principal_outstanding, s.opened_on, s.status, s.risk_grade)
    ) then 'account_id repeated in this drop with other content'
end
where s.load_id = %(load_id)s;
