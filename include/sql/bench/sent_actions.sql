-- Actions that reached their partner: sent, or delivered once a receipt came back.
select count(*) as n from collections.action where status in ('sent', 'delivered');
