-- Make the entity's staging table again for a CSV file COPYed into it as it is (migration 0032,
-- collections.stage_csv_table): the file's columns in its header's order (header: their staging names).
select collections.stage_csv_table(%(staging)s, %(header)s);
