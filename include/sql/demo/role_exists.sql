-- Whether a role of this name exists on the server.
select 1 as found from pg_roles where rolname = %(name)s
