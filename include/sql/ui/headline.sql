-- The headline of each portfolio's latest reported day (the widget on Airflow's dashboard): its open and
-- on-hold cases, those on the legal rung, the day's actions planned, sent, delivered and failed, and the
-- rows quarantined, counted now from the tables the lists read (so that each number is the total of the
-- list it opens, after the outbox's sends too); the money recovered as the report wrote it.
with latest as (
    select distinct on (portfolio) portfolio, as_of, dag_id, run_id, dry_run, figures
    from collections.portfolio_day
    order by portfolio, as_of desc
)
select
    l.portfolio, l.as_of, l.dag_id, l.run_id, l.dry_run,
    c.open_cases, c.legal, a.planned, a.sent, a.delivered, a.failed, q.quarantined,
    coalesce(l.figures ->> 'recovered', '0') as recovered,
    (select string_agg(distinct acc.currency, '/' order by acc.currency) from collections.account acc where acc.portfolio = l.portfolio)
        as currency
from latest l
cross join lateral (
    select count(*) filter (where cs.status in ('open', 'on_hold')) as open_cases,
           count(*) filter (where cs.status in ('open', 'on_hold') and cs.stage = 'legal') as legal
    from collections.case_state cs
    where cs.portfolio = l.portfolio and cs.as_of = l.as_of
) c
cross join lateral (
    select count(*) filter (where al.status = 'planned') as planned,
           count(*) filter (where al.status = 'sent') as sent,
           count(*) filter (where al.status = 'delivered') as delivered,
           count(*) filter (where al.status = 'failed') as failed
    from collections.action_log al
    where al.portfolio = l.portfolio and al.as_of = l.as_of
) a
cross join lateral (
    select count(*) as quarantined
    from collections.quarantine qr
    where qr.feed_date = l.as_of and qr.portfolio = l.portfolio
) q
order by l.dag_id, l.portfolio;
