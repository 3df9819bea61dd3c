-- Upsert the valid customers of the drop. In a run limited to some portfolios,
-- only customers with an account in those portfolios are touched.
insert into collections.customer as c (customer_id, full_name, phone, region, timezone, language, address, feed_date)
select distinct on (s.customer_id)
       s.customer_id, s.full_name, s.phone, s.region, s.timezone, s.language, s.address, %(feed_date)s::date
from pg_temp.chk_customers s
where s.reason is null
  and (%(portfolios)s::text[] is null
       or s.customer_id in (select a.customer_id from pg_temp.chk_accounts a
                            where a.reason is null and a.portfolio = any(%(portfolios)s::text[]))
       or s.customer_id in (select a.customer_id from collections.account a
                            where a.portfolio = any(%(portfolios)s::text[])))
order by s.customer_id, s.position
on conflict (customer_id) do update
set full_name = excluded.full_name, phone = excluded.phone, region = excluded.region,
    timezone = excluded.timezone, language = excluded.language, address = excluded.address, feed_date = excluded.feed_date
where (c.full_name, c.phone, c.region, c.timezone, c.language, c.address)
      is distinct from (excluded.full_name, excluded.phone, excluded.region, excluded.timezone, excluded.language,
                        excluded.address);
