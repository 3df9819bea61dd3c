-- Portfolios that a full load of the drop writes to: stored ones and new ones in the drop.
select portfolio from collections.account
union
select scope from pg_temp.chk_accounts where reason is null
order by 1;
