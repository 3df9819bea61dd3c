-- After COPY of the events rows: statistics, so that validation's joins are planned from the real
-- row count.
analyze pg_temp.stg_events;
