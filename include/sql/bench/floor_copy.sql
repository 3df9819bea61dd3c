copy floor_drop (line) from stdin;
