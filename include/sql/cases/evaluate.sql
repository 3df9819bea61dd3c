-- Evaluate every case of the portfolio on as_of (SPEC section 4).
-- A case continues from the previous evaluated day while it is open or on hold;
-- an active account that is overdue with no open case opens one, identified by
-- (account, opened_on). Everything else on the row is derived from that day's
-- arrears and the events and repayments known by then, so a rerun is exact.
-- The ladder arrives as parallel arrays, one element per rung of each variant (SPEC 9),
-- lowest rung first within a variant; rung_ord is a rung's place in its variant's ladder.
-- A case keeps the variant it opened under; a new case takes the variant whose range
-- holds its account's hash (collections.variant_of); a case whose variant the policy no
-- longer lists goes on under the first listed one.
-- The open cases of the previous evaluated day and the day's arrears come from
-- temporary tables filled and analysed just before (cases/fill_work.sql), so the
-- plan fits their size: from the tables themselves, whose statistics rarely know
-- today's rows, the planner took them for a row or two and joined tens of thousands
-- of cases with nested loops (22 s a portfolio at 1,000,000 accounts, bench/explain.py).
with prev as (
    select case_id, account_id, customer_id, opened_on, stage, stage_since, variant from case_prev
),

arrears as (
    select account_id, dpd, overdue_amount from case_arrears
),

opening as (
    select a.account_id
    from arrears a
    join collections.account acc using (account_id)
    where acc.status = 'active' and a.dpd >= 1
),

