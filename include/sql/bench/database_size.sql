-- The size of the database the session is connected to, in bytes (its files: tables, indexes, and the
-- temporary tables of its sessions).
select pg_database_size(current_database())
