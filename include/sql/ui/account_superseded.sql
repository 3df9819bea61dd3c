-- The account's superseded evaluations and unsent actions (SPEC section 12), newest first:
-- what each said, the run that wrote it, and when and by which run it was replaced.
select
    s.as_of,
    case s.entity when 'case_state' then 'case' else 'action' end as what,
    s.case_id,
    s.row_data ->> 'status' as status,
    s.row_data ->> 'stage' as stage,
    (s.row_data ->> 'dpd')::integer as dpd,
    s.row_data ->> 'kind' as kind,
    s.row_data ->> 'reason' as reason,
    s.run_id,
    s.superseded_at,
    s.superseded_by
from collections.superseded s
where s.account_id = %(account_id)s
order by s.as_of desc, s.superseded_at desc, s.id desc