-- every open case continues; an overdue active account without one opens one. A full
-- join is always a hash or merge join: with a nested loop over two CTEs of tens of
-- thousands of rows (the planner's guess when the tables have no statistics yet)
-- this step took 20 s for a portfolio of 166,667 accounts (bench/explain.py).
cases as (
    select
        coalesce(p.case_id, 'C-' || o.account_id || '-' || to_char(%(as_of)s::date, 'YYYYMMDD')) as case_id,
        coalesce(p.account_id, o.account_id) as account_id,
        coalesce(p.opened_on, %(as_of)s::date) as opened_on,
        p.stage as prev_stage,
        p.stage_since as prev_since,
        case
            when p.variant = any(%(variant_names)s::text[]) then p.variant
            when p.case_id is not null then (%(variant_names)s::text[])[1]
            else collections.variant_of(%(dag_id)s, o.account_id, %(variant_names)s::text[], %(variant_upto)s::int[])
        end as variant
    from prev p
    full join opening o on o.account_id = p.account_id
),

events as (
    select e.account_id, e.kind, e.at, e.amount, e.until, e.reason, (e.at at time zone %(tz)s)::date as on_date
    from collections.event e
    join cases c using (account_id)
    where (e.at at time zone %(tz)s)::date <= %(as_of)s
),

flags as (
    select
        account_id,
        bool_or(kind = 'deceased') as deceased,
        -- bankruptcy_dismissed lifts a bankruptcy, contact_allowed a cease_contact, each from its at on
        coalesce(max(at) filter (where kind = 'bankruptcy')
                 > coalesce(max(at) filter (where kind = 'bankruptcy_dismissed'), '-infinity'), false) as bankrupt,
        coalesce(max(at) filter (where kind = 'cease_contact')
                 > coalesce(max(at) filter (where kind = 'contact_allowed'), '-infinity'), false) as cease_contact,
        max(at) filter (where kind = 'dispute') as last_dispute,
        max(at) filter (where kind = 'dispute_resolved') as last_resolved,
        -- what the customer told us last: why they are late, and how the last contact went (SPEC 2)
        (array_agg(reason order by at desc) filter (where kind = 'delinquency_reason'))[1] as delinquency_reason,
        (array_agg(reason order by at desc) filter (where kind = 'contact_outcome'))[1] as contact_outcome
    from events
    group by account_id
),

promise as (
    select distinct on (account_id) account_id, at, on_date, amount, until
    from events
    where kind = 'promise_to_pay'
    order by account_id, at desc
),

promise_state as (
    select
        p.account_id,
        p.on_date <= %(as_of)s::date and %(as_of)s::date <= p.until as active,
        case
            when paid.total >= p.amount then 'kept'
            when %(as_of)s::date > p.until then 'broken'
            else 'pending'
        end as status
    from promise p
    cross join lateral (
        select coalesce(sum(r.amount), 0) as total
        from collections.repayment r
        where r.account_id = p.account_id
          and r.paid_at >= p.at
          and (r.paid_at at time zone %(tz)s)::date <= least(%(as_of)s::date, p.until)
    ) paid
),

plan as (
    select distinct on (account_id) account_id, on_date, amount, until
    from events
    where kind = 'payment_plan'
    order by account_id, at desc
),

-- Each 30-day period of a plan that has ended by as_of (and by until) must
-- have brought at least the plan's amount; one short period breaks the plan.
plan_state as (
    select
        pl.account_id,
        case
            when exists (
                select 1
                from generate_series(0, ((least(%(as_of)s::date - 1, pl.until) - pl.on_date + 1) / 30) - 1) as k
                where (
                    select coalesce(sum(r.amount), 0)
                    from collections.repayment r
                    where r.account_id = pl.account_id
                      and (r.paid_at at time zone %(tz)s)::date between pl.on_date + 30 * k and pl.on_date + 30 * k + 29
                ) < pl.amount
            ) then 'broken'
            when %(as_of)s::date > pl.until then 'completed'
            else 'active'
        end as status
    from plan pl
),

-- Promises to pay made during this overdue episode (since the case opened, or
-- since the due date of the oldest past-due installment if that is earlier: a
-- first run on a book with history) that ended short: until has passed and less
-- than the promised amount was paid from the promise's at through until.
broken_promises as (
    select e.account_id, count(*) as n
    from events e
    join cases c using (account_id)
    join arrears a using (account_id)
    where e.kind = 'promise_to_pay' and e.until < %(as_of)s::date
      and e.on_date >= least(c.opened_on, %(as_of)s::date - a.dpd)
      and (
          select coalesce(sum(r.amount), 0)
          from collections.repayment r
          where r.account_id = e.account_id and r.paid_at >= e.at
            and (r.paid_at at time zone %(tz)s)::date <= e.until
      ) < e.amount
    group by e.account_id
),

rungs as (
    select variant, name, min_dpd, min_overdue, sticky, every_days, action_kind,
           string_to_array(products, ',') as products, min_bucket, string_to_array(risk_grades, ',') as risk_grades,
           min_broken, ord
    from unnest(
        %(rung_variant)s::text[], %(rung_ord)s::int[],
        %(rung_names)s::text[], %(rung_min_dpd)s::int[], %(rung_min_overdue)s::numeric[],
        %(rung_sticky)s::boolean[], %(rung_every_days)s::int[], %(rung_actions)s::text[], %(rung_products)s::text[],
        %(rung_min_bucket)s::int[], %(rung_risk_grades)s::text[], %(rung_min_broken)s::int[]
    ) as r(variant, ord, name, min_dpd, min_overdue, sticky, every_days, action_kind, products,
           min_bucket, risk_grades, min_broken)
),

evaluated as (
    select
        c.case_id,
        c.account_id,
        acc.customer_id,
        c.opened_on,
        c.prev_stage,
        c.prev_since,
        c.variant,
        coalesce(a.dpd, 0) as dpd,
        coalesce(a.overdue_amount, 0) as overdue_amount,
        case
            when acc.status <> 'active' then 'closed'
            when coalesce(a.dpd, 0) = 0 then 'cured'
            when f.deceased or f.bankrupt
              or (f.last_dispute is not null and (f.last_resolved is null or f.last_resolved < f.last_dispute))
                then 'on_hold'
            else 'open'
        end as status,
        case
            when f.deceased then 'deceased'
            when f.bankrupt then 'bankruptcy'
            when f.last_dispute is not null and (f.last_resolved is null or f.last_resolved < f.last_dispute) then 'dispute'
        end as hold_reason,
        coalesce(f.cease_contact, false) as cease_contact,
        case
            when ps.active then 'promise_to_pay'
            when pls.status = 'active' then 'payment_plan'
        end as suppress_reason,
        ps.status as promise_status,
        pls.status as plan_status,
        f.delinquency_reason,
        f.contact_outcome,
        -- the highest rung whose entry condition holds ...
        (select max(r.ord) from rungs r
         where r.variant = c.variant and coalesce(a.dpd, 0) >= r.min_dpd and coalesce(a.overdue_amount, 0) >= coalesce(r.min_overdue, 0)
           and (r.products is null or acc.product = any(r.products))
           -- bucket as its index in M0, M1, ..., M7+ (SPEC section 3)
           and least((coalesce(a.dpd, 0) + 29) / 30, 7) >= r.min_bucket
           and (r.risk_grades is null or acc.risk_grade = any(r.risk_grades))
           and coalesce(bp.n, 0) >= r.min_broken) as reached,
        -- ... unless the case already sits on a sticky rung above it
        (select r.ord from rungs r where r.variant = c.variant and r.name = c.prev_stage and r.sticky) as sticky_ord
    from cases c
    join collections.account acc using (account_id)
    left join arrears a using (account_id)
    left join flags f using (account_id)
    left join promise_state ps using (account_id)
    left join plan_state pls using (account_id)
    left join broken_promises bp using (account_id)
),

staged as (
    select
        e.*,
        r.name as stage,
        r.every_days,
        r.action_kind,
        case when r.name = e.prev_stage then e.prev_since else %(as_of)s::date end as stage_since
    from evaluated e
    left join rungs r
        on e.status not in ('cured', 'closed')
       and r.variant = e.variant
       and r.ord = greatest(e.reached, e.sticky_ord)
)

insert into collections.case_state (
    portfolio, as_of, case_id, account_id, customer_id, opened_on, dpd, bucket, overdue_amount,
    stage, stage_since, status, hold_reason, action_due, suppress_reason, cease_contact,
    promise_status, plan_status, run_id, delinquency_reason, contact_outcome, variant
)
select
    %(portfolio)s,
    %(as_of)s,
    s.case_id,
    s.account_id,
    s.customer_id,
    s.opened_on,
    s.dpd,
    collections.bucket(s.dpd),
    s.overdue_amount,
    s.stage,
    case when s.stage is not null then s.stage_since end,
    s.status,
    case when s.status = 'on_hold' then s.hold_reason end,
    -- a rung acts on entering and then every every_days days while the case
    -- stays on it; a rung without a repeat acts once per case. An order the rung's
    -- roster had no slot for (deferred, reason capacity: actions/plan.sql) is carried:
    -- due again on the next evaluated day, whatever the cycle, until it is written
    s.status = 'open' and s.stage is not null and case
        when s.every_days > 0 and (%(as_of)s::date - s.stage_since) %% s.every_days = 0 then true
        when s.every_days > 0 then coalesce((
            select al.status = 'deferred' and al.reason = 'capacity'
            from collections.action_log al
            where al.account_id = s.account_id and al.kind = s.action_kind and al.as_of < %(as_of)s
              and al.case_id = s.case_id and not al.dry_run
            order by al.as_of desc
            limit 1
        ), false)
        else not exists (
            select 1 from collections.action_log al
            where al.case_id = s.case_id and al.kind = s.action_kind and al.as_of < %(as_of)s
              -- waiting for a decision, or rejected (SPEC 11), the case's one action is taken; so is one
              -- deferred (it goes later: the window, the partner down), but for one deferred for capacity
              and (al.status in ('planned', 'sent', 'delivered', 'awaiting_approval', 'rejected')
                   or (al.status = 'deferred' and al.reason is distinct from 'capacity')) and not al.dry_run
        )
    end,
    s.suppress_reason,
    s.cease_contact,
    s.promise_status,
    s.plan_status,
    %(run_id)s,
    s.delinquency_reason,
    s.contact_outcome,
    s.variant
from staged s;
