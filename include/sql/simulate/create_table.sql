-- One scratch table shaped like its live table: columns, defaults, checks, keys and indexes; a
-- column generated as identity gets a sequence of its own in the scratch schema (no live
-- sequence advances). Unlogged: the scratch schema is dropped at the end anyway.
create unlogged table {scratch}.{table} (like collections.{table} including all);
