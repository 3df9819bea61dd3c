-- Recoveries (SPEC section 8): what the ladder brought in, attributed to the last contact.
--
-- What each portfolio's policy says about attribution, written by every run's report step:
-- recoveries read the day in the policy's timezone and its attribution_days from here.
create table collections.portfolio_policy (
    portfolio        text primary key,
    dag_id           text not null,
    timezone         text not null,
    attribution_days integer not null check (attribution_days between 1 and 90),
    updated_at       timestamptz not null default now()
);

-- The recoveries of the repayments paid in [p_from, p_to): one row per repayment
-- (reversals included, negative) paid on a day d, in the policy's timezone, when the
-- account had a case open or on hold on d - 1, with that case's bucket and stage on
-- d - 1 and the action it is credited to: the latest sent or delivered action of the
-- case sent before the payment and at most attribution_days before it (last touch;
-- none: a self-cure). A reversal is credited like the payment it reverses (that
-- payment's time and case). The bounds let the day's report read one day by the
-- index on paid_at; the view below is every day.
create function collections.recoveries(p_from timestamptz, p_to timestamptz)
returns table (
    paid_on date, payment_id text, account_id text, portfolio text, case_id text, amount numeric(17, 2),
    bucket text, stage text, variant text, action_kind text, action_channel text, action_as_of date,
    days_after_action integer
)
language sql stable set search_path = pg_catalog, collections as $$
    with paid as (
        select r.payment_id, r.account_id, r.paid_at, r.amount, r.reverses, a.portfolio,
               coalesce(pp.timezone, 'UTC') as tz, coalesce(pp.attribution_days, 7) as attribution_days,
               (r.paid_at at time zone coalesce(pp.timezone, 'UTC'))::date as paid_on
        from collections.repayment r
        join collections.account a on a.account_id = r.account_id
        left join collections.portfolio_policy pp on pp.portfolio = a.portfolio
        where r.paid_at >= p_from and r.paid_at < p_to
    )
    select
        p.paid_on, p.payment_id, p.account_id, p.portfolio, cs.case_id, p.amount, cs.bucket, cs.stage,
        cs.variant,
        t.kind, t.channel, t.as_of,
        (coalesce(o.paid_at, p.paid_at) at time zone p.tz)::date - (t.sent_at at time zone p.tz)::date
    from paid p
    join collections.case_state cs
      on cs.account_id = p.account_id and cs.as_of = p.paid_on - 1 and cs.status in ('open', 'on_hold')
    left join collections.repayment o on o.payment_id = p.reverses
    left join collections.case_state ocs
      on ocs.account_id = o.account_id and ocs.as_of = (o.paid_at at time zone p.tz)::date - 1
     and ocs.status in ('open', 'on_hold')
    left join lateral (
        select al.kind, al.channel, al.as_of, al.sent_at
        from collections.action_log al
        where al.case_id = case when p.reverses is null then cs.case_id else ocs.case_id end
          and al.status in ('sent', 'delivered') and not al.dry_run
          and al.sent_at < coalesce(o.paid_at, p.paid_at)
          and al.sent_at >= coalesce(o.paid_at, p.paid_at) - make_interval(days => p.attribution_days)
        order by al.sent_at desc, al.idempotency_key desc
        limit 1
    ) t on true
$$;

-- The output contract's recoveries (SPEC 8): every day.
create view collections.recovery as
select * from collections.recoveries('-infinity', 'infinity');

do $$
begin
    execute format('grant execute on function collections.recoveries(timestamptz, timestamptz) to %I',
                   collections.app_role());
end
$$;
