-- Into an empty book, load without secondary indexes and foreign keys (migration 0028): what was
-- put aside, empty when the book already holds rows.
select collections.begin_bulk_load() as aside;
