-- Stage kinds are open (debt_collections.stages): a plugin kind such as repossession
-- writes actions too. Policies are validated against the registered kinds instead.
alter table collections.action_log drop constraint action_log_kind_check;
