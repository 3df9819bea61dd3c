-- Give each staged customer row the first reason it cannot be loaded (null = valid).
-- Customers belong to no portfolio themselves: scope stays null.
with zones as materialized (
    select name from pg_timezone_names
)
update collections.stg_customers s
set reason = case
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
        select 1 from collections.stg_customers d
        where d.load_id = s.load_id and d.customer_id = s.customer_id and d.position < s.position
          and d.parse_error is null
          and (d.full_name, d.phone, d.region, d.timezone, d.language, d.address)
              is distinct from (s.full_name, s.phone, s.region, s.timezone, s.language, s.address)
    ) then 'customer_id repeated in this drop with other content'
end
where s.load_id = %(load_id)s;
