-- Write the day's actions of one rung for the portfolio (SPEC sections 4-5):
-- every open case on the rung whose action is due today gets one action,
-- planned, or suppressed with the reason a rule gives. Keyed by
-- (case, kind, as_of): an action already handed to a partner is never replaced.
-- A pre-due rung (a courtesy reminder) acts instead on the active accounts that
-- are not overdue and have an unpaid installment falling due days_before_due
-- days after as_of; it has no case and is keyed by (account, rung, due date).
-- What the rules do depends on the stage kind's switches (debt_collections.stages):
-- contact, stopped_by_cease_contact, stopped_by_promise, scored, pre_due.
-- The rung's channel, template and assignee and the contact rules come per variant
-- (SPEC 9), one element of each array a variant; a case is planned by its own.
-- Capacity (roster_on: the policy's roster lists this kind; docs/OPERATIONS.md "Capacity"):
-- each region's orders that no rule stops are numbered most overdue first (dpd, then
-- overdue amount, then account), the roster's assignees of the region are expanded into
-- slots (each one's daily capacity, less what it already has today, dealt out in turn) and
-- order n gets slot n; orders past the region's slots are deferred with the reason
-- capacity and no assignee (cases/evaluate.sql makes them due again the next day). A
-- region without a roster entry has no slots. Without a roster the rung's assignee label
-- is used, as before.
with variants as (
    select *
    from unnest(
        %(v_names)s::text[], %(v_channel)s::text[], %(v_template)s::text[], %(v_assignee)s::text[],
        %(v_max_calls_7_days)s::int[], %(v_attempts_per_entry)s::int[], %(v_no_call_days)s::int[],
        %(v_window_start)s::time[], %(v_window_end)s::time[]
    ) as v(variant, rung_channel, template, assignee, max_calls_7_days, attempts_per_entry, no_call_days,
           window_start, window_end)
),

targets as (
    select
        i.account_id,
        acc.customer_id,
        i.amount_due,
        i.due_date,
        -- the waterfall: what is due before this installment takes the payments first
        (select coalesce(sum(e.amount_due), 0) from collections.installment e
         where e.account_id = i.account_id and (e.due_date, e.seq) < (i.due_date, i.seq)) as due_before,
        (select coalesce(sum(r.amount), 0) from collections.repayment r
         where r.account_id = i.account_id and (r.paid_at at time zone %(tz)s)::date <= %(as_of)s) as paid_total
    from collections.installment i
    join collections.account acc using (account_id)
    where %(pre_due)s and acc.portfolio = %(portfolio)s and acc.status = 'active'
      and i.due_date = %(as_of)s::date + %(days_before_due)s::int
      and not exists (
          select 1 from collections.account_day ad
          where ad.portfolio = %(portfolio)s and ad.as_of = %(as_of)s and ad.account_id = i.account_id
      )
),

-- the holds and cease_contact of an account without a case, from its events
pre_due as (
    select
        t.account_id,
        t.customer_id,
        t.due_date,
        t.amount_due - least(t.amount_due, greatest(t.paid_total - t.due_before, 0)) as unpaid,
        case
            when bool_or(e.kind = 'deceased') then 'deceased'
            when max(e.at) filter (where e.kind = 'bankruptcy')
               > coalesce(max(e.at) filter (where e.kind = 'bankruptcy_dismissed'), '-infinity') then 'bankruptcy'
            when max(e.at) filter (where e.kind = 'dispute')
               > coalesce(max(e.at) filter (where e.kind = 'dispute_resolved'), '-infinity') then 'dispute'
        end as hold_reason,
        coalesce(max(e.at) filter (where e.kind = 'cease_contact')
                 > coalesce(max(e.at) filter (where e.kind = 'contact_allowed'), '-infinity'), false) as cease_contact
    from targets t
    left join collections.event e
        on e.account_id = t.account_id and (e.at at time zone %(tz)s)::date <= %(as_of)s
    group by t.account_id, t.customer_id, t.due_date, t.amount_due, t.paid_total, t.due_before
),

subjects as (
    select
        cs.account_id, cs.case_id, cs.customer_id, cs.dpd, cs.overdue_amount, cs.cease_contact,
        cs.suppress_reason, null::text as hold_reason, null::date as due_date, null::numeric as amount_due,
        cs.case_id || ':' || %(kind)s || ':' || to_char(%(as_of)s::date, 'YYYY-MM-DD') as idempotency_key,
        cs.variant
    from collections.case_state cs
    where not %(pre_due)s
      and cs.portfolio = %(portfolio)s
      and cs.as_of = %(as_of)s
      and cs.status = 'open'
      and cs.stage = %(stage)s
      and cs.action_due
    union all
    select
        p.account_id, null, p.customer_id, 0, 0, p.cease_contact, null, p.hold_reason, p.due_date, p.unpaid,
        p.account_id || ':' || %(stage)s || ':' || to_char(p.due_date, 'YYYY-MM-DD'),
        -- a reminder is the same in every variant; the account's variant is recorded on it
        collections.variant_of(%(dag_id)s, p.account_id, %(v_names)s::text[], %(variant_upto)s::int[])
    from pre_due p
    where p.unpaid > %(tolerance)s
),

due as (
    select
        s.*,
        cu.phone,
        cu.region,
        cu.language,
        cu.timezone,
        coalesce(w.wrong, false) as wrong_number,
        case
            when v.rung_channel <> 'sms_or_letter' then v.rung_channel
            when cu.phone is not null and not coalesce(w.wrong, false) then 'sms'
            else 'letter'
        end as channel,
        v.template,
        v.assignee,
        v.max_calls_7_days,
        v.attempts_per_entry,
        v.no_call_days,
        v.window_start,
        v.window_end
    from subjects s
    join variants v using (variant)
    join collections.customer cu using (customer_id)
    -- whether the customer's number, by the latest contact outcome on any of their accounts,
    -- reached someone else (SPEC 5: nobody but the customer is contacted): no call and no
    -- SMS goes to it (a notice goes by letter) until a later outcome says right_party.
    -- Looked up for the day's subjects only, by their accounts (not every customer's outcomes)
    left join lateral (
        select e.reason in ('wrong_number', 'third_party') as wrong
        from collections.account a
        join collections.event e on e.account_id = a.account_id
        where a.customer_id = s.customer_id
          and e.kind = 'contact_outcome' and (e.at at time zone %(tz)s)::date <= %(as_of)s
        order by e.at desc, e.event_id desc
        limit 1
    ) w on true
),

