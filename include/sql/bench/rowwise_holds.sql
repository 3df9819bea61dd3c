-- Benchmark reference: one account's events up to the day (holds, promises, plans).
select kind, until from collections.event
where account_id = %(account_id)s and (at at time zone %(tz)s)::date <= %(as_of)s order by at;
