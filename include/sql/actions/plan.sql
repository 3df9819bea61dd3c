-- Write the day's actions of one rung for the portfolio (SPEC sections 4-5):
-- every open case on the rung whose action is due today gets one action,
-- planned, or suppressed with the reason a rule gives. Keyed by
-- (case, kind, as_of): an action already handed to a partner is never replaced.
-- What the rules do depends on the stage kind's switches (debt_collections.stages):
-- contact, stopped_by_cease_contact, stopped_by_promise, scored.
with due as (
    select
        cs.case_id,
        cs.account_id,
        cs.customer_id,
        cs.dpd,
        cs.overdue_amount,
        cs.cease_contact,
        cs.suppress_reason,
        cu.phone,
        cu.region,
        cu.language,
        cu.timezone,
        case
            when %(channel)s <> 'sms_or_letter' then %(channel)s
            when cu.phone is not null then 'sms'
            else 'letter'
        end as channel
    from collections.case_state cs
    join collections.customer cu using (customer_id)
    where cs.portfolio = %(portfolio)s
      and cs.as_of = %(as_of)s
      and cs.status = 'open'
      and cs.stage = %(stage)s
      and cs.action_due
),

ruled as (
    select
        d.*,
        case
            when d.cease_contact and %(stopped_by_cease_contact)s then 'cease_contact'
            when d.suppress_reason is not null and %(stopped_by_promise)s then d.suppress_reason
        end as rule
    from due d
),

-- Daily caps per customer and channel (SPEC section 5: one SMS per customer per
-- day, three connected calls per debtor per day): among a customer's accounts,
-- the ones with the most overdue money get the day's contacts.
caps as (
    select channel, daily_limit, rule_name
    from unnest(%(cap_channels)s::text[], %(cap_limits)s::int[], %(cap_rules)s::text[])
        as c(channel, daily_limit, rule_name)
),

ranked as (
    select
        r.*,
        c.daily_limit,
        c.rule_name as cap_rule,
        case
            when r.rule is null and c.channel is not null
                then row_number() over (
                    partition by r.customer_id, r.channel, (r.rule is null)
                    order by r.overdue_amount desc, r.account_id
                )
        end as cap_rank
    from ruled r
    left join caps c on c.channel = r.channel
)

insert into collections.action_log (
    idempotency_key, portfolio, as_of, account_id, customer_id, case_id, kind, stage, status, reason,
    channel, assignee, template, priority, window_opens_at, window_closes_at, dry_run
)
select
    r.case_id || ':' || %(kind)s || ':' || to_char(%(as_of)s::date, 'YYYY-MM-DD'),
    %(portfolio)s,
    %(as_of)s,
    r.account_id,
    r.customer_id,
    r.case_id,
    %(kind)s,
    %(stage)s,
    case when r.rule is not null or r.cap_rank > r.daily_limit then 'suppressed' else 'planned' end,
    coalesce(r.rule, case when r.cap_rank > r.daily_limit then r.cap_rule end),
    r.channel,
    nullif(replace(replace(%(assignee)s, '{region}', r.region), '{portfolio}', %(portfolio)s), ''),
    replace(replace(%(template)s, '{channel}', r.channel), '{language}', r.language),
    case when %(scored)s
        then round(least(r.dpd, 90) * 50.0 / 90 + least(r.overdue_amount, 20000) * 50.0 / 20000, 2)
    end,
    -- customer contact waits for the window in the customer's own timezone,
    -- on the day after as_of (the run happens overnight)
    case when %(contact)s
        then ((%(as_of)s::date + 1) + %(window_start)s::time) at time zone r.timezone
    end,
    case when %(contact)s
        then ((%(as_of)s::date + 1) + %(window_end)s::time) at time zone r.timezone
    end,
    %(dry_run)s
from ranked r
on conflict (case_id, kind, as_of) do nothing;
