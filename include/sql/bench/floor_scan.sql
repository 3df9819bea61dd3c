-- Benchmark floor: read the history the day's arrears need once (every installment, every repayment).
select
    (select sum(amount_due) from collections.installment) as installments_total,
    (select sum(amount) from collections.repayment) as repayments_total;