ruled as (
    select
        d.*,
        case
            when d.hold_reason is not null then d.hold_reason
            when d.cease_contact and %(stopped_by_cease_contact)s then 'cease_contact'
            when d.wrong_number and d.channel in ('sms', 'dialer') then 'not_the_customers_number'
            when d.suppress_reason is not null and %(stopped_by_promise)s then d.suppress_reason
            -- a rolling 7-day cap on an account's call attempts: each call-queue entry allows the dialer
            -- attempts_per_entry attempts (one deferred, to the window or while the dialer was down, counts)
            when d.channel = 'dialer' and (
                select count(*) + 1 from collections.action_log c
                where c.account_id = d.account_id and c.channel = 'dialer' and not c.dry_run
                  and (c.status in ('planned', 'sent', 'delivered') or (c.status = 'deferred' and c.reason is distinct from 'capacity'))
                  and c.as_of between %(as_of)s::date - 6 and %(as_of)s::date - 1
            ) * d.attempts_per_entry > d.max_calls_7_days then 'max_call_attempts_per_account_per_7_days'
            -- no call within no_call_days days after a conversation (the day of the
            -- conversation is the first; the call goes out the day after as_of)
            when d.channel = 'dialer' and d.no_call_days > 0 and exists (
                select 1 from collections.event e
                where e.account_id = d.account_id and e.kind = 'conversation'
                  and (e.at at time zone d.timezone)::date between %(as_of)s::date + 2 - d.no_call_days
                                                                and %(as_of)s::date
            ) then 'no_call_days_after_conversation'
        end as rule
    from due d
),

-- Daily caps per customer and channel (SPEC section 5: one SMS per customer per
-- day, three connected calls per debtor per day): among a customer's accounts,
-- the ones with the most overdue money get the day's contacts.
caps as (
    select variant, channel, daily_limit, rule_name
    from unnest(%(cap_variants)s::text[], %(cap_channels)s::text[], %(cap_limits)s::int[], %(cap_rules)s::text[])
        as c(variant, channel, daily_limit, rule_name)
),

ranked as (
    select
        r.*,
        c.daily_limit,
        c.rule_name as cap_rule,
        case
            when r.rule is null and c.channel is not null
                then row_number() over (
                    partition by r.customer_id, r.channel, (r.rule is null)
                    order by r.overdue_amount desc, r.account_id
                )
        end as cap_rank
    from ruled r
    left join caps c on c.variant = r.variant and c.channel = r.channel
),

