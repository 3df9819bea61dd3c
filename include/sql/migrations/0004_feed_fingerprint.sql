-- A fingerprint of each day's whole drop, to catch a drop that repeats the day before.
create table collections.feed_fingerprint (
    feed_date   date primary key,
    fingerprint text not null,
    rows_in     integer not null
);
