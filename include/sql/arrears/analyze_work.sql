-- Statistics of the chosen accounts, so the plan of arrears/compute.sql fits their number:
-- index lookups per account for the few of an incremental day, scans for a whole portfolio.
analyze arrears_work;
