-- Serialise a load's writes to a portfolio's accounts with that portfolio's evaluations
-- (of any day), so that the load number an evaluation records covers every row it saw.
select pg_advisory_xact_lock(hashtext('collections-data'), hashtext(%(portfolio)s));
