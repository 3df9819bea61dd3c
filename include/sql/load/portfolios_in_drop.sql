-- Portfolios that a full load of the drop writes to: stored ones and new ones in the drop.
select portfolio from collections.account
union
select scope from collections.stg_accounts where load_id = %(load_id)s and reason is null
order by 1;
