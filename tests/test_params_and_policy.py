"""Run params and policy loading: pure Python, no database."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pendulum
import pytest

from debt_collections.domain.params import days_of_markers, default_as_of, parse_run_params
from debt_collections.domain.policy import Feed
from debt_collections.errors import ConfigError
from debt_collections.policy.loader import MAX_POLICY_BYTES, load_policy, parse_policy

STANDARD = Path(__file__).resolve().parents[1] / "dags" / "policies" / "standard.yaml"
DEFAULTS = STANDARD.with_name("defaults.yaml")
LEASE = STANDARD.with_name("lease.yaml")
POLICY = load_policy(STANDARD)


def test_standard_policy_is_the_spec_ladder():
    assert POLICY.dag_id == "collections_standard"
    assert POLICY.timezone == "Asia/Shanghai"
    assert [
        (r.stage, r.min_dpd, r.enter.overdue_amount_at_least, r.repeat_every_days, r.sticky) for r in POLICY.ladder
    ] == [
        ("notice", 1, None, 3, False),
        ("call", 8, None, 1, False),
        ("visit", 31, None, 14, False),
        ("legal", 91, Decimal("5000.00"), None, True),
    ]
    assert POLICY.tolerance == Decimal("1.00") and POLICY.max_reject_ratio == Decimal("0.01")
    c = POLICY.contact
    assert (
        c.window_start.hour,
        c.window_end.hour,
        c.max_sms_per_customer_per_day,
        c.max_connected_calls_per_debtor_per_day,
        c.max_dial_attempts_per_number_per_day,
        c.max_call_attempts_per_account_per_7_days,
    ) == (8, 21, 1, 3, 6, 7)


@pytest.mark.parametrize(
    ("logical", "expected"),
    [
        (datetime(2026, 11, 29, 0, 0, tzinfo=UTC), "2026-11-28"),  # 08:00 in Shanghai on the 29th
        (datetime(2026, 11, 28, 18, 0, tzinfo=UTC), "2026-11-28"),  # 02:00 in Shanghai on the 29th
        (datetime(2026, 11, 28, 15, 59, tzinfo=UTC), "2026-11-27"),
    ],  # 23:59 in Shanghai on the 28th
)
def test_a_scheduled_run_evaluates_the_day_before_its_logical_date_in_the_policy_timezone(logical, expected):
    assert default_as_of(logical, "Asia/Shanghai").to_date_string() == expected


def test_params_defaults_and_round_trip():
    p = parse_run_params({}, POLICY, datetime(2026, 11, 29, tzinfo=UTC))
    assert (p.as_of, p.portfolios, p.stages, p.dry_run) == (pendulum.date(2026, 11, 28), None, POLICY.stages, False)
    q = parse_run_params(
        {"as_of": "2026-11-20", "portfolios": ["P2", "P1", "P1"], "stages": ["legal", "notice"], "dry_run": True},
        POLICY,
        None,
    )
    assert (q.as_of.to_date_string(), q.portfolios, q.stages, q.dry_run) == (
        "2026-11-20",
        ("P1", "P2"),
        ("notice", "legal"),
        True,
    )
    # through XCom as Airflow's serializer stores it (the DAG module allows the class)
    from airflow.sdk import serde

    import debt_collections.airflow.factory  # noqa: F401  (allows the classes, as parsing the DAG does)

    assert serde.deserialize(json.loads(json.dumps(serde.serialize(q)))) == q


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"as_of": "2026-02-30"}, "param as_of must be a date YYYY-MM-DD, got '2026-02-30'"),
        ({"as_of": "2026-11-28T10:00:00"}, "param as_of must be a date"),
        ({"as_of": "2026-11-28", "portfolios": "P1"}, "param portfolios must be a list"),
        ({"as_of": "2026-11-28", "portfolios": ["P1'; drop table x; --"]}, "is not a portfolio name"),
        ({"as_of": "2026-11-28", "stages": ["repossess"]}, "unknown stage(s) repossess"),
        ({"as_of": "2026-11-28", "dry_run": "yes"}, "param dry_run must be true or false"),
        ({}, "param as_of is required"),
    ],
)
def test_bad_params_are_refused_before_reaching_sql(raw, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_run_params(raw, POLICY, None)


def test_a_portfolio_outside_the_policy_is_refused():
    narrow = parse_policy(STANDARD.read_text().replace('portfolios: ["*"]', 'portfolios: ["AUTO-*"]'), "narrow.yaml")
    assert narrow.covers("AUTO-EAST") and not narrow.covers("LEASE-WEST")
    with pytest.raises(ConfigError, match="'LEASE-WEST' is not covered by policy collections_standard"):
        parse_run_params({"as_of": "2026-11-28", "portfolios": ["LEASE-WEST"]}, narrow, None)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


# (text to replace, replacement, the line the error must name: a needle in the broken text, message)
BROKEN = [
    (
        "dpd_at_least: 31",
        "dpd_at_least: thirty",
        "dpd_at_least: thirty",
        "ladder[2].enter.dpd_at_least: Input should be a valid integer",
    ),
    ("schedule:", "schedul:", "schedul:", "schedul: unknown key"),
    (
        "timezone: Asia/Shanghai",
        "timezone: Mars/Base",
        "timezone: Mars",
        "timezone: Value error, unknown IANA timezone",
    ),
    (
        "action: visit",
        "action: repossess",
        "action: repossess",
        "ladder[2].action: Value error, unknown stage kind 'repossess'; known: notice, call, visit, legal",
    ),
    ('portfolios: ["*"]', 'portfolios: ["P 1"]', "portfolios:", "portfolios: Value error, 'P 1' is not a portfolio"),
    (
        "repeat_every_days: 14",
        "repeat_every_days: 14\n    once_per_case: true",
        "- stage: visit",
        "ladder[2]: Value error, set exactly one",
    ),
    (
        'enter: {dpd_at_least: 91, overdue_amount_at_least: "5000.00"}',
        'enter: {dpd_at_least: 91, overdue_amount_at_least: "5000.001"}',
        'overdue_amount_at_least: "5000.001',
        "ladder[3].enter.overdue_amount_at_least: Decimal input should have no more than 2 decimal places",
    ),
    ("dag_id: collections_standard", "dag_id: Collections Standard", "dag_id:", "dag_id: String should match pattern"),
    ("dag_id: collections_standard\n", "", "description:", "dag_id: required key is missing"),
    ("    sticky: true", "    sticky: yes please", "sticky: yes", "ladder[3].sticky: Input should be a valid boolean"),
    ("ladder:", "ladder: [\n", "  - stage: notice", "not valid YAML: expected the node content"),
]


# the same for the keys the lease policy shows: reminders, buckets, risk grades, broken promises
BROKEN_LEASE = [
    (
        "days_before_due: 3",
        "days_before_due: 0",
        "days_before_due: 0",
        "reminders[0].days_before_due: Input should be greater than or equal to 1, got 0",
    ),
    (
        'channel: sms_or_letter\n    template: "courtesy',
        'channel: dialer\n    template: "courtesy',
        "channel: dialer",
        "reminders[0].channel: Input should be 'sms_or_letter', 'sms' or 'letter', got 'dialer'",
    ),
    (
        "bucket_at_least: M2",
        "bucket_at_least: M9",
        "bucket_at_least: M9",
        "ladder[2].enter.bucket_at_least: Input should be 'M1', 'M2', 'M3', 'M4', 'M5', 'M6' or 'M7+', got 'M9'",
    ),
    (
        "risk_grades: [C, D, E]",
        "risk_grades: []",
        "risk_grades: []",
        "ladder[3].enter.risk_grades: List should have at least 1 item after validation, not 0",
    ),
    (
        "risk_grades: [C, D, E]",
        'risk_grades: [C, "D grade"]',
        "risk_grades: [C",
        "ladder[3].enter.risk_grades[1]: String should match pattern",
    ),
    (
        "broken_promises_at_least: 1",
        "broken_promises_at_least: none",
        "broken_promises_at_least: none",
        "ladder[2].enter.broken_promises_at_least: Input should be a valid integer",
    ),
    (
        "enter: {bucket_at_least: M2, broken_promises_at_least: 1}",
        "enter: {broken_promises_at_least: 1}",
        "enter: {broken",
        "ladder[2].enter: Value error, set dpd_at_least (an integer >= 1) or bucket_at_least",
    ),
    (
        "enter: {dpd_at_least: 121,",
        "enter: {dpd_at_least: 20,",
        "ladder:",
        "ladder: Value error, ladder rungs must be listed lowest first: ladder[3] (legal) can be entered from dpd 20, "
        "below ladder[2] (visit) at dpd 31",
    ),
    (
        "  - stage: courtesy",
        "  - stage: notice",
        "ladder:",
        "ladder: Value error, ladder stages must be unique, reminders included: notice is used twice",
    ),
    (
        "  - stage: courtesy",
        "  - stage: report",
        "ladder:",
        "ladder: Value error, stage 'report' is the name of a step of the day (prepare, load_feed, evaluate, "
        "choose_stages, report), which a rung's task would clash with",
    ),
]


@pytest.mark.parametrize(
    ("path", "old", "new", "where", "message"),
    [(STANDARD, *b) for b in BROKEN] + [(LEASE, *b) for b in BROKEN_LEASE],
    ids=[b[3][:40] for b in BROKEN + BROKEN_LEASE],
)
def test_policy_errors_name_file_line_and_key(path, old, new, where, message):
    text = path.read_text()
    assert old in text
    broken = text.replace(old, new, 1)
    source = f"dags/policies/{path.name}"
    with pytest.raises(ConfigError) as err:
        parse_policy(broken, source)
    expected = f"{source}:{line_of(broken, where)}: {message}"
    assert expected in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("preset: cn", "preset: uk", "preset:", "contact.preset: Input should be 'cn' or 'us'"),
        ('tolerance: "1.00"', 'tolerance: "-1"', "tolerance:", "tolerance: Input should be greater than or equal to 0"),
        (
            "sms: collections_sms",
            "sms: Collections SMS",
            "sms: Collections",
            "connections.partners.sms: String should match pattern",
        ),
        ("retries: 2", "retrys: 2", "retrys:", "retrys: unknown key"),
    ],
)
def test_errors_in_shared_defaults_name_the_defaults_file(tmp_path, old, new, where, message):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "standard.yaml").write_text(STANDARD.read_text())
    broken = STANDARD.with_name("defaults.yaml").read_text().replace(old, new, 1)
    (folder / "defaults.yaml").write_text(broken)
    with pytest.raises(ConfigError) as err:
        load_policy(folder / "standard.yaml")
    assert f"{folder / 'defaults.yaml'}:{line_of(broken, where)}: {message}" in str(err.value), str(err.value)


def test_a_policy_overrides_the_shared_defaults(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "defaults.yaml").write_text(STANDARD.with_name("defaults.yaml").read_text())
    (folder / "strict.yaml").write_text(
        STANDARD.read_text().replace(
            "ladder:", 'tolerance: "0.00"\ncontact:\n  max_sms_per_customer_per_day: 2\nladder:', 1
        )
    )
    policy = load_policy(folder / "strict.yaml")
    assert policy.tolerance == Decimal("0.00")
    assert policy.contact.max_sms_per_customer_per_day == 2
    assert policy.contact.window_end.hour == 21  # the rest of contact still comes from the defaults
    assert policy.owner == "collections-ops"


def test_a_yaml_alias_bomb_is_refused_at_once_naming_the_line(tmp_path):
    import time

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(STANDARD.read_text() + "\n".join(levels) + "\n")
    first_anchor = len(STANDARD.read_text().splitlines()) + 1  # a0's line
    started = time.monotonic()
    message = (
        f"bomb.yaml:{first_anchor}: YAML anchors and aliases (&name, *name) are not allowed in a policy file: "
        "write the value out, or put shared keys in defaults.yaml"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_policy(bomb)
    assert time.monotonic() - started < 1.0


def test_an_oversized_policy_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(STANDARD.read_text() + "#" * (300 * 1024) + "\n")
    with pytest.raises(ConfigError, match=r"big.yaml: policy file of \d+ bytes, over the 262144 allowed"):
        load_policy(big)


def test_policy_text_of_the_size_allowed_is_read_and_a_byte_more_is_refused():
    """The same cap on text handed to the parser (a policy given as text, not read from a file)."""
    defaults = (DEFAULTS.read_text(), str(DEFAULTS))
    text = STANDARD.read_text()
    at = text + "#" * (MAX_POLICY_BYTES - len(text.encode("utf-8")) - 1) + "\n"
    assert len(at.encode("utf-8")) == MAX_POLICY_BYTES
    assert parse_policy(at, "at.yaml", defaults=defaults).dag_id == "collections_standard"
    with pytest.raises(ConfigError, match=re.escape("over.yaml: policy text over the 262144 bytes allowed")):
        parse_policy(at + "#", "over.yaml", defaults=defaults)


def test_a_control_character_in_policy_text_is_refused_as_not_valid_yaml_naming_it():
    with pytest.raises(ConfigError, match=re.escape("ctl.yaml: not valid YAML: unacceptable character #x0007")):
        parse_policy("dag_id: x\nbad: \x07\n", "ctl.yaml")


def test_a_day_before_the_policys_start_date_is_refused_naming_the_key():
    assert POLICY.start_date.isoformat() == "2020-01-01"
    with pytest.raises(ConfigError, match=r"param as_of 2019-12-31 is before policy collections_standard's start_date"):
        parse_run_params({"as_of": "2019-12-31"}, POLICY, None)
    assert parse_run_params({"as_of": "2020-01-01"}, POLICY, None).as_of.isoformat() == "2020-01-01"


def test_delivery_channels_and_their_connection_ids():
    from debt_collections.domain.policy import Partners

    # each channel once, in ladder order; a notice's sms_or_letter is both
    assert POLICY.delivery_channels() == ["sms", "letter", "dialer", "field_app", "legal_portal"]
    subprime = load_policy(STANDARD.with_name("subprime.yaml"))
    assert subprime.delivery_channels() == ["sms", "letter", "dialer", "field_app", "recovery_agency", "legal_portal"]
    partners = Partners(sms="sms_partner", recovery_agency="collections_recovery")
    assert partners.conn_ids() == {
        "sms": "sms_partner",
        "letter": "collections_letters",
        "dialer": "collections_dialer",
        "field_app": "collections_field",
        "legal_portal": "collections_legal",
        "recovery_agency": "collections_recovery",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "param as_of is required when the run has no logical date"),
        ({"as_of": "2026-11-28-" + "9" * 40}, f"param as_of must be a date YYYY-MM-DD, got '2026-11-28-{'9' * 29}'"),
        (
            {"as_of": "2019-12-31"},
            "param as_of 2019-12-31 is before policy collections_standard's start_date 2020-01-01: "
            "set start_date in the policy to run earlier days",
        ),
        ({"as_of": "2026-11-28", "portfolios": 5}, "param portfolios must be a list of portfolio names (empty = all)"),
        (
            {"as_of": "2026-11-28", "portfolios": ["P" * 70]},
            f"param portfolios: '{'P' * 40}' is not a portfolio name "
            "(letters, digits, '_', '.', '-'; at most 64 characters)",
        ),
        ({"as_of": "2026-11-28", "stages": 5}, "param stages must be a list of stage names (empty = all)"),
        (
            {"as_of": "2026-11-28", "stages": ["repossess", "sue"]},
            "param stages: unknown stage(s) repossess, sue; policy collections_standard has notice, call, visit, legal",
        ),
        (
            {"as_of": "2026-11-28", "resend_failed": "y" * 30},
            f"param resend_failed must be true or false, got '{'y' * 20}'",
        ),
    ],
    ids=[
        "no-day",
        "not-a-date",
        "before-start",
        "portfolios-not-a-list",
        "bad-name",
        "stages-not-a-list",
        "unknown",
        "flag",
    ],
)
def test_a_refused_param_is_named_with_the_fix_in_a_whole_sentence(raw, message):
    with pytest.raises(ConfigError) as err:
        parse_run_params(raw, POLICY, None)
    assert str(err.value) == message


def test_a_portfolio_outside_the_policy_names_the_policys_portfolios():
    two = STANDARD.read_text().replace('portfolios: ["*"]', 'portfolios: ["AUTO-*", "FLEET-*"]')
    with pytest.raises(ConfigError) as err:
        parse_run_params({"as_of": "2026-11-28", "portfolios": ["LEASE-WEST"]}, parse_policy(two, "two.yaml"), None)
    assert str(err.value) == (
        "param portfolios: 'LEASE-WEST' is not covered by policy collections_standard (portfolios: AUTO-*, FLEET-*)"
    )


def test_flags_and_the_default_day_in_the_policys_timezone():
    # 17:00 UTC on 2026-11-28 is 01:00 on 2026-11-29 in Shanghai: the run evaluates 2026-11-28
    late = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    p = parse_run_params({"as_of": "", "resend_failed": True, "confirm_data_quality": True}, POLICY, late)
    assert (p.as_of, p.resend_failed, p.confirm_data_quality, p.dry_run) == (
        pendulum.date(2026, 11, 28),
        True,
        True,
        False,
    )
    assert parse_run_params({"as_of": "2026-11-28"}, POLICY, None).confirm_data_quality is False


def test_what_a_message_may_use_of_the_payment_details_and_the_signature():
    messages = POLICY.messages
    assert messages.payment.variables("ACC1") == {
        "bank_name": "中国工商银行上海分行",
        "bank_account_name": "安达汽车金融有限公司",
        "bank_account_no": "6222 0210 0100 8866",
        "hotline": "400-820-1234",
        "hotline_hours": "08:00-21:00",
        "pay_link": "https://pay.anda.cn/r/ACC1",  # the page of the account, not the pattern
    }
    assert (messages.signature_for("en"), messages.signature_for("fr")) == ("Anda Auto Finance", "")


def test_times_of_day_keep_their_minutes():
    from datetime import time

    text = STANDARD.read_text() + 'contact:\n  window: {start: "08:30", end: "20:45"}\n'
    contact = parse_policy(text, "minutes.yaml").contact
    assert (contact.window_start, contact.window_end) == (time(8, 30), time(20, 45))
    assert POLICY.alerts.deadline_time == time(7, 30)


def test_a_repayment_is_implausible_from_the_end_of_the_days_ahead_in_the_policys_timezone():
    # the drop of 2026-11-28, one day ahead allowed: from 2026-11-30 00:00 in Shanghai (16:00 UTC the day before)
    edge = POLICY.feed.paid_at_before(pendulum.date(2026, 11, 28), POLICY.timezone)
    assert edge == pendulum.datetime(2026, 11, 29, 16, 0, tz="UTC")


# -- starting when the data arrives (the drop's ready marker, docs/OPERATIONS.md) ---------------------------

MARKED = parse_policy(
    STANDARD.read_text().replace(
        "\ntimezone: Asia/Shanghai\n", '\ntimezone: Asia/Shanghai\nfeed: {ready_marker: "{date}/_READY"}\n'
    ),
    str(STANDARD),
)


def test_a_run_the_ready_marker_started_evaluates_the_day_the_marker_names():
    started = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai on the 28th: the drop of the 28th
    days = days_of_markers([{"as_of": "2026-11-28", "marker": "/drops/2026-11-28/_READY"}])
    p = parse_run_params({}, MARKED, None, run_after=started, marker_days=days)
    assert p.as_of == pendulum.date(2026, 11, 28)
    # the same run without the marker's day would have evaluated the day before it ran
    assert parse_run_params({}, MARKED, None, run_after=started).as_of == pendulum.date(2026, 11, 27)
    # a param as_of still wins (a run triggered by hand)
    assert parse_run_params({"as_of": "2026-11-20"}, MARKED, None, marker_days=days).as_of == pendulum.date(
        2026, 11, 20
    )


def test_a_run_with_no_logical_date_and_no_day_of_a_marker_evaluates_the_day_before_it_ran():
    run_after = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai on the 29th
    assert parse_run_params({}, MARKED, None, run_after=run_after).as_of == pendulum.date(2026, 11, 28)
    # the day is the policy's: 17:00 UTC on the 28th is already 01:00 on the 29th in Shanghai
    late = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    assert parse_run_params({}, MARKED, None, run_after=late).as_of == pendulum.date(2026, 11, 28)
    # an asset event posted by hand (no payload of a marker) names no day
    assert days_of_markers([None, True, {"from": "api"}, "2026-11-01"]) == []
    with pytest.raises(ConfigError, match="param as_of is required"):
        parse_run_params({}, MARKED, None)


def test_markers_of_several_days_in_one_run_fail_naming_the_days():
    days = days_of_markers([{"as_of": "2026-11-28"}, {"as_of": "2026-11-27"}, {"as_of": "2026-11-28"}])
    assert days == [pendulum.date(2026, 11, 27), pendulum.date(2026, 11, 28)]
    with pytest.raises(ConfigError, match=r"ready markers of 2 days \(2026-11-27, 2026-11-28\).*param as_of"):
        parse_run_params({}, MARKED, None, marker_days=days)
    with pytest.raises(ConfigError, match="the ready marker's as_of must be a date"):
        days_of_markers([{"as_of": "2026-11-31"}])


def test_the_ready_marker_is_off_by_default_and_names_its_day():
    assert POLICY.feed.ready_marker is None
    feed = MARKED.feed
    assert (feed.ready_marker, feed.ready_poll_seconds) == ("{date}/_READY", 30)
    assert feed.marker_glob() == "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/_READY"
    assert feed.marker_day("2026-11-28/_READY") == pendulum.date(2026, 11, 28)
    assert feed.marker_day("2026-02-30/_READY") is None  # the shape of a date, not a date
    assert feed.marker_day("2026-11-28/_READY.tmp") is None
    nested = Feed(ready_marker="in/{date}.ready")
    assert nested.marker_day("in/2026-11-28.ready") == pendulum.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("_READY", "must hold {date} exactly once"),
        ("{date}/{date}", "must hold {date} exactly once"),
        ("{day}/_READY", "must hold {date} exactly once"),
        ("../{date}/_READY", "must stay inside the drops' folder"),
        ("/data/drops/{date}/_READY", "String should match pattern"),
    ],
)
def test_a_bad_ready_marker_is_refused_naming_the_key(marker, message):
    text = STANDARD.read_text().replace(
        "\ntimezone: Asia/Shanghai\n", f'\ntimezone: Asia/Shanghai\nfeed: {{ready_marker: "{marker}"}}\n'
    )
    with pytest.raises(ConfigError, match="ready_marker") as caught:
        parse_policy(text, str(STANDARD))
    assert message in str(caught.value)


def test_a_ready_marker_is_refused_for_a_feed_that_is_not_files():
    text = STANDARD.read_text().replace(
        "\ntimezone: Asia/Shanghai\n",
        '\ntimezone: Asia/Shanghai\nfeed: {source: http, ready_marker: "{date}/_READY"}\n',
    )
    with pytest.raises(ConfigError, match="ready_marker is for csv drops"):
        parse_policy(text, str(STANDARD))


def test_a_ready_marker_pattern_needs_a_ready_marker():
    from debt_collections.domain.policy import Feed

    with pytest.raises(ValueError, match="^no ready_marker$"):
        Feed().marker_glob()
