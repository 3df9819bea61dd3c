-- Benchmark reference: the customer of one account (phone, timezone, language) for the contact rules.
select c.phone, c.timezone, c.language from collections.customer c
join collections.account a using (customer_id) where a.account_id = %(account_id)s;
