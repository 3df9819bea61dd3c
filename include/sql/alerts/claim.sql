-- Claim the right to send one alert; a row that exists already means it went out before.
insert into collections.alert_log (dag_id, as_of, kind, detail)
values (%(dag_id)s, %(as_of)s, %(kind)s, %(detail)s)
on conflict do nothing;
