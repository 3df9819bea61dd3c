-- Benchmark reference: how many accounts the policy's portfolios hold.
select count(*)::bigint as n from collections.account where portfolio = any(%(portfolios)s);
