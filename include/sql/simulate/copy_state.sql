-- Where history stood before the first simulated day, per portfolio: the case rows of its last
-- evaluated day before it (the next day's cases continue from them), that day's arrears and
-- how they were computed (the next day's incremental arrears start from them), the actions
-- the rules look back on (the last 14 days: the 7-day call cap, and every action of a case
-- still open, for a rung that acts once per case), and the policy rows recoveries read.
with last_cases as (
    select portfolio, max(as_of) as as_of
    from collections.case_state
    where portfolio = any(%(portfolios)s::text[]) and as_of < %(from)s
    group by portfolio
),

last_arrears as (
    select portfolio, max(as_of) as as_of
    from collections.arrears_day
    where portfolio = any(%(portfolios)s::text[]) and as_of < %(from)s
    group by portfolio
),

cases as (
    insert into {scratch}.case_state
    select cs.* from collections.case_state cs join last_cases l using (portfolio, as_of)
    returning case_id, status
),

arrears as (
    insert into {scratch}.account_day
    select ad.* from collections.account_day ad join last_arrears l using (portfolio, as_of)
    returning 1
),

computed as (
    insert into {scratch}.arrears_day
    select d.* from collections.arrears_day d join last_arrears l using (portfolio, as_of)
    returning 1
),

actions as (
    insert into {scratch}.action_log
    select al.* from collections.action_log al
    where al.portfolio = any(%(portfolios)s::text[]) and al.as_of < %(from)s
      and (al.as_of >= %(from)s::date - 14
           or al.case_id in (select cs.case_id from collections.case_state cs join last_cases l using (portfolio, as_of)
                             where cs.status in ('open', 'on_hold')))
    returning 1
),

policies as (
    insert into {scratch}.portfolio_policy
    select pp.* from collections.portfolio_policy pp where pp.portfolio = any(%(portfolios)s::text[])
    returning 1
)

select (select count(*) from cases) as case_rows, (select count(*) from arrears) as arrears_rows,
       (select count(*) from computed) as arrears_days, (select count(*) from actions) as actions,
       (select count(*) from policies) as policies;
