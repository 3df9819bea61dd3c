select version, name, checksum from collections.schema_migration order by version;
