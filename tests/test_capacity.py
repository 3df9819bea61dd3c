"""Capacity (#14 item 3): visit orders and legal referrals dealt out to a roster's named assignees within
their daily capacity, most overdue first; the rest deferred with the reason ``capacity`` and carried to the
next day, never sent."""

from __future__ import annotations

import collections
import random
from pathlib import Path

import pendulum
import pytest
import requests

from debt_collections.delivery.http import CircuitBreaker, PartnerClient, RetryPolicy
from debt_collections.errors import ConfigError
from debt_collections.policy.loader import load_policy
from debt_collections.store import outbox
from tests.scenario import REPO, Scenario, d

DAY = "2026-11-28"
DAYS = [d(DAY).add(days=i).to_date_string() for i in range(4)]
POLICIES = REPO / "dags" / "policies"

VISITS = """assignees:
  - {kind: visit, region: east, assignee: agent-wang, daily_capacity: 2}
  - {kind: visit, region: east, assignee: agent-li, daily_capacity: 1}
  - {kind: visit, region: north, assignee: agent-zhao, daily_capacity: 5}
"""
LEGAL = """assignees:
  - {kind: legal, region: east, assignee: firm-east, daily_capacity: 1}
  - {kind: legal, region: east, assignee: firm-harbour, daily_capacity: 2}
"""


