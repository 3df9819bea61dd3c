-- Contacts of the simulated days that break a contact rule of SPEC section 5, per day (a sane
-- policy: none), read in the scratch schema (run under store.sql.in_schema). A contact is an
-- action of a kind that reaches the customer (stopped by cease_contact: notice, call, visit)
-- that was not suppressed. Rules, with the policy's own numbers:
-- * more SMS for a customer on a day, in one portfolio, than max_sms_per_customer_per_day (each one
--   past the cap): each portfolio's plan ranks its own; over the cap only across portfolios (planned by
--   separate portfolio tasks) is what the send-time check stops, counted by simulate/stopped_at_send.sql;
-- * a call-queue entry that takes its account's dial attempts in 7 days past the cap;
-- * a contact of a case on hold, or under cease_contact;
-- * a contact planned for outside the contact window, in the customer's own timezone;
-- * an SMS or call to a number whose latest contact outcome reached someone else.
with contacts as (
    select a.as_of, a.portfolio, a.account_id, a.customer_id, a.case_id, a.channel, a.window_opens_at,
           a.window_closes_at
    from collections.action_log a
    where a.kind = any(%(contact_kinds)s::text[]) and a.status in ('planned', 'sent', 'delivered', 'deferred')
      and not a.dry_run
),

days as (
    select * from contacts where portfolio = any(%(portfolios)s::text[]) and as_of between %(from)s and %(to)s
),

sms_over as (
    select as_of, greatest(count(*) - %(max_sms)s, 0) as n
    from days where channel = 'sms'
    group by as_of, portfolio, customer_id
),

calls_over as (
    select c.as_of, 1 as n
    from days c
    where c.channel = 'dialer' and (
        select count(*) from contacts p
        where p.account_id = c.account_id and p.channel = 'dialer' and p.as_of between c.as_of - 6 and c.as_of
    ) * %(attempts_per_entry)s > %(max_calls_7_days)s
),

held as (
    select c.as_of, 1 as n
    from days c
    join collections.case_state cs on cs.case_id = c.case_id and cs.as_of = c.as_of
    where cs.status = 'on_hold' or cs.cease_contact
),

outside as (
    select c.as_of, 1 as n
    from days c
    join collections.customer cu using (customer_id)
    where c.window_opens_at is not null
      and ((c.window_opens_at at time zone cu.timezone)::time < %(window_start)s::time
           or (c.window_closes_at at time zone cu.timezone)::time > %(window_end)s::time)
),

not_the_customer as (
    select c.as_of, 1 as n
    from days c
    where c.channel in ('sms', 'dialer') and (
        select e.reason
        from collections.event e
        join collections.account a using (account_id)
        where a.customer_id = c.customer_id and e.kind = 'contact_outcome'
          and (e.at at time zone %(tz)s)::date <= c.as_of
        order by e.at desc, e.event_id desc
        limit 1
    ) in ('wrong_number', 'third_party')
)

select as_of, sum(n)::int as violations
from (
    select * from sms_over
    union all select * from calls_over
    union all select * from held
    union all select * from outside
    union all select * from not_the_customer
) v
group by as_of
having sum(n) > 0
order by as_of;
