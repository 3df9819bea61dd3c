-- A timestamp's UTC offset is one the server can read: hours 00 to 15, minutes 00 to 59. The check of 0001
-- let any two digits through (+16:00, +08:75), and the cast that followed raised "time zone displacement
-- out of range", which stopped the whole load instead of quarantining the row (repayments' paid_at,
-- events' at). The same function, its pattern narrowed; callers and grants are unchanged.
create or replace function collections.is_timestamptz(v text) returns boolean
language sql immutable parallel safe
return case
    when v is null or v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)$' then false
    when not collections.is_date(substr(v, 1, 10)) then false
    else substr(v, 12, 2)::int < 24 and substr(v, 15, 2)::int < 60
         and (substr(v, 17, 1) <> ':' or substr(v, 18, 2)::int < 60)
end;
