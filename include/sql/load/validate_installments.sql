-- Check each staged installment row once, into pg_temp.chk_installments: the first reason it cannot
-- be loaded (null = valid), the portfolio of its account as scope (a valid account in this drop,
-- else the stored one), its values typed; the raw text kept for a rejected row only. Staging is
-- read, never rewritten. The date and the amount are checked once a distinct value, not once a row (a
-- book's 3.6 million installments hold about 2,000 dates and 250 amounts; the checks' regular
-- expressions cost about 1 µs each a call).
with valid_accounts as (
    select distinct on (account_id) account_id, portfolio
    from pg_temp.chk_accounts
    where reason is null
    order by account_id, position
),

due_dates as (
    select v, collections.is_date(v) as ok from (select distinct due_date as v from pg_temp.stg_installments) d
),

amounts as (
    select v, collections.is_decimal(v) as ok from (select distinct amount_due as v from pg_temp.stg_installments) d
),

-- the keys delivered more than once (in a book's drop, none or a handful), as stored: a seq without its leading
-- zeros (097 is seq 97), of 1 to 6 characters (an empty one or one of 7 digits is refused on its own and is no
-- other row's first; a seq with any other character is refused, and so is every row it could match). Found by
-- counting (hashed), not by sorting every row of the drop
repeated as (
    select account_id, ltrim(seq, '0') as seq_key
    from pg_temp.stg_installments
    where parse_error is null and length(seq) between 1 and 6
    group by account_id, ltrim(seq, '0')
    having count(*) > 1
),

-- the first row of each of those keys, its values typed where they can be (a row whose values cannot be is
-- refused before its repeats are looked at); the checks run on these few rows only
firsts as (
    select distinct on (r.account_id, r.seq_key) r.account_id, r.seq_key,
           case when collections.is_date(st.due_date) then st.due_date::date end as due_date_v,
           case when collections.is_decimal(st.amount_due) then st.amount_due::numeric end as amount_due_v
    from repeated r
    join pg_temp.stg_installments st
      on st.account_id = r.account_id and ltrim(st.seq, '0') = r.seq_key
     and st.parse_error is null and length(st.seq) between 1 and 6
    order by r.account_id, r.seq_key, st.position
)

insert into pg_temp.chk_installments (position, scope, reason, raw, account_id, seq, due_date, amount_due)
select v.position, v.portfolio, v.reason, case when v.reason is not null then v.raw end, v.account_id,
       case when v.reason is null then v.seq::integer end,
       case when v.reason is null then v.due_date::date end,
       case when v.reason is null then v.amount_due::numeric end
from (select s.*, case
    when s.parse_error is not null then s.parse_error
    when s.account_id is null then 'missing field: account_id'
    when s.seq is null then 'missing field: seq'
    when s.due_date is null then 'missing field: due_date'
    when s.amount_due is null then 'missing field: amount_due'
    when s.seq !~ '^[0-9]{1,6}$' then 'seq is not a whole number: ' || left(s.seq, 32)
    when not s.due_date_ok then 'bad date in due_date: ' || left(s.due_date, 32)
    when not s.amount_due_ok then 'amount_due is not a finite decimal with at most 2 places: ' || left(s.amount_due, 32)
    when s.amount_due::numeric < 0 then 'amount_due is negative: ' || s.amount_due
    when s.portfolio is null then 'unknown account_id: ' || left(s.account_id, 64)
    when s.conflicts then 'installment (account_id, seq) repeated in this drop with other content'
end as reason
from (
    select
        st.*,
        coalesce(sa.portfolio, a.portfolio) as portfolio,
        dd.ok as due_date_ok,
        am.ok as amount_due_ok,
        -- a later row of the same key whose values differ from the first one's
        f.account_id is not null
            and (case when dd.ok then st.due_date::date end, case when am.ok then st.amount_due::numeric end)
                is distinct from (f.due_date_v, f.amount_due_v) as conflicts
    from pg_temp.stg_installments st
    left join valid_accounts sa using (account_id)
    left join collections.account a on a.account_id = st.account_id
    left join due_dates dd on dd.v = st.due_date
    left join amounts am on am.v = st.amount_due
    left join firsts f on f.account_id = st.account_id and f.seq_key = ltrim(st.seq, '0') and st.parse_error is null
) s
-- offset 0: the reason is computed once a row (pulled up, it would be computed again for each use below)
offset 0
) v;
