-- This load's number, stamped on every row it writes or changes (incremental arrears).
-- Taken under the portfolios' data locks, so an evaluation never misses a load in flight.
select nextval('collections.load_seq') as load_seq;
