-- Serialise the plans of one kind's orders of a day while a roster deals out its slots
-- (portfolios share a region's assignees); released at transaction end. Always taken
-- after the (portfolio, as_of) lock.
select pg_advisory_xact_lock(hashtext('collections.capacity'), hashtext(%(kind)s || '|' || %(as_of)s::date::text));
