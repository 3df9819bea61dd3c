-- bench/ui_lists.py: each portfolio's cases and actions on a day, the largest first (the lists timed are its).
select cs.portfolio, count(*) as cases,
       (select count(*) from collections.action_log al
        where al.portfolio = cs.portfolio and al.as_of = cs.as_of) as actions
from collections.case_state cs
where cs.as_of = %(as_of)s
group by cs.portfolio, cs.as_of
order by cases desc, cs.portfolio;
