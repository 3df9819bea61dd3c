-- Statistics of the work tables, so the plan of cases/evaluate.sql fits their size.
analyze case_prev, case_arrears;
