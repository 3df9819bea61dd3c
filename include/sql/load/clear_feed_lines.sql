-- Empty feed_lines for the next file, its numbering from 1 again.
truncate pg_temp.feed_lines restart identity;
