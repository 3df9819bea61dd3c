-- The day's figures for one portfolio, read by the report and the UI.
with cases as (
    select * from collections.case_state where portfolio = %(portfolio)s and as_of = %(as_of)s
),

actions as (
    select * from collections.action_log where portfolio = %(portfolio)s and as_of = %(as_of)s
),

quarantined as (
    select * from collections.quarantine where feed_date = %(as_of)s and portfolio = %(portfolio)s
),

-- the repayments of the day credited to the ladder (SPEC 8), read by the index on paid_at
recovered as (
    select * from collections.recoveries(
        %(as_of)s::date::timestamp at time zone %(tz)s, (%(as_of)s::date + 1)::timestamp at time zone %(tz)s
    )
    where portfolio = %(portfolio)s
),

-- promises to pay decided today (kept or broken, and not so on the case's day before), with the
-- amount of the promise the case's state reads (the account's latest, as cases/evaluate.sql does)
promises_decided as (
    select c.promise_status, pr.amount
    from cases c
    left join collections.case_state y
        on y.case_id = c.case_id and y.portfolio = c.portfolio
       and y.as_of = (select max(as_of) from collections.case_state
                      where portfolio = %(portfolio)s and as_of < %(as_of)s)
    cross join lateral (
        select e.amount from collections.event e
        where e.account_id = c.account_id and e.kind = 'promise_to_pay'
          and (e.at at time zone %(tz)s)::date <= %(as_of)s
        order by e.at desc limit 1
    ) pr
    where c.promise_status in ('kept', 'broken') and y.promise_status is distinct from c.promise_status
),

-- what one action of each kind costs (the policy's cost key; a kind without one costs nothing)
costs as (
    select kind, cost from unnest(%(cost_kinds)s::text[], %(cost_amounts)s::numeric[]) as k(kind, cost)
),

-- champion and challengers side by side (SPEC 9): the actions that go out (or went out), their
-- cost, the cases, those opened and cured, and what was recovered, per variant
variant_figures as (
    select v.variant, jsonb_build_object(
        'cases', (select count(*) from cases c where c.variant = v.variant),
        'opened', (select count(*) from cases c where c.variant = v.variant and c.opened_on = %(as_of)s),
        'cured', (select count(*) from cases c where c.variant = v.variant and c.status = 'cured'),
        'actions', (select count(*) from actions a
                    where a.variant = v.variant and a.status in ('planned', 'sent', 'delivered', 'deferred')
                    and a.reason is distinct from 'capacity'),
        'cost', (select coalesce(sum(k.cost), 0)::text from actions a join costs k using (kind)
                 where a.variant = v.variant and a.status in ('planned', 'sent', 'delivered', 'deferred')
                    and a.reason is distinct from 'capacity'),
        'recovered', (select coalesce(sum(r.amount), 0)::text from recovered r where r.variant = v.variant)
    ) as figures
    from (select variant from cases union select variant from actions union select variant from recovered) v
)

insert into collections.portfolio_day as p (portfolio, as_of, dag_id, run_id, dry_run, figures)
select
    %(portfolio)s,
    %(as_of)s,
    %(dag_id)s,
    %(run_id)s,
    %(dry_run)s,
    jsonb_build_object(
        'cases', (select count(*) from cases),
        'opened', (select count(*) from cases where opened_on = %(as_of)s),
        'cured', (select count(*) from cases where status = 'cured'),
        'closed', (select count(*) from cases where status = 'closed'),
        'on_hold', (select count(*) from cases where status = 'on_hold'),
        'overdue_amount', (select coalesce(sum(overdue_amount), 0)::text from cases where status in ('open', 'on_hold')),
        'cases_by_stage_bucket', coalesce((
            select jsonb_object_agg(k, n) from (
                select coalesce(stage, '-') || ' ' || bucket as k, count(*) as n
                from cases where status in ('open', 'on_hold') group by 1
            ) x), '{}'::jsonb),
        'actions_by_kind_status', coalesce((
            select jsonb_object_agg(k, n) from (
                select kind || ' ' || status as k, count(*) as n from actions group by 1
            ) x), '{}'::jsonb),
        'suppressed_by_reason', coalesce((
            select jsonb_object_agg(reason, n) from (
                select reason, count(*) as n from actions where status = 'suppressed' group by 1
            ) x), '{}'::jsonb),
        'recovered', (select coalesce(sum(amount), 0)::text from recovered),
        'recovered_unattributed', (select coalesce(sum(amount), 0)::text from recovered where action_kind is null),
        'recovered_by_stage', coalesce((
            select jsonb_object_agg(k, total::text) from (
                select coalesce(stage, '-') as k, sum(amount) as total from recovered group by 1
            ) x), '{}'::jsonb),
        'recovered_by_action', coalesce((
            select jsonb_object_agg(k, total::text) from (
                select coalesce(action_kind || ' ' || action_channel, 'unattributed') as k, sum(amount) as total
                from recovered group by 1
            ) x), '{}'::jsonb),
        'recovered_by_bucket', coalesce((
            select jsonb_object_agg(bucket, total::text) from (
                select bucket, sum(amount) as total from recovered group by 1
            ) x), '{}'::jsonb),
        'recovered_by_variant', coalesce((
            select jsonb_object_agg(variant, total::text) from (
                select variant, sum(amount) as total from recovered group by 1
            ) x), '{}'::jsonb),
        'promises_kept', (select count(*) from promises_decided where promise_status = 'kept'),
        'promised_kept', (select coalesce(sum(amount), 0)::text from promises_decided where promise_status = 'kept'),
        'promises_broken', (select count(*) from promises_decided where promise_status = 'broken'),
        'promised_broken', (select coalesce(sum(amount), 0)::text from promises_decided where promise_status = 'broken'),
        'by_variant', coalesce((select jsonb_object_agg(variant, figures) from variant_figures), '{}'::jsonb),
        'delinquency_reasons', coalesce((
            select jsonb_object_agg(delinquency_reason, n) from (
                select delinquency_reason, count(*) as n from cases
                where status in ('open', 'on_hold') and delinquency_reason is not null group by 1
            ) x), '{}'::jsonb),
        'contact_outcomes', coalesce((
            select jsonb_object_agg(contact_outcome, n) from (
                select contact_outcome, count(*) as n from cases
                where status in ('open', 'on_hold') and contact_outcome is not null group by 1
            ) x), '{}'::jsonb),
        'quarantined_by_reason', coalesce((
            select jsonb_object_agg(reason, n) from (
                select split_part(reason, ':', 1) as reason, count(*) as n from quarantined group by 1
            ) x), '{}'::jsonb)
    )
-- a dry run after a real run of the day refreshes the figures but leaves the day
-- reported by the real run (the deadline check and the UI read that)
on conflict (portfolio, as_of) do update
set dag_id = case when excluded.dry_run and not p.dry_run then p.dag_id else excluded.dag_id end,
    run_id = case when excluded.dry_run and not p.dry_run then p.run_id else excluded.run_id end,
    dry_run = p.dry_run and excluded.dry_run,
    figures = excluded.figures
returning figures;
