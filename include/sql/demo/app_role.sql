-- The app role of the collections database (migration 0016).
select collections.app_role() as name
