insert into rowwise_action (account_id, kind) values (%(account_id)s, %(kind)s);
