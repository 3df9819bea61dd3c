-- A scratch sequence standing in for a live one (simulate/set_sequence.sql gives it the live value).
create sequence {scratch}.{name};
