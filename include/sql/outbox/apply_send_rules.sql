-- Send-time contact rules (SPEC section 5) for one portfolio, day and kind, as one statement:
-- outside the customer's window a notice or call waits (deferred, moved to the next
-- opening when today's has passed); an SMS to a customer who already had one today
-- (any account, any portfolio, in the customer's timezone) is suppressed; a call is
-- suppressed when its debtor already had max_connected_calls connected calls today, or
-- when its number has no dial attempt left of max_dial_attempts today. Numbers shared
-- between customers are added up; a call the dialer took counts what its receipt says
-- (dial_attempts, connected) or, until the receipt comes, all the attempts it was
-- allowed and connected; a call another delivery has budgeted and not yet sent counts
-- the same, from when it was budgeted (migration 0031: deliveries of calls take
-- outbox/lock_dial_budgets.sql first). A call that may go gets its dial_budget: the
-- attempts the dialer may make on it (at most attempts_per_entry).
-- An action may go out a day or more after it was planned (deferred to the customer's window or
-- while a partner was down, approved days later (SPEC 11), resent): when its case has been
-- evaluated since, it is suppressed if that latest evaluation no longer takes it (cured or
-- closed: case_cured, case_closed; on hold: the hold's reason; under a promise or a payment
-- plan, or cease_contact, for the kinds those stop), as the plan of that day would have done.
-- An action sent on its own day meets the evaluation it was planned from: nothing to look up.
with outbox as (
    select al.idempotency_key, al.customer_id, al.channel, al.priority, al.window_opens_at, al.window_closes_at,
           cu.timezone, cu.phone, (%(now)s::timestamptz at time zone cu.timezone)::date as today,
           case
               when lc.status in ('cured', 'closed') then 'case_' || lc.status
               when lc.hold_reason is not null then lc.hold_reason
               when lc.cease_contact and %(stopped_by_cease_contact)s then 'cease_contact'
               when lc.suppress_reason is not null and %(stopped_by_promise)s then lc.suppress_reason
           end as case_rule
    from collections.action_log al
    join collections.customer cu using (customer_id)
    -- the case's latest evaluation after the action's day, if any (case_state_case_idx)
    left join lateral (
        select cs.status, cs.hold_reason, cs.cease_contact, cs.suppress_reason
        from collections.case_state cs
        where cs.case_id = al.case_id and cs.as_of > al.as_of
        order by cs.as_of desc
        limit 1
    ) lc on true
    where al.portfolio = %(portfolio)s and al.as_of = %(as_of)s and al.kind = %(kind)s
      and al.status in ('planned', 'deferred') and al.reason is distinct from 'capacity' and not al.dry_run
),

windowed as (
    select
        o.*,
        case
            when o.case_rule is not null then o.case_rule
            when o.channel = 'sms' and exists (
                select 1 from collections.action_log s
                where s.customer_id = o.customer_id and s.channel = 'sms' and s.status in ('sent', 'delivered')
                  and s.idempotency_key <> o.idempotency_key
                  and (s.sent_at at time zone o.timezone)::date = o.today
            ) then 'max_sms_per_customer_per_day'
            when o.window_opens_at is not null and %(now)s::timestamptz < o.window_opens_at then 'contact_window'
            when o.window_closes_at is not null and %(now)s::timestamptz >= o.window_closes_at then 'contact_window'
        end as rule,
        -- the next opening of the window, in whole days after the planned one
        case when o.window_closes_at is not null and %(now)s::timestamptz >= o.window_closes_at
            then ceil(extract(epoch from (%(now)s::timestamptz - o.window_closes_at)) / 86400.0 + 1e-9)::int
            else 0
        end as days_late
    from outbox o
),

-- the calls already with the dialer (of any portfolio and day), sent in the last two days
dialled as (
    select cu.phone, al.customer_id, al.sent_at,
           coalesce(al.dial_attempts, al.dial_budget, %(attempts_per_entry)s) as dials,
           coalesce(al.connected, al.receipt_at is null) as connected
    from collections.action_log al
    join collections.customer cu using (customer_id)
    where al.channel = 'dialer' and not al.dry_run and al.sent_at is not null
      and al.status in ('sent', 'delivered', 'failed')
      and al.sent_at > %(now)s::timestamptz - interval '2 days'
    union all
    -- and the calls another delivery has budgeted in the last two days and not yet sent (in flight,
    -- or waiting for its rerun): all their attempts, connected, at the time of their budget
    select cu.phone, al.customer_id, al.budget_at, al.dial_budget, true
    from collections.action_log al
    join collections.customer cu using (customer_id)
    where al.channel = 'dialer' and not al.dry_run and al.sent_at is null and al.dial_budget is not null
      and al.budget_at is not null and al.status in ('planned', 'deferred')
      and al.budget_at > %(now)s::timestamptz - interval '2 days'
      and not (al.portfolio = %(portfolio)s and al.as_of = %(as_of)s and al.kind = %(kind)s)
),

-- the calls that may go, and what their debtor and number already used today (in the
-- customer's timezone): hash joins on the debtor and on the number, then one count per call,
-- rather than a scan of every dialled call for each call
to_call as materialized (
    select w.idempotency_key, w.customer_id, w.phone, w.timezone, w.today, w.priority
    from windowed w
    where w.channel = 'dialer' and w.rule is null
),

debtor_used as (
    select t.idempotency_key, count(*) as connected
    from to_call t
    join dialled x on x.customer_id = t.customer_id
    where x.connected and (x.sent_at at time zone t.timezone)::date = t.today
    group by t.idempotency_key
),

number_used as (
    select t.idempotency_key, sum(x.dials) as dials
    from to_call t
    join dialled x on x.phone = t.phone
    where (x.sent_at at time zone t.timezone)::date = t.today
    group by t.idempotency_key
),

calls as materialized (
    select
        t.idempotency_key,
        t.phone,
        coalesce(d.connected, 0) as debtor_connected,
        %(max_dial_attempts)s
            - coalesce(n.dials, 0)
            - (row_number() over (partition by coalesce(t.phone, t.idempotency_key)
                                  order by t.priority desc nulls last, t.idempotency_key) - 1)
              * %(attempts_per_entry)s as left_on_number
    from to_call t
    left join debtor_used d using (idempotency_key)
    left join number_used n using (idempotency_key)
),

ruled as (
    select
        w.idempotency_key,
        w.days_late,
        coalesce(w.rule, case
            when c.debtor_connected >= %(max_connected_calls)s then 'max_connected_calls_per_debtor_per_day'
            when c.left_on_number < 1 then 'max_dial_attempts_per_number_per_day'
        end) as rule,
        -- a call's attempts (least() skips a null: a row that is no call gets none, and is left alone)
        case when c.idempotency_key is not null then least(%(attempts_per_entry)s, c.left_on_number) end as budget
    from windowed w
    left join calls c using (idempotency_key)
)

update collections.action_log al
set status = case
        when r.rule is null then al.status
        when r.rule = 'contact_window' then 'deferred'
        else 'suppressed'
    end,
    reason = coalesce(r.rule, al.reason),
    dial_budget = case when r.rule is null then r.budget else al.dial_budget end,
    -- a call a rule stopped holds no budget for the others (reserve_dial_budgets.sql sets it)
    budget_at = case when r.rule is null then al.budget_at end,
    window_opens_at = al.window_opens_at + make_interval(days => r.days_late),
    window_closes_at = al.window_closes_at + make_interval(days => r.days_late)
from ruled r
where al.idempotency_key = r.idempotency_key and (r.rule is not null or r.budget is not null);
