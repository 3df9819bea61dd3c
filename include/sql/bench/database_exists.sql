-- bench/ui_lists.py: whether the benchmark's database is there (built by an earlier run).
select 1 as found from pg_database where datname = %(name)s;
