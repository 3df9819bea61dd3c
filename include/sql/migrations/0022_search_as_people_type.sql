-- Search as people type it (issue #13): account and customer ids case-insensitively and by prefix,
-- phone numbers in local or E.164 form and by their last digits, and names by any part. Each has
-- an index, so a search stays an index look-up on a book of millions of accounts:
-- ids: upper(id) with text_pattern_ops serves "upper(id) like 'AC0001%'";
-- phones: the digits reversed serve a suffix as a prefix ("...1234" is "4321..." reversed), which
-- finds a local number (13912341234) inside its E.164 form (+8613912341234) and the last 4 digits;
-- names: trigrams (pg_trgm, a trusted extension) serve "full_name ilike '%fang%'" where the server
-- has the extension; where it does not (the demo's embedded server ships no contrib modules) the
-- search still works and reads the names without an index.
--
-- amends: 5fca57c2ae4d453ec2377029e39bf268e71d5b5a03625ca0181a89fb0d71318b
-- (this file as first landed, which required pg_trgm; where it ran, it made what this one makes)

create function collections.phone_digits_reversed(phone text) returns text
language sql immutable parallel safe strict
set search_path = pg_catalog as $$
    select reverse(regexp_replace(phone, '[^0-9]', '', 'g'))
$$;

create index account_id_upper_idx on collections.account (upper(account_id) text_pattern_ops);
create index account_customer_upper_idx on collections.account (upper(customer_id) text_pattern_ops);
create index customer_id_upper_idx on collections.customer (upper(customer_id) text_pattern_ops);
create index customer_phone_reversed_idx on collections.customer
    (collections.phone_digits_reversed(phone) text_pattern_ops);
do $$
begin
    if exists (select from pg_catalog.pg_available_extensions where name = 'pg_trgm') then
        create extension if not exists pg_trgm;
        create index customer_name_trgm_idx on collections.customer using gin (full_name public.gin_trgm_ops);
    else
        raise notice 'pg_trgm is not installed on this server: name search reads collections.customer without an index';
    end if;
end
$$;
