select count(*) as n from collections.action where status = 'sent';
