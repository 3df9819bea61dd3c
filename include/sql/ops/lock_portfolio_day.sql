-- Serialise runs of the same (portfolio, as_of); released at transaction end.
select pg_advisory_xact_lock(hashtext('collections'), hashtext(%(portfolio)s || '|' || %(as_of)s::date::text));
