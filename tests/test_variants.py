"""SPEC 9: champion and challenger. An account's variant is the SPEC's hash of dag id and account id,
placed in consecutive ranges of the listed shares; a case keeps the variant it opened under; each
variant's rungs and contact rules are the ones its overrides give; a challenger never loosens the
contact rules.

The hash is written out here from the SPEC's formula, not taken from the product.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from debt_collections.errors import ConfigError
from debt_collections.policy.loader import load_policy
from tests.scenario import STANDARD, Scenario, d

DEFAULTS = STANDARD.with_name("defaults.yaml")


def spec_variant(dag_id: str, account_id: str, shares: list[tuple[str, str]]) -> str:
    """SPEC 9, as written there."""
    h = int(hashlib.sha256((dag_id + ":" + account_id).encode("utf-8")).hexdigest()[:8], 16) % 10000
    upto = 0
    for name, share in shares:
        upto += int(Decimal(share) * 10000)
        if h < upto:
            return name
    raise AssertionError(f"shares {shares} do not cover {h}")


def with_variants(tmp_path: Path, variants: str, name: str = "standard.yaml") -> Path:
    """standard.yaml with ``variants`` (YAML text) appended, beside a copy of defaults.yaml."""
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "defaults.yaml").write_text(DEFAULTS.read_text())
    path = folder / name
    path.write_text(STANDARD.read_text() + "\n" + variants)
    return path


THREE = [("champion", "0.5"), ("gentle", "0.3"), ("firm", "0.2")]
THREE_YAML = """
variants:
  - {name: champion, share: "0.5"}
  - name: gentle
    share: "0.3"
    ladder:
      notice: {repeat_every_days: 5}
      call: {enter: {dpd_at_least: 15}}
    contact: {window: {start: "09:00", end: "20:00"}}
  - name: firm
    share: "0.2"
    ladder:
      call: {enter: {dpd_at_least: 5}}
