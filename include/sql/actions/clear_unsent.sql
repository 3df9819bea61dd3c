-- Supersede the day's actions of the chosen kinds that were not handed to a partner:
-- a rerun plans them again, and the old rows are kept in collections.superseded with
-- the run that wrote them (SPEC section 12; the function is in migration 0016). Sent,
-- delivered and failed ones are facts and stay. A dry run supersedes only dry-run
-- actions: the real ones still waiting in the outbox (deferred to the customers'
-- window) must still go out.
select collections.supersede_unsent_actions(%(portfolio)s, %(as_of)s, %(kinds)s::text[], %(dry_run)s, %(run_id)s);
