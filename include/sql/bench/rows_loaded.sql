-- Benchmark only: rows read from a day's drop (all entities).
select coalesce(sum(rows_in), 0)::bigint as rows_in from collections.feed_load where feed_date = %(feed_date)s;
