-- One snapshot for the whole copy: the book and the state before the first day are read as of the same instant,
-- even while a live run writes.
set transaction isolation level repeatable read;
