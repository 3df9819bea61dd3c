-- The staging tables of one load: temporary, so this session's alone (concurrent loads never
-- meet), written without WAL, and dropped by the server when the session ends however it ends
-- (load/clear_staging.sql drops them sooner). Staged, every field as text, exactly as delivered, with
-- its line (csv) or item (http) number, raw text and parse error; no index is kept up while
-- they fill (load/index_staging.sql adds the few that validation looks rows up by). One
-- statement, so that it runs as one (the tables are created in a block).
do $$
begin
    create temporary table stg_customers (
        position bigint not null, raw text not null, parse_error text,
        customer_id text, full_name text, phone text, region text, timezone text, language text, address text
    );
    create temporary table stg_accounts (
        position bigint not null, raw text not null, parse_error text,
        account_id text, customer_id text, portfolio text, product text, vin text, currency text,
        principal_outstanding text, opened_on text, status text, risk_grade text
    );
    create temporary table stg_installments (
        position bigint not null, raw text not null, parse_error text,
        account_id text, seq text, due_date text, amount_due text
    );
    create temporary table stg_repayments (
        position bigint not null, raw text not null, parse_error text,
        payment_id text, account_id text, paid_at text, amount text, reverses text, channel text
    );
    create temporary table stg_events (
        position bigint not null, raw text not null, parse_error text,
        event_id text, account_id text, at text, kind text, amount text, until text, reason_code text,
        event_source text
    );
    -- each staged row checked once (load/validate_*.sql): scope (the portfolio it belongs to, null
    -- when none), the first reason it cannot be loaded (null = valid), the raw text of a rejected
    -- row only, and the values, typed where the row is valid
    create temporary table chk_customers (
        position bigint not null, scope text, reason text, raw text,
        customer_id text, full_name text, phone text, region text, timezone text, language text, address text
    );
    create temporary table chk_accounts (
        position bigint not null, scope text, reason text, raw text,
        account_id text, customer_id text, portfolio text, product text, vin text, currency text,
        principal_outstanding numeric, opened_on date, status text, risk_grade text
    );
    create temporary table chk_installments (
        position bigint not null, scope text, reason text, raw text,
        account_id text, seq integer, due_date date, amount_due numeric
    );
    create temporary table chk_repayments (
        position bigint not null, scope text, reason text, raw text,
        payment_id text, account_id text, paid_at timestamptz, amount numeric, reverses text, channel text
    );
    create temporary table chk_events (
        position bigint not null, scope text, reason text, raw text,
        event_id text, account_id text, at timestamptz, kind text, amount numeric, until date, reason_code text,
        event_source text
    );
end
$$;
