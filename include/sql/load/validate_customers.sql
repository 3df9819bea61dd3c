-- Check each staged customer row once, into pg_temp.chk_customers: the first reason it cannot be
-- loaded (null = valid) and its values; the raw text kept for a rejected row only (the quarantine's).
-- Staging is read, never rewritten. Customers belong to no portfolio themselves: scope stays null.
insert into pg_temp.chk_customers (position, reason, raw, customer_id, full_name, phone, region, timezone, language, address)
with zones as materialized (
    select name from pg_timezone_names
)
select v.position, v.reason, case when v.reason is not null then v.raw end,
       v.customer_id, v.full_name, v.phone, v.region, v.timezone, v.language, v.address
from (select s.*, case
    when s.parse_error is not null then s.parse_error
    when s.customer_id is null then 'missing field: customer_id'
    when s.full_name is null then 'missing field: full_name'
    when s.region is null then 'missing field: region'
    when s.timezone is null then 'missing field: timezone'
    when s.language is null then 'missing field: language'
    -- a name that a spreadsheet would run as a formula when a report is opened
    when s.full_name ~ '^[=+@\t\r-]' then 'full_name starts with a formula character (= + - @ tab): not loaded'
    -- UTF-8 read as Latin-1 or cp1252 somewhere upstream ("å¼ ä¸‰" for 张三)
    when s.full_name ~ '[\u00c2-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc\u2013-\u203a\u20ac\u2122]'
        then 'full_name looks like mojibake (UTF-8 text decoded as Latin-1 or cp1252)'
    when s.address ~ '^[=+@\t\r-]' then 'address starts with a formula character (= + - @ tab): not loaded'
    when s.phone is not null and s.phone !~ '^\+[1-9][0-9]{6,14}$' then 'bad phone: not in E.164 form'
    when s.timezone not in (select name from zones) then 'unknown timezone: ' || left(s.timezone, 64)
    when s.language not in ('zh-CN', 'en') then 'bad language: ' || left(s.language, 16) || ' (allowed: zh-CN, en)'
    when exists (
        select 1 from pg_temp.stg_customers d
        where d.customer_id = s.customer_id and d.position < s.position
          and d.parse_error is null
          and (d.full_name, d.phone, d.region, d.timezone, d.language, d.address)
              is distinct from (s.full_name, s.phone, s.region, s.timezone, s.language, s.address)
    ) then 'customer_id repeated in this drop with other content'
end as reason
from pg_temp.stg_customers s
-- offset 0: the reason is computed once a row (pulled up, it would be computed again for each use below)
offset 0
) v;
