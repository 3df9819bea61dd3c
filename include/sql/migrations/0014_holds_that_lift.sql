-- Holds that lift (SPEC section 2): bankruptcy_dismissed lifts a bankruptcy hold and
-- contact_allowed lifts cease_contact, each from its `at` on.
alter table collections.event drop constraint event_kind_check;
alter table collections.event add constraint event_kind_check check (kind in (
    'dispute', 'dispute_resolved', 'bankruptcy', 'bankruptcy_dismissed', 'deceased', 'cease_contact',
    'contact_allowed', 'promise_to_pay', 'payment_plan', 'conversation'
));
