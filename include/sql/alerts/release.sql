-- The alert could not be sent: forget the claim so that the next check tries again.
delete from collections.alert_log where dag_id = %(dag_id)s and as_of = %(as_of)s and kind = %(kind)s;