roster as (
    select region, assignee, daily
    from unnest(%(roster_regions)s::text[], %(roster_assignees)s::text[], %(roster_daily)s::int[])
        as r(region, assignee, daily)
    where %(roster_on)s
),

-- what each assignee already has of the day's orders of this kind (kept from an earlier
-- plan of the day, of any portfolio): those slots are taken. An order holds its slot from
-- the plan that assigned it, whatever became of it since: sent, failed (it may be resent),
-- or waiting in the outbox because the partner was down (it goes later, to the same
-- assignee). Orders stopped by a rule or deferred for capacity were never assigned.
taken as (
    select al.assignee, count(*)::int as n
    from collections.action_log al
    where %(roster_on)s and al.as_of = %(as_of)s and al.kind = %(kind)s
      and al.assignee = any(%(roster_assignees)s::text[])
    group by al.assignee
),

slots as (
    select r.region, r.assignee,
           row_number() over (partition by r.region order by g.n, r.assignee) as slot
    from roster r
    left join taken t using (assignee)
    cross join lateral generate_series(1, r.daily - coalesce(t.n, 0)) as g(n)
),

-- the orders that need a slot: not stopped by a rule, not already written today
queue as (
    select r.idempotency_key,
           row_number() over (partition by r.region order by r.dpd desc, r.overdue_amount desc, r.account_id)
               as place
    from ranked r
    where %(roster_on)s and r.rule is null and not coalesce(r.cap_rank > r.daily_limit, false)
      and not exists (select 1 from collections.action_log al where al.idempotency_key = r.idempotency_key)
),

placed as (
    select r.*, q.place, s.assignee as slot_assignee
    from ranked r
    left join queue q using (idempotency_key)
    left join slots s on s.region = r.region and s.slot = q.place
),

-- A rung that requires approval (SPEC 11): what no rule stops waits for a person's decision,
-- unless one was already taken on this very action (a rerun plans it again: the decision stands)
decided as (
    select p.*, d.decision, d.reason as decision_reason, d.decided_by, d.decided_at
    from placed p
    left join lateral (
        select ad.decision, ad.reason, ad.decided_by, ad.decided_at
        from collections.approval_decision ad
        where %(approval)s and ad.idempotency_key = p.idempotency_key
        order by ad.decided_at desc, ad.decision_id desc
        limit 1
    ) d on true
)

insert into collections.action_log (
    idempotency_key, portfolio, as_of, account_id, customer_id, case_id, kind, stage, status, reason,
    channel, assignee, template, priority, window_opens_at, window_closes_at, dry_run, due_date, amount_due, run_id,
    variant, approved_by, decided_at
)
select
    r.idempotency_key,
    %(portfolio)s,
    %(as_of)s,
    r.account_id,
    r.customer_id,
    r.case_id,
    %(kind)s,
    %(stage)s,
    case
        when r.rule is not null or r.cap_rank > r.daily_limit then 'suppressed'
        when r.place is not null and r.slot_assignee is null then 'deferred'
        when %(approval)s and r.decision = 'rejected' then 'rejected'
        when %(approval)s and r.decision is null then 'awaiting_approval'
        else 'planned'
    end,
    coalesce(r.rule, case when r.cap_rank > r.daily_limit then r.cap_rule end,
             case when r.place is not null and r.slot_assignee is null then 'capacity' end,
             case when r.decision = 'rejected' then r.decision_reason end),
    r.channel,
    case
        when %(roster_on)s then r.slot_assignee
        else nullif(replace(replace(r.assignee, '{region}', r.region), '{portfolio}', %(portfolio)s), '')
    end,
    replace(replace(r.template, '{channel}', r.channel), '{language}', r.language),
    case when %(scored)s
        then round(least(r.dpd, 90) * 50.0 / 90 + least(r.overdue_amount, 20000) * 50.0 / 20000, 2)
    end,
    -- customer contact waits for the window in the customer's own timezone,
    -- on the day after as_of (the run happens overnight)
    case when %(contact)s
        then ((%(as_of)s::date + 1) + r.window_start) at time zone r.timezone
    end,
    case when %(contact)s
        then ((%(as_of)s::date + 1) + r.window_end) at time zone r.timezone
    end,
    %(dry_run)s,
    r.due_date,
    r.amount_due,
    %(run_id)s,
    r.variant,
    case when r.rule is null and r.decision = 'approved' then r.decided_by end,
    case when r.rule is null then r.decided_at end
from decided r
on conflict do nothing;
