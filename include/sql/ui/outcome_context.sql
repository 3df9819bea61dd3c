-- What recording an outcome on an account needs: its portfolio, the DAG and timezone of the policy
-- that last reported that portfolio (UTC until it has been reported), and its case's latest status.
select
    a.account_id,
    a.portfolio,
    pp.dag_id,
    coalesce(pp.timezone, 'UTC') as timezone,
    (select cs.status from collections.case_state cs
     where cs.account_id = a.account_id order by cs.as_of desc, cs.opened_on desc limit 1) as case_status
from collections.account a
left join collections.portfolio_policy pp using (portfolio)
where a.account_id = %(account_id)s;
