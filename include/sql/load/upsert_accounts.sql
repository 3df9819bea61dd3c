-- Upsert the valid accounts of the drop that belong to the run's portfolios.
insert into collections.account as a
    (account_id, customer_id, portfolio, product, vin, currency, principal_outstanding, opened_on, status, risk_grade, feed_date,
     load_seq)
select distinct on (s.account_id)
       s.account_id, s.customer_id, s.portfolio, s.product, s.vin, s.currency,
       s.principal_outstanding, s.opened_on, s.status, s.risk_grade, %(feed_date)s::date, %(load_seq)s
from pg_temp.chk_accounts s
where s.reason is null
  and (%(portfolios)s::text[] is null or s.scope = any(%(portfolios)s::text[]))
order by s.account_id, s.position
on conflict (account_id) do update
set customer_id = excluded.customer_id, portfolio = excluded.portfolio, product = excluded.product,
    vin = excluded.vin, currency = excluded.currency, principal_outstanding = excluded.principal_outstanding,
    opened_on = excluded.opened_on, status = excluded.status, risk_grade = excluded.risk_grade, feed_date = excluded.feed_date,
    load_seq = excluded.load_seq
where (a.customer_id, a.portfolio, a.product, a.vin, a.currency, a.principal_outstanding, a.opened_on, a.status, a.risk_grade)
      is distinct from (excluded.customer_id, excluded.portfolio, excluded.product, excluded.vin, excluded.currency,
                        excluded.principal_outstanding, excluded.opened_on, excluded.status, excluded.risk_grade);
