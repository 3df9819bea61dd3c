-- Build the indexes and check the foreign keys that begin_bulk_load put aside, over the whole load.
select collections.end_bulk_load() as made;
