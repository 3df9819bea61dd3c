-- After COPY of the repayments rows: the index validation looks staged rows up by (a reversal of a payment in the same drop),
-- built once over the full table instead of kept up row by row while it filled, and statistics,
-- so that validation's joins are planned from the real row count.
do $$
begin
    create index on pg_temp.stg_repayments (payment_id);
    analyze pg_temp.stg_repayments;
end
$$;
