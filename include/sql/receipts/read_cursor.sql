-- Where the channel's receipts were read up to (none: from the start).
select cursor from collections.receipt_cursor where channel = %(channel)s;
