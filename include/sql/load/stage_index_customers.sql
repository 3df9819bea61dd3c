-- After COPY of the customers rows: the index validation looks staged rows up by (a customer repeated with other content),
-- built once over the full table instead of kept up row by row while it filled, and statistics,
-- so that validation's joins are planned from the real row count.
do $$
begin
    create index on pg_temp.stg_customers (customer_id);
    analyze pg_temp.stg_customers;
end
$$;