"""


def test_the_variant_of_10000_accounts_is_the_specs_hash_and_each_follows_its_own_rungs(db, tmp_path):
    policy = load_policy(with_variants(tmp_path, THREE_YAML))
    s = Scenario(db, tmp_path, policy=policy)
    accounts = [s.account(f"V{i:05d}", first_due="2026-11-10", months=1) for i in range(10000)]
    s.run("2026-11-20")  # dpd 10: the champion calls (8), the gentle does not yet (15), the firm calls (5)

    expected = {a: spec_variant("collections_standard", a, THREE) for a in accounts}
    cases = {r["account_id"]: r for r in s.query("select account_id, variant, stage from collections.case_day")}
    assert len(cases) == 10000
    wrong = [(a, cases[a]["variant"], v) for a, v in expected.items() if cases[a]["variant"] != v]
    assert not wrong, f"{len(wrong)} accounts on another variant than SPEC 9's hash, e.g. {wrong[:5]}"
    # the ranges are the shares: 5000, 3000 and 2000 of the 10,000 hash values, so about those counts
    counts = Counter(expected.values())
    assert 4700 < counts["champion"] < 5300 and 2700 < counts["gentle"] < 3300 and 1700 < counts["firm"] < 2300
    # the Python side (the product's own) places every account where the SQL did
    assert all(policy.variant_of(a) == v for a, v in list(expected.items())[:500])

    stages = Counter((r["variant"], r["stage"]) for r in cases.values())
    assert stages == {
        ("champion", "call"): counts["champion"],
        ("gentle", "notice"): counts["gentle"],
        ("firm", "call"): counts["firm"],
    }
    actions = s.query("select variant, kind, count(*) as n from collections.action group by 1, 2 order by 1, 2")
    assert {(r["variant"], r["kind"]): r["n"] for r in actions} == {
        ("champion", "call"): counts["champion"],
        ("firm", "call"): counts["firm"],
        ("gentle", "notice"): counts["gentle"],
    }


def test_every_variants_case_takes_the_highest_rung_it_reaches(db, tmp_path):
    """Each variant's rungs keep their ladder's order: a case far behind reaches the visit in every variant,
    and one of 100 days and 9,000.00 the legal referral (the variants' rungs are bound as one list)."""
    policy = load_policy(with_variants(tmp_path, THREE_YAML))
    s = Scenario(db, tmp_path, policy=policy)
    found: dict[str, list[str]] = {"champion": [], "gentle": [], "firm": []}
    i = 0
    while min(len(v) for v in found.values()) < 2:
        account = f"X{i:04d}"
        variant = spec_variant("collections_standard", account, THREE)
        if len(found[variant]) < 2:
            dpd = 40 if not found[variant] else 100
            first_due = d("2026-11-28").subtract(days=dpd).to_date_string()
            s.account(account, first_due=first_due, months=1, amount="9000.00")
            found[variant].append(account)
        i += 1
    s.run("2026-11-28")
    stages = {v: [s.case(a, "2026-11-28")["stage"] for a in accounts] for v, accounts in found.items()}
    assert stages == {v: ["visit", "legal"] for v in found}


def test_each_variants_contact_rules_and_repeats_are_its_overrides(db, tmp_path):
    policy = load_policy(with_variants(tmp_path, THREE_YAML))
    s = Scenario(db, tmp_path, policy=policy)
    by_variant: dict[str, list[str]] = {"champion": [], "gentle": []}
    i = 0
    while min(len(v) for v in by_variant.values()) < 3:
        account = f"W{i:04d}"
        variant = spec_variant("collections_standard", account, THREE)
        if variant in by_variant and len(by_variant[variant]) < 3:
            s.account(account, first_due="2026-11-18", months=3)  # overdue from 11-19
            by_variant[variant].append(account)
        i += 1
    s.run_days("2026-11-19", "2026-11-29")

    rows = s.query(
        "select variant, as_of::text, kind, to_char(window_opens_at at time zone 'Asia/Shanghai', 'HH24:MI') as opens "
        "from collections.action_log order by 1, 2"
    )
    notices = {v: sorted({r["as_of"] for r in rows if r["variant"] == v and r["kind"] == "notice"}) for v in by_variant}
    # dpd 1 on 11-19 ... 11 on 11-29: the champion's notice every 3 days until its calls start at dpd 8
    # (11-26), the gentle's every 5 days all along (its calls start at dpd 15)
    assert notices["champion"] == ["2026-11-19", "2026-11-22", "2026-11-25"]
    assert notices["gentle"] == ["2026-11-19", "2026-11-24", "2026-11-29"]
    calls = {v: sorted({r["as_of"] for r in rows if r["variant"] == v and r["kind"] == "call"}) for v in by_variant}
    assert calls == {"champion": [f"2026-11-{day}" for day in range(26, 30)], "gentle": []}
    # each variant's contact window: the gentle's opens at 09:00, the champion's at the policy's 08:00
    opens = {(r["variant"], r["opens"]) for r in rows}
    assert opens == {("champion", "08:00"), ("gentle", "09:00")}


def test_a_case_keeps_its_variant_when_the_shares_change(db, tmp_path):
    before = [("champion", "0.5"), ("gentle", "0.5")]
    after = [("champion", "0.9"), ("gentle", "0.1")]

    def shares_yaml(shares: list[tuple[str, str]]) -> str:
        return "variants:\n" + "".join(f'  - {{name: {n}, share: "{s}"}}\n' for n, s in shares)

    s = Scenario(db, tmp_path, policy=load_policy(with_variants(tmp_path, shares_yaml(before))))
    # accounts whose variant the new shares change: on gentle's side before, on champion's after
    movers, i = [], 0
    while len(movers) < 20:
        account = f"M{i:04d}"
        if spec_variant("collections_standard", account, before) != spec_variant(
            "collections_standard", account, after
        ):
            movers.append(account)
        i += 1
    for account in movers:
        s.account(account, first_due="2026-11-10", months=3)
    late = [s.account(f"N{i:03d}", first_due="2026-11-21", months=3) for i in range(40)]  # open on 11-22
    s.run("2026-11-21")
    s.policy = load_policy(with_variants(tmp_path, shares_yaml(after), name="standard.yaml"))
    s.run("2026-11-22")

    rows = {
        (r["account_id"], r["as_of"]): r["variant"]
        for r in s.query("select account_id, as_of::text, variant from collections.case_day")
    }
    for account in movers:
        assert rows[(account, "2026-11-21")] == spec_variant("collections_standard", account, before) == "gentle"
        assert rows[(account, "2026-11-22")] == "gentle", f"{account} changed variant with the shares"
    for account in late:  # a case that opens after the change takes the new ranges
        assert rows[(account, "2026-11-22")] == spec_variant("collections_standard", account, after)


def test_a_case_on_a_variant_the_policy_no_longer_lists_goes_on_under_the_first(db, tmp_path):
    two = 'variants:\n  - {name: champion, share: "0.5"}\n  - {name: gentle, share: "0.5"}\n'
    s = Scenario(db, tmp_path, policy=load_policy(with_variants(tmp_path, two)))
    halves = [("champion", "0.5"), ("gentle", "0.5")]
    gentle = next(
        a for a in (f"G{i:03d}" for i in range(100)) if spec_variant("collections_standard", a, halves) == "gentle"
    )
    s.account(gentle, first_due="2026-11-10", months=3)
    s.run("2026-11-21")
    assert s.case(gentle, "2026-11-21")["variant"] == "gentle"
    # the gentle challenger is replaced by a firm one over the same range of the hash: the case goes
    # on under the first variant listed, not the one its hash now falls in
    firm = 'variants:\n  - {name: champion, share: "0.5"}\n  - {name: firm, share: "0.5"}\n'
    s.policy = load_policy(with_variants(tmp_path, firm))
    s.run("2026-11-22")
    assert s.case(gentle, "2026-11-22")["variant"] == "champion"


def test_the_shipped_gentle_challenger_switches_on_by_uncommenting_it(tmp_path):
    text = STANDARD.read_text()
    block = re.search(r"# variants:\n(?:#   .*\n){7}", text)
    assert block, "standard.yaml's commented-out gentle challenger"
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "defaults.yaml").write_text(DEFAULTS.read_text())
    (folder / "standard.yaml").write_text(text.replace(block.group(0), re.sub(r"^# ", "", block.group(0), flags=re.M)))
    policy = load_policy(folder / "standard.yaml")
    sides = {name: (share, side) for name, share, side in policy.variant_policies()}
    assert list(sides) == ["champion", "gentle"] and sides["gentle"][0] == Decimal("0.5")
    gentle, champion = sides["gentle"][1], sides["champion"][1]
    assert (gentle.rung("call").min_dpd, gentle.rung("notice").repeat_every_days) == (15, 5)
    assert (champion.rung("call").min_dpd, champion.rung("notice").repeat_every_days) == (8, 3)
    assert gentle.contact == champion.contact == policy.contact


