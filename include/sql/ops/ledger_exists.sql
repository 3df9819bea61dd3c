select to_regclass('collections.schema_migration') is not null as present;
