-- The book as stored, into the scratch schema: the customers with an account in the simulated
-- portfolios, every account of theirs (the one-SMS-a-day cap and the wrong-number rule read a
-- customer's other accounts), and those accounts' installments, repayments and events.
with customers as (
    select distinct customer_id from collections.account where portfolio = any(%(portfolios)s::text[])
),

accounts as (
    select a.* from collections.account a join customers using (customer_id)
),

c as (
    insert into {scratch}.customer select cu.* from collections.customer cu join customers using (customer_id)
    returning 1
),

a as (
    insert into {scratch}.account select * from accounts returning 1
),

i as (
    insert into {scratch}.installment
    select i.* from collections.installment i where i.account_id in (select account_id from accounts)
    returning 1
),

r as (
    insert into {scratch}.repayment
    select r.* from collections.repayment r where r.account_id in (select account_id from accounts)
    returning 1
),

e as (
    insert into {scratch}.event
    select e.* from collections.event e where e.account_id in (select account_id from accounts)
    returning 1
)

select (select count(*) from c) as customers, (select count(*) from a) as accounts,
       (select count(*) from i) as installments, (select count(*) from r) as repayments,
       (select count(*) from e) as events;
