-- What the portfolio's policy says about recoveries (SPEC 8): its timezone and attribution window.
insert into collections.portfolio_policy (portfolio, dag_id, timezone, attribution_days)
values (%(portfolio)s, %(dag_id)s, %(tz)s, %(attribution_days)s)
on conflict (portfolio) do update
set dag_id = excluded.dag_id, timezone = excluded.timezone, attribution_days = excluded.attribution_days,
    updated_at = now()
where (portfolio_policy.dag_id, portfolio_policy.timezone, portfolio_policy.attribution_days)
      is distinct from (excluded.dag_id, excluded.timezone, excluded.attribution_days);
