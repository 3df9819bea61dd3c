-- Memory for the large sorts and hash joins of a drop or of a portfolio's day, for this transaction only.
set local work_mem = '256MB';
