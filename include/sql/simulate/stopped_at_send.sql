-- SMS of the simulated days over a customer's daily cap only across portfolios, per day: each
-- portfolio's plan kept its own within max_sms_per_customer_per_day, but a customer with accounts in
-- two portfolios was planned more between them; the send-time check (store/outbox.py, the cap
-- across portfolios) stops those, so they never reach the customer. The replay sends nothing, so it
-- counts them here instead of as rule violations. Read in the scratch schema (store.sql.in_schema).
with per_portfolio as (
    select as_of, customer_id, count(*) as n
    from collections.action_log
    where channel = 'sms' and status in ('planned', 'sent', 'delivered', 'deferred') and not dry_run
      and portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
    group by as_of, portfolio, customer_id
),

per_customer as (
    select as_of,
           greatest(sum(n) - %(max_sms)s, 0) - sum(greatest(n - %(max_sms)s, 0)) as stopped
    from per_portfolio
    group by as_of, customer_id
)

select as_of, sum(greatest(stopped, 0))::int as stopped
from per_customer
group by as_of
having sum(greatest(stopped, 0)) > 0
order by as_of;