def with_roster(tmp_path: Path, roster: str, *, roster_file: str = "roster.yaml") -> Path:
    """standard.yaml and its defaults in a folder of their own, naming a roster beside them."""
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "defaults.yaml").write_text((POLICIES / "defaults.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    text = (POLICIES / "standard.yaml").read_text(encoding="utf-8")
    (folder / "standard.yaml").write_text(text + f"capacity: {{roster: {roster_file}}}\n", encoding="utf-8")
    (folder / "roster.yaml").write_text(roster, encoding="utf-8")
    return folder / "standard.yaml"


def scenario(db: str, tmp_path: Path, roster: str) -> Scenario:
    return Scenario(db, tmp_path / "drops", policy=load_policy(with_roster(tmp_path, roster)))


def overdue(s: Scenario, n: int, *, dpd: int, amount: str, region: str = "east", prefix: str = "A") -> list[str]:
    """``n`` accounts of ``region``, the first the most overdue (dpd, dpd - 1, ...)."""
    return [
        s.account(
            f"{prefix}{i:02d}",
            customer=s.customer(f"C-{prefix}{i:02d}", region=region),
            months=1,
            amount=amount,
            first_due=d(DAY).subtract(days=dpd - i).to_date_string(),
        )
        for i in range(n)
    ]


def in_two_portfolios(s: Scenario, n: int) -> None:
    """``n`` accounts of region east in each of P1 and P2 (P1-0, P1-1, ...), the first the most overdue."""
    for portfolio in ("P1", "P2"):
        for i in range(n):
            s.account(
                f"{portfolio}-{i}",
                portfolio=portfolio,
                customer=s.customer(f"C-{portfolio}-{i}", region="east"),
                months=1,
                amount="1000.00",
                first_due=d(DAY).subtract(days=45 - i).to_date_string(),
            )


def orders(s: Scenario, kind: str, as_of: str) -> list[dict]:
    return s.query(
        "select account_id, status, reason, assignee from collections.action"
        " where kind = %(k)s and as_of = %(d)s order by account_id",
        {"k": kind, "d": as_of},
    )


def dealt_out(s: Scenario, kind: str, capacity: dict[str, int], accounts: list[str]) -> list[list[str]]:
    """Run the four days; each day's assigned accounts, checked against the roster on the way."""
    days: list[list[str]] = []
    for day in DAYS:
        s.run(day)
        rows = orders(s, kind, day)
        assigned = [r for r in rows if r["status"] == "planned"]
        waiting = [r for r in rows if r["status"] != "planned"]
        assert all(r["assignee"] in capacity for r in assigned), assigned
        load = collections.Counter(r["assignee"] for r in assigned)
        assert all(load[a] <= capacity[a] for a in load), (day, load)  # no assignee over capacity
        assert {(r["status"], r["reason"], r["assignee"]) for r in waiting} <= {("deferred", "capacity", None)}
        # none lost: every account not yet assigned has its order today, assigned or deferred
        done = {a for earlier in days for a in earlier}
        assert {r["account_id"] for r in rows} == set(accounts) - done, day
        days.append([r["account_id"] for r in assigned])
    return days


def test_ten_visits_and_capacity_three_get_three_orders_a_day_most_overdue_first(db, tmp_path):
    s = scenario(db, tmp_path, VISITS)
    accounts = overdue(s, 10, dpd=45, amount="1000.00")  # visit rung (dpd 31 ..), below legal's 5000.00
    days = dealt_out(s, "visit", {"agent-wang": 2, "agent-li": 1}, accounts)
    assert [sorted(x) for x in days] == [accounts[0:3], accounts[3:6], accounts[6:9], accounts[9:10]]
    assert len({a for x in days for a in x}) == 10  # each assigned once, all by day 4
    first = orders(s, "visit", DAYS[0])
    assert collections.Counter(r["assignee"] for r in first if r["status"] == "planned") == {
        "agent-wang": 2,
        "agent-li": 1,
    }
    assert sum(r["reason"] == "capacity" for r in first) == 7
    # an order written is not due again until the rung's next cycle (every 14 days from the stage's start)
    assert s.action(accounts[0], DAYS[1], "visit") is None


def test_legal_referrals_go_to_the_regions_law_firms_within_capacity(db, tmp_path):
    s = scenario(db, tmp_path, LEGAL)
    s.approver = "lead"  # each day's referrals are approved after the run (SPEC 11): capacity is what counts here
    accounts = overdue(s, 10, dpd=120, amount="6000.00", prefix="L")  # legal: dpd >= 91, overdue >= 5000.00
    days = dealt_out(s, "legal", {"firm-east": 1, "firm-harbour": 2}, accounts)
    assert [sorted(x) for x in days] == [accounts[0:3], accounts[3:6], accounts[6:9], accounts[9:10]]
    assert s.case(accounts[9], DAYS[3])["stage"] == "legal"


def test_most_overdue_first_is_by_dpd_then_overdue_amount_then_account(db, tmp_path):
    s = scenario(db, tmp_path, VISITS)
    first_due = d(DAY).subtract(days=40).to_date_string()
    for i, amount in enumerate(["1000.00", "3000.00", "2000.00", "3000.00"]):
        s.account(f"T{i}", customer=s.customer(f"C-T{i}"), months=1, amount=amount, first_due=first_due)
    s.run(DAY)
    assigned = sorted(r["account_id"] for r in orders(s, "visit", DAY) if r["status"] == "planned")
    assert assigned == ["T1", "T2", "T3"]  # same dpd: 3000.00, 3000.00 (T1 before T3), 2000.00


def test_a_region_without_roster_entry_gets_no_orders_and_a_kind_without_one_keeps_its_label(db, tmp_path):
    s = scenario(db, tmp_path, VISITS)
    west = overdue(s, 2, dpd=45, amount="1000.00", region="west", prefix="W")
    legal = overdue(s, 1, dpd=120, amount="6000.00", prefix="L")
    for day in DAYS[:2]:
        s.run(day)
        assert [(r["status"], r["reason"], r["assignee"]) for r in orders(s, "visit", day)] == [
            ("deferred", "capacity", None)
        ] * len(west)
    # the roster lists no law firm: legal referrals go to the rung's label, as without a roster
    assert s.action(legal[0], DAY, "legal")["assignee"] == "law-firm:east"


def test_a_policy_without_roster_keeps_the_assignee_label(db, tmp_path):
    s = Scenario(db, tmp_path)
    accounts = overdue(s, 5, dpd=45, amount="1000.00")
    s.run(DAY)
    assert {(r["status"], r["assignee"]) for r in orders(s, "visit", DAY)} == {("planned", "field-agent:east")}
    assert len(orders(s, "visit", DAY)) == len(accounts)


def test_a_rerun_of_the_day_is_a_no_op(db, tmp_path):
    s = scenario(db, tmp_path, VISITS)
    overdue(s, 10, dpd=45, amount="1000.00")
    s.run(DAYS[0])
    s.run(DAYS[1])
    before = s.views(), orders(s, "visit", DAYS[1])
    s.run(DAYS[1])
    assert (s.views(), orders(s, "visit", DAYS[1])) == before
    s.run(DAYS[1], write=False)
    assert (s.views(), orders(s, "visit", DAYS[1])) == before


def test_capacity_deferred_orders_are_never_sent_and_a_rerun_after_sending_keeps_the_roster(db, tmp_path, simulator):
    s = scenario(db, tmp_path, VISITS)
    accounts = overdue(s, 10, dpd=45, amount="1000.00")
    s.run(DAY)
    client = PartnerClient(simulator.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
    now = pendulum.datetime(2026, 11, 29, 10, tz="Asia/Shanghai")
    counts = outbox.deliver(db, "P1", d(DAY), "visit", {"field_app": client}, now=now)
    accepted = requests.get(simulator.url + "/_accepted", timeout=5).json()
    assert counts["sent"] == 3
    assert sorted(a["body"]["assignee"] for a in accepted) == ["agent-li", "agent-wang", "agent-wang"]
    # the hourly outbox finds nothing more to send of the day, and sends nothing on a second pass
    assert outbox.deliver(db, "P1", d(DAY), "visit", {"field_app": client}, now=now.add(hours=1))["sent"] == 0
    assert len(requests.get(simulator.url + "/_accepted", timeout=5).json()) == 3
    rows = orders(s, "visit", DAY)
    assert collections.Counter((r["status"], r["reason"]) for r in rows) == {
        ("sent", None): 3,
        ("deferred", "capacity"): 7,
    }
    # a rerun of the day keeps what was handed over and gives its agents no more than their capacity
    s.run(DAY)
    again = orders(s, "visit", DAY)
    assert again == rows
    assert {r["account_id"] for r in again if r["status"] == "sent"} == set(accounts[:3])


def test_a_rerun_after_the_roster_grew_gives_the_new_slots_to_the_orders_still_waiting(db, tmp_path, simulator):
    # three orders went out; the lead adds two slots to the roster and reruns the day: the two most overdue of
    # the seven still waiting get them (the three already handed over keep theirs and need no new one)
    s = scenario(db, tmp_path, VISITS)
    accounts = overdue(s, 10, dpd=45, amount="1000.00")
    s.run(DAY)
    client = PartnerClient(simulator.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
    now = pendulum.datetime(2026, 11, 29, 10, tz="Asia/Shanghai")
    assert outbox.deliver(db, "P1", d(DAY), "visit", {"field_app": client}, now=now)["sent"] == 3
    grown = VISITS.replace("agent-li, daily_capacity: 1}", "agent-li, daily_capacity: 3}")
    s.policy = load_policy(with_roster(tmp_path, grown))
    s.run(DAY)
    rows = orders(s, "visit", DAY)
    assert [(r["account_id"], r["status"]) for r in rows if r["status"] != "deferred"] == [
        *((a, "sent") for a in accounts[:3]),
        *((a, "planned") for a in accounts[3:5]),
    ]
    assert collections.Counter(r["assignee"] for r in rows if r["status"] != "deferred") == {
        "agent-wang": 2,
        "agent-li": 3,
    }


def test_a_rerun_keeps_a_roster_of_one_assignee_within_its_capacity(db, tmp_path, simulator):
    s = scenario(db, tmp_path, "assignees:\n  - {kind: visit, region: east, assignee: agent-wang, daily_capacity: 2}\n")
    accounts = overdue(s, 3, dpd=45, amount="1000.00")
    s.run(DAY)
    client = PartnerClient(simulator.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
    now = pendulum.datetime(2026, 11, 29, 10, tz="Asia/Shanghai")
    assert outbox.deliver(db, "P1", d(DAY), "visit", {"field_app": client}, now=now)["sent"] == 2
    s.run(DAY)
    rows = orders(s, "visit", DAY)
    assert [(r["account_id"], r["status"]) for r in rows] == [
        (accounts[0], "sent"),
        (accounts[1], "sent"),
        (accounts[2], "deferred"),
    ]


def test_pending_work_leaves_out_capacity_deferred_orders(db, tmp_path):
    s = scenario(db, tmp_path, VISITS)
    overdue(s, 2, dpd=45, amount="1000.00", region="west", prefix="W")
    s.run(DAY)
    assert [r["status"] for r in orders(s, "visit", DAY)] == ["deferred", "deferred"]
    assert [p for p in outbox.pending_work(db, d(DAY).subtract(days=3)) if p["kind"] == "visit"] == []


@pytest.mark.parametrize(
    ("roster", "line", "message"),
    [
        (VISITS.replace("daily_capacity: 1}", "daily_capacity: -1}"), 3, "daily_capacity: Input should be greater"),
        (VISITS.replace("kind: visit, region: north", "kind: visits, region: north"), 4, "unknown stage kind 'visits'"),
        (VISITS.replace("assignee: agent-li", "assignee: agent-wang"), 1, "agent-wang is listed twice"),
        (VISITS + "  - {kind: visit, region: south, asignee: x, daily_capacity: 1}\n", 5, "unknown key"),
        ("assignees: [\n  {kind: visit,\n", 3, "not valid YAML"),
    ],
)
def test_a_bad_roster_is_refused_naming_file_and_line(tmp_path, roster, line, message):
    path = with_roster(tmp_path, roster)
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert f"{path.parent / 'roster.yaml'}:{line}:" in str(err.value)
    assert message in str(err.value)


def test_a_missing_roster_file_is_refused_naming_the_policy_line(tmp_path):
    path = with_roster(tmp_path, VISITS, roster_file="rosters/none.yaml")
    with pytest.raises(ConfigError, match=r"standard.yaml:\d+: capacity.roster: no roster file"):
        load_policy(path)


def test_a_simulation_of_a_roster_policy_reproduces_its_history(db, tmp_path):
    """SPEC 10: the replay deals the orders out as the runs did, and a capacity-deferred order is deferred on
    both sides (not counted as planned like one waiting for its contact window)."""
    from debt_collections.simulate import resolve, simulate

    path = with_roster(tmp_path, VISITS)
    s = Scenario(db, tmp_path / "drops", policy=load_policy(path))
    overdue(s, 10, dpd=45, amount="1000.00")
    for day in DAYS:
        s.run(day)
    result = simulate(db, resolve(db, str(path), str(path), DAYS[1], DAYS[3], ["P1"]))
    assert result["differences_from_history"] == []
    assert result["baseline_matches_history"] is True
    assert [d["actions_by_kind_status"].get("visit:deferred", 0) for d in result["baseline"]["days"]] == [4, 1, 0]


def test_portfolios_sharing_a_region_share_its_capacity(db, tmp_path):
    s = scenario(db, tmp_path, VISITS)
    in_two_portfolios(s, 4)
    assigned: list[str] = []
    for day, want in zip(
        DAYS[:3], ({"agent-wang": 2, "agent-li": 1}, {"agent-wang": 2, "agent-li": 1}, None), strict=True
    ):
        s.run(day)
        rows = [r for r in orders(s, "visit", day) if r["status"] == "planned"]
        load = collections.Counter(r["assignee"] for r in rows)
        if want:  # the region's capacity, over both portfolios' plans
            assert load == want, day
        else:
            assert len(rows) == 2 and load["agent-wang"] <= 2 and load["agent-li"] <= 1, day
        assigned += [r["account_id"] for r in rows]
    assert sorted(assigned) == sorted(f"{p}-{i}" for p in ("P1", "P2") for i in range(4))  # none lost, none twice


def test_the_example_roster_is_valid(tmp_path):
    """dags/policies/rosters/example.yaml, named as the docs say, loads; its entries bind per kind."""
    example = (POLICIES / "rosters" / "example.yaml").read_text(encoding="utf-8")
    path = with_roster(tmp_path, "", roster_file="rosters/example.yaml")
    (path.parent / "rosters").mkdir()
    (path.parent / "rosters" / "example.yaml").write_text(example, encoding="utf-8")
    policy = load_policy(path)
    visit = policy.roster_params("visit")
    assert visit["roster_on"] and len(visit["roster_assignees"]) == 6
    assert policy.roster_params("notice")["roster_on"] is False
    assert load_policy(POLICIES / "standard.yaml").roster_params("visit")["roster_on"] is False


def test_an_earlier_cases_deferred_order_is_not_carried_into_a_new_case(db, tmp_path):
    # A03's order is deferred for capacity; the account is then paid up (its case cured) and falls behind again
    # by a reversal, under a dispute: the new case sits on the visit rung from its first day without an order.
    # When the dispute is resolved the next day, which is not the rung's cycle day, nothing is carried from
    # the earlier case: its deferred order belonged to that case.
    s = scenario(db, tmp_path, VISITS)
    accounts = overdue(s, 4, dpd=45, amount="1000.00")
    s.run(DAYS[0])
    assert [(r["account_id"], r["status"], r["reason"]) for r in orders(s, "visit", DAYS[0])][3] == (
        accounts[3],
        "deferred",
        "capacity",
    )
    s.pay("pA03", accounts[3], f"{DAYS[1]}T10:00:00+08:00", "1000.00")
    s.run(DAYS[1])
    s.pay("pA03r", accounts[3], f"{DAYS[2]}T09:00:00+08:00", "-1000.00", reverses="pA03")
    s.event("dA03", accounts[3], f"{DAYS[2]}T09:30:00+08:00", "dispute")
    s.run(DAYS[2])
    s.event("rA03", accounts[3], f"{DAYS[3]}T09:00:00+08:00", "dispute_resolved")
    s.run(DAYS[3])
    states = s.query(
        "select as_of, case_id, status, stage, stage_since from collections.case_state"
        " where account_id = %(a)s order by as_of",
        {"a": accounts[3]},
    )
    assert [(r["status"], r["stage"]) for r in states] == [
        ("open", "visit"),
        ("cured", None),
        ("on_hold", "visit"),
        ("open", "visit"),
    ]
    assert states[2]["case_id"] != states[0]["case_id"] and states[3]["stage_since"] == d(DAYS[2])
    later = s.query("select account_id from collections.action where kind = 'visit' and as_of > %(d)s", {"d": DAYS[0]})
    assert later == []


def test_an_order_deferred_because_the_partner_was_down_keeps_its_slot_from_another_portfolio(db, tmp_path, simulator):
    """An order handed to an assignee whose delivery found the field app down waits in the outbox with its
    assignee and goes later: another portfolio of the region planning the same day must not get its slot."""
    s = scenario(db, tmp_path, "assignees:\n  - {kind: visit, region: east, assignee: agent-wang, daily_capacity: 2}\n")
    in_two_portfolios(s, 2)
    s.run(DAY, portfolios=["P1"])
    now = pendulum.datetime(2026, 11, 29, 10, tz="Asia/Shanghai")
    # the field app's circuit is open (it failed every request of the hour): the orders wait, assigned
    down = PartnerClient(simulator.url, requests.Session(), breaker=CircuitBreaker(threshold=0))
    assert outbox.deliver(db, "P1", d(DAY), "visit", {"field_app": down}, now=now)["deferred"] == 2
    assert {(r["status"], r["assignee"]) for r in orders(s, "visit", DAY)} == {("deferred", "agent-wang")}
    s.run(DAY, portfolios=["P2"])
    rows = orders(s, "visit", DAY)
    assert [(r["account_id"], r["status"], r["reason"], r["assignee"]) for r in rows if r["account_id"] >= "P2"] == [
        ("P2-0", "deferred", "capacity", None),
        ("P2-1", "deferred", "capacity", None),
    ]
    # the field app is back: P1's two orders go to agent-wang, who gets no more than his two
    up = PartnerClient(simulator.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
    assert outbox.deliver(db, "P1", d(DAY), "visit", {"field_app": up}, now=now.add(hours=1))["sent"] == 2
    assert outbox.deliver(db, "P2", d(DAY), "visit", {"field_app": up}, now=now.add(hours=1))["sent"] == 0
    accepted = requests.get(simulator.url + "/_accepted", timeout=5).json()
    assert [a["body"]["assignee"] for a in accepted] == ["agent-wang", "agent-wang"]
