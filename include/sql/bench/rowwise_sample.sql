-- Benchmark reference: a sample of the accounts of the policy's portfolios, in account order.
select account_id, portfolio from collections.account
where portfolio = any(%(portfolios)s) order by account_id limit %(size)s;
