-- One account with its customer, for the account page.
select
    a.account_id, a.customer_id, a.portfolio, a.product, a.vin, a.currency,
    a.principal_outstanding, a.opened_on, a.status, a.feed_date,
    c.full_name, c.phone, c.region, c.timezone, c.language
from collections.account as a
inner join collections.customer as c on c.customer_id = a.customer_id
where a.account_id = %(account_id)s
