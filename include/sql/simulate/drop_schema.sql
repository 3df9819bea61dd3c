-- Drop a simulation's scratch schema and everything in it (migration 0024).
select collections.drop_scratch_schema(%(schema)s) as dropped;
