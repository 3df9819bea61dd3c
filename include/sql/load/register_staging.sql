-- List this load's staging rows (committed with them, so a load that dies after staging is found).
insert into collections.staging_load (load_id) values (%(load_id)s);
