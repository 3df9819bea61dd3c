-- The DAG and timezone of the policy that last reported each portfolio, for reruns over a range.
select portfolio, dag_id, timezone from collections.portfolio_policy order by portfolio;
