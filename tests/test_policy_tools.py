"""Tools for policy writers: lint, the committed JSON Schema, sandboxed templates, preview."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from debt_collections.cli import main
from debt_collections.policy.lint import schema_text
from debt_collections.policy.templates import REMINDER_SAMPLE, SAMPLE, TemplateError, money, render, template_root

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "dags" / "policies"


def test_committed_schema_equals_the_generated_one():
    assert (POLICIES / "policy.schema.json").read_text(encoding="utf-8") == schema_text()
    assert main(["schema", "--check", str(POLICIES / "policy.schema.json")]) == 0


def test_lint_passes_on_the_shipped_policies(capsys):
    assert main(["lint", str(POLICIES)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "dpd_at_least: 8",
            "dpd_at_least: 0",
            "ladder[1].enter.dpd_at_least: Input should be greater than or equal to 1",
        ),
        ("dpd_at_least: 31", "dpd_at_least: 5", "ladder rungs must be listed lowest first"),
        (
            'template: "call_script.{language}"',
            'template: "no_such_script.{language}"',
            "no_such_script.zh-CN.j2 does not exist",
        ),
        ("stage: call", "stage: notice", "ladder stages must be unique"),
        ("channel: dialer", "channel: pigeon", "ladder[1]: Value error, channel 'pigeon' is not one of call's: dialer"),
        ("timezone: Asia/Shanghai", "timezone: 8", "timezone: Input should be a valid string"),
    ],
)
def test_lint_fails_with_a_non_zero_exit_on_a_broken_policy(tmp_path, capsys, old, new, problem):
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    text = (folder / "standard.yaml").read_text()
    assert old in text
    (folder / "standard.yaml").write_text(text.replace(old, new, 1))
    assert main(["lint", str(folder)]) == 1
    assert problem in capsys.readouterr().err


def test_lint_finds_a_duplicate_dag_id(tmp_path, capsys):
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    shutil.copy(folder / "standard.yaml", folder / "copy.yaml")
    assert main(["lint", str(folder)]) == 1
    assert "dag_id collections_standard is already used" in capsys.readouterr().err


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ self._TemplateReference__context }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_a_template_cannot_reach_python_internals(tmp_path, source):
    (tmp_path / "evil.en.j2").write_text(source)
    with pytest.raises(TemplateError, match="not allowed in a template: access to attribute"):
        render("evil.en", SAMPLE, tmp_path)


def test_an_undefined_variable_fails_instead_of_printing_nothing(tmp_path):
    (tmp_path / "typo.en.j2").write_text("Dear {{ nmae }}")
    with pytest.raises(TemplateError, match="'nmae' is undefined; the variables are name, account_ref"):
        render("typo.en", SAMPLE, tmp_path)


def test_a_template_that_does_not_parse_is_named_with_its_line(tmp_path):
    (tmp_path / "broken.en.j2").write_text("Dear {{ name }},\n{% if dpd %}late\n")
    with pytest.raises(TemplateError, match=re.escape(f"{tmp_path / 'broken.en.j2'}:2: ")):
        render("broken.en", SAMPLE, tmp_path)


def test_an_amount_that_is_not_one_is_refused_naming_it():
    assert money("1234.5", "CNY", "zh-CN") == "1,234.50元" and money("1234.5", "CNY") == "CNY 1,234.50"
    with pytest.raises(TemplateError, match=re.escape("not an amount: 'twelve'")):
        money("twelve", "CNY")


def test_collections_template_dir_puts_a_lenders_own_templates_in_place_of_the_shipped_ones(tmp_path, monkeypatch):
    (tmp_path / "notice_sms.en.j2").write_text("Hello {{ name }}, from our own template")
    monkeypatch.setenv("COLLECTIONS_TEMPLATE_DIR", str(tmp_path))
    assert template_root() == tmp_path
    assert render("notice_sms.en", SAMPLE) == "Hello Wang Fang, from our own template"


def test_every_shipped_template_renders_in_both_languages(capsys):
    for path in sorted((REPO / "include" / "templates").glob("*.j2")):
        reminder = path.name.startswith("courtesy_")
        text = render(path.name[:-3], REMINDER_SAMPLE if reminder else SAMPLE)
        # amounts as each language reads them: 1,234.50元 in Chinese, CNY 1,234.50 in English
        amount = "2,150.00" if reminder else "1,234.50"
        assert (f"{amount}元" if ".zh-CN." in path.name else f"CNY {amount}") in text, path
    assert main(["preview", "notice_sms.zh-CN"]) == 0
    assert "王芳您好，您尾号1234的车贷已逾期45天，待还1,234.50元" in capsys.readouterr().out
    assert main(["preview", "courtesy_sms.en"]) == 0
    assert "CNY 2,150.00 on your car finance account ending 1234 falls due on 2026-12-01" in capsys.readouterr().out


def test_a_reminder_template_cannot_print_arrears_it_does_not_have(tmp_path):
    # a pre-due reminder has no dpd: a template that uses it fails instead of printing "None"
    (tmp_path / "courtesy_wrong.en.j2").write_text("You are {{ dpd }} days late")
    with pytest.raises(TemplateError, match="'dpd' is undefined"):
        render("courtesy_wrong.en", REMINDER_SAMPLE, tmp_path)


def test_explain_prints_the_ladder_and_why_an_account_is_on_its_rung(db, tmp_path, capsys):
    from tests.scenario import Scenario

    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-06-01", months=6, amount="2000.00")
    s.event("e1", "A1", "2026-08-30T10:00:00+08:00", "promise_to_pay", "2000.00", "2026-09-05")
    s.run("2026-09-01")
    assert (
        main(["explain", str(POLICIES / "standard.yaml"), "--db", db, "--account", "A1", "--as-of", "2026-09-01"]) == 0
    )
    out = capsys.readouterr().out
    assert "legal   dpd >= 91 and overdue >= 5000.00  legal via legal_portal" in out
    assert "dpd 92, bucket M4, overdue 6000.00, status open" in out
    assert "legal        enters  (dpd 92 >= 91, overdue 6000.00 >= 5000.00)" in out
    assert "stage: legal (the highest rung whose entry holds)" in out
    assert "rule: promise_to_pay active: calls, visits and legal suppressed" in out
    assert "action: legal suppressed (promise_to_pay) via legal_portal" in out


def test_explain_names_a_sticky_stage():
    from decimal import Decimal

    from debt_collections.domain.explain import Facts, rungs_reached
    from debt_collections.policy.loader import load_policy

    lines = rungs_reached(
        load_policy(POLICIES / "standard.yaml"), Facts(32, Decimal("2000.00")), previous_stage="legal"
    )
    assert lines[-1] == "stage: legal (sticky: the case entered it before and stays until it closes)"
    assert "visit        enters  (dpd 32 >= 31)" in lines


def test_explain_keeps_a_sticky_stage_only_above_the_rung_reached_and_ignores_a_stage_no_longer_in_the_ladder():
    from decimal import Decimal

    from debt_collections.domain.explain import Facts, rungs_reached
    from debt_collections.policy.loader import load_policy

    policy = load_policy(POLICIES / "standard.yaml")
    # in legal, and legal's entry holds today: the stage is the rung reached, not the sticky one
    held = rungs_reached(policy, Facts(100, Decimal("6000.00")), previous_stage="legal")
    assert held[-1] == "stage: legal (the highest rung whose entry holds)"
    # in legal, and no rung's entry holds today: legal all the same
    none = rungs_reached(policy, Facts(0, Decimal("0.00")), previous_stage="legal")
    assert none[-1] == "stage: legal (sticky: the case entered it before and stays until it closes)"
    # a stage the policy no longer has (a rung renamed since) is not sticky
    gone = rungs_reached(policy, Facts(32, Decimal("2000.00")), previous_stage="old_legal")
    assert gone[-1] == "stage: visit (the highest rung whose entry holds)"


def test_next_steps_name_the_rungs_next_action_and_the_first_rung_above_it():
    import datetime as dt
    from decimal import Decimal

    from debt_collections.domain.explain import Facts, next_steps
    from debt_collections.policy.loader import load_policy

    policy = load_policy(POLICIES / "standard.yaml")
    day = dt.date(2026, 11, 28)
    # on notice since 11-24 (every 3 days: 11-24, 11-27, 11-30), dpd 5: call from dpd 8
    assert next_steps(policy, Facts(5, Decimal("900.00")), "notice", dt.date(2026, 11, 24), day) == [
        "notice via sms_or_letter on 2026-11-30 (every 3 day(s) on notice)",
        "call from 2026-12-01 if still unpaid (dpd >= 8)",
    ]
    # on a rung acting once per case, at the top of the ladder: nothing above
    assert next_steps(policy, Facts(120, Decimal("6000.00")), "legal", dt.date(2026, 11, 1), day) == [
        "legal via legal_portal: once per case on legal, not repeated"
    ]
    # a case kept on visit below visit's dpd (sticky or a rung of fewer conditions): the next rung is the
    # one above visit, and a rung whose dpd the case already has but not its amount is not "from today"
    assert next_steps(policy, Facts(20, Decimal("900.00")), "visit", None, day) == [
        "legal from 2027-02-07 if still unpaid (dpd >= 91 and overdue >= 5000.00)"
    ]
    assert next_steps(policy, Facts(91, Decimal("1000.00")), "visit", None, day) == []
    # no stage yet (not overdue): the first rung, from the day the dpd reaches it
    assert next_steps(policy, Facts(0, Decimal("0.00")), None, None, day) == [
        "notice from 2026-11-29 if still unpaid (dpd >= 1)"
    ]


def test_the_facts_of_a_case_are_read_from_its_explain_row():
    from decimal import Decimal

    from debt_collections.domain.explain import Facts

    row = {"dpd": 40, "overdue_amount": Decimal("1200.00"), "product": "lease", "risk_grade": "B", "broken_promises": 2}
    assert Facts.of_case(row) == Facts(40, Decimal("1200.00"), "lease", "B", 2)


def test_the_ladder_table_reads_every_entry_condition_and_repeat():
    from debt_collections.domain.explain import ladder_table
    from debt_collections.policy.loader import load_policy

    rows = ladder_table(load_policy(POLICIES / "lease.yaml"))
    assert rows[0] == {
        "stage": "courtesy",
        "enters when": "3 day(s) before an unpaid installment falls due (not overdue)",
        "action": "reminder via sms_or_letter",
        "repeats": "once per installment",
        "sticky": "",
        "template": "courtesy_{channel}.{language}",
        "assignee": "",
    }
    assert rows[2]["repeats"] == "every 1 day(s)"
    assert rows[3] == {
        "stage": "visit",
        "enters when": "dpd >= 31 and bucket >= M2 and broken promises >= 1",
        "action": "visit via field_app",
        "repeats": "every 14 day(s)",
        "sticky": "",
        "template": "visit_order.{language}",
        "assignee": "field-agent:{region}",
    }
    assert rows[4]["enters when"] == "dpd >= 121 and overdue >= 8000.00 and risk grade in C, D, E"
    assert (rows[4]["repeats"], rows[4]["sticky"]) == ("once per case", "yes")
    repossession = ladder_table(load_policy(POLICIES / "subprime.yaml"))[3]
    assert repossession["enters when"] == "dpd >= 61 and overdue >= 3000.00 and product in loan, finance_lease"


@pytest.mark.parametrize(
    ("facts", "lines"),
    [
        (
            (45, "9000.00", "finance_lease", "B", 1),
            [
                "notice       enters  (dpd 45 >= 1)",
                "call         enters  (dpd 45 >= 10)",
                "visit        enters  (dpd 45 >= 31, bucket M2 >= M2, broken promises 1 >= 1)",
                "legal        no      (dpd 45 < 121, overdue 9000.00 >= 8000.00, risk grade B not in C, D, E)",
                "stage: visit (the highest rung whose entry holds)",
            ],
        ),
        (
            (130, "7999.99", "finance_lease", None, 0),
            [
                "notice       enters  (dpd 130 >= 1)",
                "call         enters  (dpd 130 >= 10)",
                "visit        no      (dpd 130 >= 31, bucket M5 >= M2, broken promises 0 < 1)",
                "legal        no      (dpd 130 >= 121, overdue 7999.99 < 8000.00, risk grade none not in C, D, E)",
                "stage: call (the highest rung whose entry holds)",
            ],
        ),
        (
            (121, "8000.00", "finance_lease", "C", 2),
            [
                "notice       enters  (dpd 121 >= 1)",
                "call         enters  (dpd 121 >= 10)",
                "visit        enters  (dpd 121 >= 31, bucket M5 >= M2, broken promises 2 >= 1)",
                "legal        enters  (dpd 121 >= 121, overdue 8000.00 >= 8000.00, risk grade C in C, D, E)",
                "stage: legal (the highest rung whose entry holds)",
            ],
        ),
        (
            (0, "0", "loan", None, 0),
            [
                "notice       no      (dpd 0 < 1)",
                "call         no      (dpd 0 < 10)",
                "visit        no      (dpd 0 < 31, bucket M0 < M2, broken promises 0 < 1)",
                "legal        no      (dpd 0 < 121, overdue 0 < 8000.00, risk grade none not in C, D, E)",
                "stage: none (not overdue) (the highest rung whose entry holds)",
            ],
        ),
    ],
    ids=["visit-after-a-broken-promise", "short-of-every-condition", "at-every-boundary", "not-overdue"],
)
def test_explain_shows_each_entry_condition_held_or_not(facts, lines):
    from decimal import Decimal

    from debt_collections.domain.explain import Facts, rungs_reached
    from debt_collections.policy.loader import load_policy

    dpd, overdue, product, grade, broken = facts
    policy = load_policy(POLICIES / "lease.yaml")
    assert rungs_reached(policy, Facts(dpd, Decimal(overdue), product, grade, broken)) == lines
    # a case on a lower rung before is not held there: only a sticky rung above the reached one holds it
    assert rungs_reached(policy, Facts(dpd, Decimal(overdue), product, grade, broken), previous_stage="notice") == lines


def test_explain_shows_a_product_outside_the_rung_and_the_contact_rules_in_words():
    from decimal import Decimal

    from debt_collections.domain.explain import Facts, case_rules, describe_contact, rungs_reached
    from debt_collections.policy.loader import load_policy

    subprime = load_policy(POLICIES / "subprime.yaml")
    lines = rungs_reached(subprime, Facts(70, Decimal("5000.00"), "lease"))
    assert (
        "repossession no      (dpd 70 >= 61, overdue 5000.00 >= 3000.00, product lease not in loan, finance_lease)"
        in lines
    )
    assert lines[-1] == "stage: visit (the highest rung whose entry holds)"
    loan = rungs_reached(subprime, Facts(70, Decimal("5000.00"), "loan"))
    assert (
        "repossession enters  (dpd 70 >= 61, overdue 5000.00 >= 3000.00, product loan in loan, finance_lease)" in loan
    )
    assert loan[-1] == "stage: repossession (the highest rung whose entry holds)"
    contact = subprime.contact
    words = (
        "window 08:00-21:00 customer local time; at most 1 SMS per customer per day, 3 connected calls per debtor "
        "per day, 6 dial attempts per number per day, 7 call attempts per account in 7 days"
    )
    assert describe_contact(contact) == words
    quiet = contact.model_copy(update={"no_call_days_after_conversation": 3})
    assert describe_contact(quiet) == words + "; no call within 3 days after a conversation"
    case = {
        "cease_contact": True,
        "suppress_reason": "payment_plan",
        "promise_status": "broken",
        "plan_status": "active",
    }
    assert case_rules(case) == [
        "cease_contact: notices, calls and visits suppressed",
        "payment_plan active: calls, visits and legal suppressed",
        "latest promise to pay: broken",
        "latest payment plan: active",
    ]
    assert case_rules(dict.fromkeys(case)) == []
