-- Stage the lines of one CSV file of the drop (pg_temp.feed_lines) into the entity's staging
-- table, read as the row-by-row reader reads them (migration 0027, collections.stage_feed_lines).
select collections.stage_feed_lines(%(staging)s, %(columns)s, %(fields)s, %(positions)s, %(width)s) as staged;
