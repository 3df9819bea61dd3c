-- A simulation's scratch schema, made by the owner's function (migration 0024): the app role may not create schemas.
select collections.create_scratch_schema(%(schema)s) as schema;
