-- Fresh statistics after COPY, so that validation plans hash joins, not nested loops
-- (through a function that runs as the tables' owner).
select collections.analyze_staging();
