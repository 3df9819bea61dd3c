"""The stage-kind extension point: vehicle repossession in the subprime policy, end to end."""

from __future__ import annotations

import random

import pendulum
import requests

from debt_collections.delivery.http import PartnerClient, RetryPolicy
from debt_collections.policy.loader import load_policy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.stages import registry
from debt_collections.store import outbox
from tests.scenario import REPO, Scenario, d

SUBPRIME = REPO / "dags" / "policies" / "subprime.yaml"
DAY = "2026-11-28"


def overdue_by(s: Scenario, account_id: str, dpd: int, **kw) -> str:
    return s.account(
        account_id, portfolio="SUB-1", first_due=d(DAY).subtract(days=dpd).to_date_string(), months=1, **kw
    )


def test_repossession_is_registered_through_an_entry_point():
    kind = registry()["repossession"]
    assert kind.channels == {"recovery_agency": "/v1/repossessions"}
    assert kind.stopped_by_promise and not kind.contact


def test_subprime_ladder_reaches_repossession_for_loans_only(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(SUBPRIME))
    overdue_by(s, "LOAN", 70, amount="4000.00", product="loan", customer=s.customer("C1", region="central"))
    overdue_by(s, "LEASE", 70, amount="4000.00", product="lease")
    overdue_by(s, "SMALL", 70, amount="2000.00", product="loan")
    s.run(DAY)
    assert s.case("LOAN", DAY)["stage"] == "repossession"
    assert s.case("LEASE", DAY)["stage"] == "visit"  # products: [loan, finance_lease]
    assert s.case("SMALL", DAY)["stage"] == "visit"  # overdue below 3000.00
    order = s.action("LOAN", DAY, "repossession")
    assert (order["status"], order["channel"], order["assignee"], order["template"]) == (
        "awaiting_approval",  # a repossession order cannot be taken back: a person decides (SPEC 11)
        "recovery_agency",
        "recovery-agency:central",
        "repossession_order.zh-CN",
    )


def test_repossession_waits_for_a_promise_and_is_sent_once_with_the_vin(db, tmp_path):
    s = Scenario(db, tmp_path, policy=load_policy(SUBPRIME))
    overdue_by(s, "LOAN", 70, amount="4000.00", product="loan", vin="LVSHCAMB1CE012345")
    s.event("e1", "LOAN", "2026-11-27T10:00:00+08:00", "promise_to_pay", "100.00", "2026-11-28")
    s.run(DAY)
    assert s.action("LOAN", DAY, "repossession")["reason"] == "promise_to_pay"
    s.run("2026-11-29")
    assert s.action("LOAN", "2026-11-29", "repossession")["status"] == "awaiting_approval"
    assert s.approve_all("lead") == 1
    assert s.action("LOAN", "2026-11-29", "repossession")["status"] == "planned"
    server = SimulatorServer().start()
    try:
        client = PartnerClient(server.url, requests.Session(), RetryPolicy(attempts=3), rng=random.Random(1))
        counts = outbox.deliver(
            db,
            "SUB-1",
            d("2026-11-29"),
            "repossession",
            {"recovery_agency": client},
            now=pendulum.datetime(2026, 11, 30, 2, tz="Asia/Shanghai"),
        )  # not contact: any hour
        accepted = requests.get(server.url + "/_accepted", timeout=5).json()
    finally:
        server.shutdown()
        server.server_close()
    assert counts["sent"] == 1
    assert accepted[0]["path"] == "/v1/repossessions"
    assert (accepted[0]["body"]["vin"], accepted[0]["body"]["agency"]) == ("LVSHCAMB1CE012345", "recovery-agency:east")
    s.run("2026-11-30")
    assert s.action("LOAN", "2026-11-30", "repossession") is None  # once per case
    assert s.case("LOAN", "2026-11-30")["stage"] == "repossession"  # sticky


def test_the_standard_policy_leaves_subprime_portfolios_alone(db, tmp_path):
    s = Scenario(db, tmp_path)  # standard policy
    overdue_by(s, "LOAN", 70)
    out = s.run(DAY)
    assert out.reported == ()
    assert s.case("LOAN", DAY) is None


def test_a_kind_from_another_distribution_needs_no_change_to_the_core(db, tmp_path, monkeypatch):
    # a separate installed distribution: one module and its entry point, nothing else
    site = tmp_path / "site"
    (site / "acme_kinds-1.0.dist-info").mkdir(parents=True)
    (site / "acme_kinds-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-kinds\nVersion: 1.0\n"
    )
    (site / "acme_kinds-1.0.dist-info" / "entry_points.txt").write_text(
        "[debt_collections.stages]\nskip_trace = acme_kinds:SKIP_TRACE\n"
    )
    (site / "acme_kinds.py").write_text(
        "from debt_collections.stages import StageKind\n"
        "SKIP_TRACE = StageKind('skip_trace', {'tracing_agency': '/v1/tracing'},\n"
        "                       lambda row: {'debtor': row['full_name'], 'region': row['region']},\n"
        "                       stopped_by_promise=True, description='trace a debtor who cannot be reached')\n"
    )
    monkeypatch.syspath_prepend(str(site))
    registry.cache_clear()
    try:
        text = (REPO / "dags" / "policies" / "standard.yaml").read_text() + (
            "  - stage: trace\n    action: skip_trace\n    enter: {dpd_at_least: 120}\n    once_per_case: true\n"
            '    channel: tracing_agency\n    assignee: "tracer:{region}"\n    template: "trace_order.{language}"\n'
        )
        from debt_collections.policy.loader import parse_policy

        s = Scenario(db, tmp_path, policy=parse_policy(text, "acme.yaml"))
        s.account(
            "GONE",
            months=1,
            amount="9000.00",
            first_due=d(DAY).subtract(days=130).to_date_string(),
            customer=s.customer("C1", region="north"),
        )
        s.run(DAY)
        assert s.case("GONE", DAY)["stage"] == "trace"
        order = s.action("GONE", DAY, "skip_trace")
        assert (order["status"], order["channel"], order["assignee"]) == ("planned", "tracing_agency", "tracer:north")
    finally:
        registry.cache_clear()
