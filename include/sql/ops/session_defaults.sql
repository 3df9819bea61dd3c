-- Every connection of the product's, once, when it opens: no JIT compilation. The daily statements
-- work on a portfolio's day (thousands of rows), but their estimated costs (CTEs, generate_series)
-- pass jit_above_cost, and compiling them cost more than running them: cases/evaluate.sql at
-- 300,000 accounts ran 2,229 ms with JIT (1,960 ms of it compiling) and 320 ms without
-- (bench/explain.py, bench/RESULTS.md "The next day without JIT"). A first load showed no
-- difference (20,000 accounts, 21.52 and 21.63 s with JIT, 20.43 and 22.04 s without).
set jit = off;
