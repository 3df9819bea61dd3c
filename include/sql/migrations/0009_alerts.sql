-- Alerts already sent, so that an hourly check alerts once per DAG, day and kind.
create table collections.alert_log (
    dag_id   text not null,
    as_of    date not null,
    kind     text not null,
    sent_at  timestamptz not null default now(),
    detail   jsonb not null,
    primary key (dag_id, as_of, kind)
);
