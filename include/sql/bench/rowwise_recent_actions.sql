-- Benchmark reference: one account's actions of the last seven days, for the frequency caps.
select kind, count(*) as n from collections.action_log
where account_id = %(account_id)s and as_of > %(as_of)s::date - 7 and as_of <= %(as_of)s
group by kind;
