-- Accounts matching a search term as people type it (migration 0022 indexes each way):
--   id_prefix: an account id or customer id, any case, or the start of one;
--   digits_reversed: a phone number's digits reversed (local or E.164 form, or its last digits);
--   name: a part of the customer's name (at least 2 characters).
-- A null parameter switches that way off. Paged: limit and offset; total counts every match.
with matches as (
    select a.account_id
    from collections.account as a
    where upper(a.account_id) like %(id_prefix)s || '%%'
    union
    select a.account_id
    from collections.account as a
    where upper(a.customer_id) like %(id_prefix)s || '%%'
    union
    select a.account_id
    from collections.customer as c
    inner join collections.account as a on a.customer_id = c.customer_id
    where collections.phone_digits_reversed(c.phone) like %(digits_reversed)s || '%%'
    union
    select a.account_id
    from collections.customer as c
    inner join collections.account as a on a.customer_id = c.customer_id
    where c.full_name ilike '%%' || %(name)s || '%%'
)

select a.account_id, a.customer_id, a.portfolio, a.product, a.status, c.full_name, c.phone,
       count(*) over () as total
from matches as m
inner join collections.account as a on a.account_id = m.account_id
inner join collections.customer as c on c.customer_id = a.customer_id
order by a.account_id
limit %(limit)s offset %(offset)s