def test_a_variants_override_of_one_key_keeps_the_policys_others_beside_it(tmp_path):
    later = (
        'variants:\n  - {name: champion, share: "0.5"}\n'
        '  - {name: later, share: "0.5", ladder: {legal: {enter: {dpd_at_least: 120}}}}\n'
    )
    sides = {name: side for name, _, side in load_policy(with_variants(tmp_path, later)).variant_policies()}
    legal = sides["later"].rung("legal").enter
    assert (legal.dpd_at_least, legal.overdue_amount_at_least) == (120, Decimal("5000.00"))
    assert sides["champion"].rung("legal").enter.dpd_at_least == 91
    assert load_policy(STANDARD).variant_policies()[0][0] == "champion"  # as shipped: one variant


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ('  - {name: a, share: "0.5"}\n  - {name: b, share: "0.4"}\n', "shares must sum to 1, they sum to 0.9"),
        ('  - {name: a, share: "0.5"}\n  - {name: a, share: "0.5"}\n', "variant names must be unique: a"),
        (
            '  - {name: a, share: "0.5"}\n  - {name: b, share: "0.5", ladder: {phone: {sticky: true}}}\n',
            "variants[1] (b): ladder.phone: no such rung (rungs: notice, call, visit, legal)",
        ),
        (
            '  - {name: a, share: "0.5"}\n  - {name: b, share: "0.5", ladder: {call: {action: visit}}}\n',
            "ladder.call.action cannot change in a variant",
        ),
        (
            '  - {name: a, share: "0.5"}\n  - {name: b, share: "0.5", contact: {max_sms_per_customer_per_day: 3}}\n',
            "contact.max_sms_per_customer_per_day 3 is looser than the policy's 1",
        ),
        (
            '  - {name: a, share: "0.5"}\n  - {name: b, share: "0.5", contact: {window: {start: "07:00"}}}\n',
            "contact.window 07:00-21:00 is wider than the policy's 08:00-21:00",
        ),
        (
            '  - {name: a, share: "0.5"}\n  - {name: b, share: "0.5", ladder: {call: {enter: {dpd_at_least: 40}}}}\n',
            "ladder rungs must be listed lowest first",
        ),
        (
            '  - {name: a, share: "0.5"}\n  - {name: b, share: "0.5", contact: {preset: us}}\n',
            "variants[1] (b): contact.preset cannot change in a variant (the jurisdiction is the policy's)",
        ),
        (
            'contact: {no_call_days_after_conversation: 3}\nvariants:\n  - {name: a, share: "0.5"}\n'
            '  - {name: b, share: "0.5", contact: {no_call_days_after_conversation: 2}}\n',
            "contact.no_call_days_after_conversation 2 is looser than the policy's 3",
        ),
    ],
)
def test_a_variant_that_breaks_a_rule_is_refused_naming_it(tmp_path, variants, message):
    text = variants if variants.startswith("contact:") else "variants:\n" + variants
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_policy(with_variants(tmp_path, text))
