-- Benchmark reference: one account's installments that fell due before the day.
select seq, due_date, amount_due from collections.installment
where account_id = %(account_id)s and due_date < %(as_of)s order by due_date, seq;
