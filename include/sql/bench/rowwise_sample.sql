-- Benchmark reference: the accounts of a sample, in account order.
select account_id, portfolio from collections.account order by account_id limit %(size)s;
