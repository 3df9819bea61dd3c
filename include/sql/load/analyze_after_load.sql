-- Fresh statistics of the tables a large load changed (see migration 0011); the names analysed.
select collections.analyze_after_load(%(rows_written)s) as analysed;
