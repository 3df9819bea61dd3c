-- The customer's postal address, where a letter goes (an optional feed field beyond SPEC
-- section 2: a feed without it loads as before, and its letters carry no address block).
alter table collections.customer add column address text;
alter table collections.stg_customers add column address text;
