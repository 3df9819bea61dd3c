insert into collections.schema_migration (version, name, checksum)
values (%(version)s, %(name)s, %(checksum)s);
