-- What a call agent learnt, recorded on the account page (issue #14): an event with source 'ui'
-- and the name of the user who recorded it (null for the feed's own events). The app role may
-- insert events (0016), never change or delete one: a mistaken entry is corrected by a later one.
alter table collections.event add column recorded_by text
    check (recorded_by is null or source = 'ui');
