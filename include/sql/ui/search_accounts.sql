-- Accounts matching a search term exactly: an account id, a customer id or a phone number.
with by_account as (
    select account_id from collections.account where account_id = %(q)s
),

by_customer as (
    select a.account_id
    from collections.account as a
    where a.customer_id = %(q)s
),

by_phone as (
    select a.account_id
    from collections.customer as c
    inner join collections.account as a on a.customer_id = c.customer_id
    where c.phone = %(q)s
),

matches as (
    select account_id from by_account
    union
    select account_id from by_customer
    union
    select account_id from by_phone
)

select a.account_id, a.customer_id, a.portfolio, a.product, a.status, c.full_name, c.phone
from matches as m
inner join collections.account as a on a.account_id = m.account_id
inner join collections.customer as c on c.customer_id = a.customer_id
order by a.account_id
limit %(limit)s
