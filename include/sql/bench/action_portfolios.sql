select distinct portfolio from collections.action_log order by portfolio;
