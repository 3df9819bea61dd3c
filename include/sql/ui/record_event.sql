-- An outcome recorded on the account page, as an event of the account (SPEC 2, source 'ui').
insert into collections.event (event_id, account_id, at, kind, amount, until, reason, source, recorded_by, feed_date)
values (%(event_id)s, %(account_id)s, %(at)s, %(kind)s, %(amount)s, %(until)s, %(reason)s, 'ui', %(recorded_by)s,
        %(feed_date)s);
