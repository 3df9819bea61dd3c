-- The scratch schema's functions are made before every object they name is: check their bodies when they run.
set local check_function_bodies = off;
