"""Delivery through the partner simulator: exactly once, faults survived, rules kept at send time."""

from __future__ import annotations

import collections
import functools
import random
import re
import threading
from collections.abc import Callable

import pendulum
import psycopg
import pytest
import requests

from debt_collections.delivery.http import CircuitBreaker, PartnerClient, RetryPolicy
from debt_collections.simulator.server import SimulatorServer
from debt_collections.store import outbox
from tests.scenario import Scenario, d, in_threads

DAY = "2026-11-28"
IN_WINDOW = pendulum.datetime(2026, 11, 29, 10, 0, tz="Asia/Shanghai")  # 10:00 the morning after


def clients(
    sim: SimulatorServer, *, attempts: int = 8, breaker: int = 50, timeout: float = 0.5
) -> dict[str, PartnerClient]:
    def client() -> PartnerClient:
        return PartnerClient(
            sim.url,
            requests.Session(),
            RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05, timeout=timeout),
            CircuitBreaker(threshold=breaker),
            rng=random.Random(3),
        )

    return {channel: client() for channel in ("sms", "letter", "dialer", "field_app", "legal_portal")}


def faults(sim: SimulatorServer, **kw) -> None:
    requests.post(sim.url + "/_faults", json=kw, timeout=5).raise_for_status()


def sim_log(sim: SimulatorServer) -> tuple[list[dict], list[dict]]:
    return (requests.get(sim.url + "/_log", timeout=5).json(), requests.get(sim.url + "/_accepted", timeout=5).json())


def at_once(deliver: Callable[[str], object], portfolios: list[str]) -> None:
    """``deliver`` of each portfolio in a thread of its own, released together, as the DAG's mapped
    deliver tasks run; each must end within 60 s, and none may raise."""
    assert in_threads(*(functools.partial(deliver, p) for p in portfolios), timeout=60, together=True) == []


def book(s: Scenario, n: int = 40) -> Scenario:
    s.approver = "lead"  # legal referrals are approved after each run: these tests are about delivery
    for i in range(n):
        dpd = [2, 9, 35, 100][i % 4]
        s.account(
            f"A{i:03d}",
            portfolio="P1" if i % 2 else "P2",
            months=1,
            amount="6000.00",
            first_due=d(DAY).subtract(days=dpd).to_date_string(),
            customer=s.customer(f"C{i:03d}", phone=None if i % 10 == 0 else f"+86139000{i:05d}"),
        )
    return s


# the actions a delivery gave up on after its attempts (the partner may have one of them)
GAVE_UP = (
    "select idempotency_key, reason from collections.action_log "
    "where status = 'failed' and starts_with(reason, 'gave up')"
)


def test_every_planned_action_is_sent_once_under_faults(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path))
    faults(
        simulator, error_rate=0.2, timeout_rate=0.05, timeout_s=0.8, rate_429=0.1, retry_after=0, drop_rate=0.1, seed=11
    )
    s.run(DAY)
    kinds = ["notice", "call", "visit", "legal"]
    # an action whose attempts all met a fault is failed ("gave up after 8 attempts"), though the partner may
    # have taken an earlier attempt and lost the answer (about 3% of runs of this test); the operator's resend
    # sends it again with its key, and a partner that has it answers a duplicate: then both sides agree
    passes = 0
    while passes == 0 or (gave_up := s.query(GAVE_UP)):
        passes += 1
        assert passes <= 5, gave_up
        for portfolio in ("P1", "P2"):
            if passes > 1:
                outbox.resend_failed(db, portfolio, d(DAY), kinds)
            for kind in kinds:
                outbox.deliver(db, portfolio, d(DAY), kind, clients(simulator), now=IN_WINDOW)
    actions = s.query("select idempotency_key, status, reason, partner_message_id from collections.action_log")
    statuses = collections.Counter(a["status"] for a in actions)
    assert set(statuses) <= {"sent", "failed"} and statuses["sent"] > 0, statuses
    assert all(a["reason"] for a in actions if a["status"] == "failed")
    log, accepted = sim_log(simulator)
    # the partner accepted each key once; retries after lost answers were answered as duplicates
    assert len({a["key"] for a in accepted}) == len(accepted)
    sent = {a["idempotency_key"] for a in actions if a["status"] == "sent"}
    astray = {a["key"] for a in accepted} ^ sent
    assert not astray, [(k, [e for e in log if e.get("key") == k]) for k in astray] + [
        (a["idempotency_key"], a["status"], a["reason"]) for a in actions if a["idempotency_key"] in astray
    ]
    assert {a["partner_message_id"] for a in actions if a["status"] == "sent"} == {a["message_id"] for a in accepted}
    assert any(e["status"] in (503, 429, "timeout") for e in log)  # the faults did happen
    faults_seen = collections.Counter(str(e["status"]) + ("/dup" if e.get("duplicate") else "") for e in log)
    print(
        f"\nFIGURES delivery-under-faults: actions={len(actions)} {dict(statuses)} passes={passes} requests={len(log)} "
        f"by_status={dict(faults_seen)} accepted={len(accepted)} keys_accepted_twice=0"
    )


def test_a_rerun_sends_nothing_twice(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path))
    s.run(DAY)
    for kind in ("notice", "call", "visit", "legal"):
        outbox.deliver(db, "P1", d(DAY), kind, clients(simulator), now=IN_WINDOW)
    _, first = sim_log(simulator)
    s.run(DAY)  # the whole day again
    for kind in ("notice", "call", "visit", "legal"):
        outbox.deliver(db, "P1", d(DAY), kind, clients(simulator), now=IN_WINDOW)
    log, accepted = sim_log(simulator)
    assert len(accepted) == len(first) > 0
    assert not any(e.get("duplicate") for e in log)  # not even a duplicate request was made


def test_partner_down_opens_the_circuit_and_defers_the_rest(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path))
    s.run(DAY)
    faults(simulator, error_rate=1.0)
    counts = outbox.deliver(db, "P1", d(DAY), "call", clients(simulator, attempts=3, breaker=4), now=IN_WINDOW)
    tried = counts["deferred"] + counts["failed"]
    assert counts["sent"] == 0 and counts["deferred"] > 0 and tried >= 10
    log, _ = sim_log(simulator)
    # it stopped hammering the partner: far fewer requests than 3 attempts for each action
    # (threads that were already retrying when the circuit opened may finish theirs)
    assert len(log) < 2 * tried
    faults(simulator, error_rate=0.0)
    again = outbox.deliver(db, "P1", d(DAY), "call", clients(simulator), now=IN_WINDOW)
    # what the open circuit deferred goes out once the partner is back; an action whose own attempts ran
    # out before the circuit opened (on a busy machine one thread can use all of them first) is failed,
    # a fact, and goes out only when an operator resends it
    assert again["sent"] == counts["deferred"]
    assert outbox.resend_failed(db, "P1", d(DAY), ["call"]) == counts["failed"]
    resent = outbox.deliver(db, "P1", d(DAY), "call", clients(simulator), now=IN_WINDOW)
    assert resent["sent"] == counts["failed"]


def test_an_action_given_up_on_is_failed_and_its_resend_settles_it_with_its_key(db, tmp_path, simulator):
    """Attempts run out on errors that may pass: the action is failed with what happened, for a person to
    see; the partner may have it all the same (taken, the answer lost). The resend goes with the same key,
    so a partner that has it answers a duplicate with its first message id, and nothing goes twice."""
    s = book(Scenario(db, tmp_path))
    s.run(DAY)
    # every fault here is answered at once (503, or the connection closed on a lost answer): with a timeout
    # no busy machine reaches, each attempt meets the fault meant for it, and the counts below are exact
    patient = functools.partial(clients, simulator, timeout=30)
    faults(simulator, error_rate=1.0)
    counts = outbox.deliver(db, "P1", d(DAY), "call", patient(attempts=2, breaker=1000), now=IN_WINDOW)
    assert (counts["sent"], counts["failed"]) == (0, 10), counts
    calls = s.query("select status, reason from collections.action_log where kind = 'call' and portfolio = 'P1'")
    assert {(a["status"], a["reason"]) for a in calls} == {("failed", "gave up after 2 attempts (HTTP 503)")}
    faults(simulator, error_rate=0.0, drop_rate=1.0)  # taken, every answer lost: failed again
    assert outbox.resend_failed(db, "P1", d(DAY), ["call"]) == 10
    assert outbox.deliver(db, "P1", d(DAY), "call", patient(attempts=2), now=IN_WINDOW)["failed"] == 10
    assert len(s.query(GAVE_UP)) == 10 and len(sim_log(simulator)[1]) == 10  # the partner has every one
    faults(simulator, drop_rate=0.0)
    assert outbox.resend_failed(db, "P1", d(DAY), ["call"]) == 10
    assert outbox.deliver(db, "P1", d(DAY), "call", patient(), now=IN_WINDOW)["sent"] == 10
    log, accepted = sim_log(simulator)
    # each key taken once; answered twice as a duplicate: the lost-answer delivery's second attempt, the resend
    assert len(accepted) == 10 and sum(1 for e in log if e.get("duplicate")) == 20
    sent = s.query("select partner_message_id from collections.action_log where kind = 'call' and portfolio = 'P1'")
    assert {a["partner_message_id"] for a in sent} == {a["message_id"] for a in accepted}


def test_nothing_leaves_outside_the_window_in_the_customers_timezone(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    s.account("SH", first_due="2026-11-27", months=1, customer=s.customer("C1", timezone="Asia/Shanghai"))
    s.account(
        "UR",
        first_due="2026-11-27",
        months=1,
        customer=s.customer("C2", timezone="Asia/Urumqi", phone="+8613900000002"),
    )
    s.run(DAY)
    # 09:00 in Shanghai is 07:00 in Urumqi: only the Shanghai customer may be contacted
    at_nine = pendulum.datetime(2026, 11, 29, 9, 0, tz="Asia/Shanghai")
    counts = outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=at_nine)
    assert counts["sent"] == 1
    rows = {r["account_id"]: r for r in s.query("select account_id, status, reason from collections.action_log")}
    assert rows["SH"]["status"] == "sent"
    assert (rows["UR"]["status"], rows["UR"]["reason"]) == ("deferred", "contact_window")
    # two hours later Urumqi opens: the deferred notice goes
    counts = outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=at_nine.add(hours=2))
    assert counts["sent"] == 1
    # 22:00 local: closed again for everyone; a later night run defers to the next opening
    _, accepted = sim_log(simulator)
    assert len(accepted) == 2


def test_a_notice_waiting_for_the_window_is_not_sent_once_the_case_is_cured_on_hold_or_told_to_stop(
    db, tmp_path, simulator
):
    """Notices of 2026-11-28, waiting for the window (the morning after); before it opens, the next day's run
    finds one customer paid up, one account disputed, one customer asking for no contact. The hourly outbox
    then sends the fourth only: a notice saying "overdue" to a customer who paid, or during a dispute, is what
    the day's plan would not have sent (SPEC 4, 5). Each of the three is suppressed with the reason."""
    s = Scenario(db, tmp_path)
    for i, account in enumerate(("PAID", "DISPUTED", "CEASED", "STILL")):
        s.account(account, first_due="2026-11-27", months=1, customer=s.customer(f"C{i}", phone=f"+861380000000{i}"))
    s.run(DAY)
    early = pendulum.datetime(2026, 11, 29, 7, 0, tz="Asia/Shanghai")  # before 08:00: every notice waits
    assert outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=early)["sent"] == 0
    s.pay("p1", "PAID", "2026-11-29T06:00:00+08:00", "1000.00")
    s.event("e1", "DISPUTED", "2026-11-29T06:00:00+08:00", "dispute")
    s.event("e2", "CEASED", "2026-11-29T06:00:00+08:00", "cease_contact")
    s.run("2026-11-29")
    counts = outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=IN_WINDOW)
    assert counts["sent"] == 1, counts
    got = {
        r["account_id"]: (r["status"], r["reason"])
        for r in s.query(
            "select account_id, status, reason from collections.action_log where as_of = %(d)s", {"d": DAY}
        )
    }
    assert got == {
        "PAID": ("suppressed", "case_cured"),
        "DISPUTED": ("suppressed", "dispute"),
        "CEASED": ("suppressed", "cease_contact"),
        "STILL": ("sent", None),
    }
    assert [a["key"].split("-")[1] for a in sim_log(simulator)[1]] == ["STILL"]


def test_window_passed_moves_to_the_next_opening(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    s.account("SH", first_due="2026-11-27", months=1)
    s.run(DAY)
    late = pendulum.datetime(2026, 11, 29, 22, 0, tz="Asia/Shanghai")
    counts = outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=late)
    assert counts["sent"] == 0
    row = s.query(
        "select status, reason, window_opens_at at time zone 'Asia/Shanghai' as opens from collections.action_log"
    )[0]
    assert (row["status"], row["reason"], str(row["opens"])) == ("deferred", "contact_window", "2026-11-30 08:00:00")
    assert outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=late.add(hours=11))["sent"] == 1


def test_one_sms_per_customer_per_day_across_portfolios_at_send_time(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    shared = s.customer("CU")
    s.account("A1", portfolio="P1", customer=shared, first_due="2026-11-27", months=1)
    s.account("A2", portfolio="P2", customer=shared, first_due="2026-11-27", months=1)
    s.run(DAY)
    assert outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=IN_WINDOW)["sent"] == 1
    assert outbox.deliver(db, "P2", d(DAY), "notice", clients(simulator), now=IN_WINDOW)["sent"] == 0
    row = s.query("select status, reason from collections.action_log where account_id = 'A2'")[0]
    assert row == {"status": "suppressed", "reason": "max_sms_per_customer_per_day"}


def test_two_sms_deliveries_at_once_to_one_customer_send_one_sms(db, tmp_path, simulator):
    """Both deliveries reach the gateway's latency at the same time; the customer's day is claimed
    once (migration 0030), so one SMS goes and the other is suppressed, whichever comes first."""
    s = Scenario(db, tmp_path)
    shared = s.customer("CU")
    s.account("A1", portfolio="P1", customer=shared, first_due="2026-11-27", months=1)
    s.account("A2", portfolio="P2", customer=shared, first_due="2026-11-27", months=1)
    s.run(DAY)
    faults(simulator, latency_ms=300)
    at_once(lambda p: outbox.deliver(db, p, d(DAY), "notice", clients(simulator), now=IN_WINDOW), ["P1", "P2"])
    _, accepted = sim_log(simulator)
    assert len(accepted) == 1
    rows = s.query("select status, reason from collections.action_log order by status")
    assert rows == [
        {"status": "sent", "reason": None},
        {"status": "suppressed", "reason": "max_sms_per_customer_per_day"},
    ]


def test_an_sms_delivery_does_not_wait_for_another_portfolios_slow_gateway(db, tmp_path, simulator):
    """SMS deliveries once ran one at a time under one lock for the whole server: a gateway that
    hung on one portfolio's messages held every other portfolio's. Now only a shared customer's
    day is held, so P2 delivers while P1's request is still with its gateway."""
    import http.server

    arrived, release = threading.Event(), threading.Event()

    class Hanging(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrived.set()
            release.wait(timeout=60)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    gateway = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hanging)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    try:
        s = Scenario(db, tmp_path)
        s.account("A1", portfolio="P1", customer=s.customer("C1"), first_due="2026-11-27", months=1)
        s.account("A2", portfolio="P2", customer=s.customer("C2"), first_due="2026-11-27", months=1)
        s.run(DAY)
        hanging = PartnerClient(
            f"http://127.0.0.1:{gateway.server_address[1]}",
            requests.Session(),
            RetryPolicy(attempts=1, timeout=90),
        )
        slow = threading.Thread(
            target=outbox.deliver, args=(db, "P1", d(DAY), "notice", {"sms": hanging}), kwargs={"now": IN_WINDOW}
        )
        slow.start()
        assert arrived.wait(timeout=30), "P1's SMS never reached its gateway (30 s)"
        other = threading.Thread(
            target=outbox.deliver, args=(db, "P2", d(DAY), "notice", clients(simulator)), kwargs={"now": IN_WINDOW}
        )
        other.start()
        other.join(timeout=30)
        assert not other.is_alive(), "P2's SMS delivery waited for P1's gateway (30 s)"
        assert slow.is_alive()  # P1's request is still with its gateway
        release.set()
        slow.join(timeout=60)
        rows = s.query("select account_id, status from collections.action_log order by account_id")
        assert rows == [{"account_id": "A1", "status": "failed"}, {"account_id": "A2", "status": "sent"}]
    finally:
        release.set()
        gateway.shutdown()
        gateway.server_close()


def test_a_failed_sms_leaves_the_customers_day_to_another_sms(db, tmp_path, simulator):
    """The claim of an SMS that did not go frees the customer's day: P1's notice is refused by its
    gateway, P2's to the same customer goes; once P2's went, P1's resent is suppressed."""
    s = Scenario(db, tmp_path)
    shared = s.customer("CU")
    s.account("A1", portfolio="P1", customer=shared, first_due="2026-11-27", months=1)
    s.account("A2", portfolio="P2", customer=shared, first_due="2026-11-27", months=1)
    s.run(DAY)
    broken = {"sms": PartnerClient(simulator.url + "/nowhere", requests.Session(), RetryPolicy(attempts=1))}
    assert outbox.deliver(db, "P1", d(DAY), "notice", broken, now=IN_WINDOW)["failed"] == 1
    assert outbox.deliver(db, "P2", d(DAY), "notice", clients(simulator), now=IN_WINDOW)["sent"] == 1
    assert outbox.resend_failed(db, "P1", d(DAY), ["notice"]) == 1
    assert outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=IN_WINDOW)["sent"] == 0
    rows = s.query("select account_id, status, reason from collections.action_log order by account_id")
    assert rows == [
        {"account_id": "A1", "status": "suppressed", "reason": "max_sms_per_customer_per_day"},
        {"account_id": "A2", "status": "sent", "reason": None},
    ]


def test_a_delivery_killed_after_claiming_its_customers_days_sends_their_sms_on_the_rerun(db, tmp_path, simulator):
    """The claims of a killed delivery are its own actions': the rerun sends them, once."""
    import os
    import signal
    import subprocess
    import sys

    s = Scenario(db, tmp_path)
    for i in (1, 2):
        s.account(f"A{i}", portfolio="P1", customer=s.customer(f"C{i}"), first_due="2026-11-27", months=1)
    s.run(DAY)
    env = {**os.environ, "COLLECTIONS_CRASH_AT": "deliver.sms_claimed"}
    cmd = [sys.executable, "-c", KILLED_BATCH_DELIVERY, simulator.url, db]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)  # the crash point kills its process group
    assert proc.wait(timeout=60) == -signal.SIGKILL, "the delivery never reached deliver.sms_claimed"
    assert sim_log(simulator)[1] == []
    assert s.query("select count(*) as n from collections.sms_day_claim")[0]["n"] == 2
    assert outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=IN_WINDOW)["sent"] == 2
    assert len(sim_log(simulator)[1]) == 2


def test_the_claims_of_days_that_are_over_are_pruned_as_sms_go(db, tmp_path, simulator):
    """The claims table holds the last days, not the history: a delivery drops the claims of days over
    everywhere (before the day before its UTC date) and keeps yesterday's and today's."""
    s = Scenario(db, tmp_path)
    s.account("A1", portfolio="P1", customer=s.customer("C1"), first_due="2026-11-27", months=1)
    s.run(DAY)
    with psycopg.connect(db, autocommit=True) as conn:  # the delivery's UTC date is 2026-11-29
        conn.execute(
            "insert into collections.sms_day_claim (customer_id, local_day, idempotency_key, claimed_at) values"
            " ('OLD', '2026-11-27', 'k-old', now()), ('KEPT', '2026-11-28', 'k-kept', now())"
        )
    assert outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator), now=IN_WINDOW)["sent"] == 1
    days = s.query("select customer_id, local_day::text as day from collections.sms_day_claim order by 1")
    assert days == [{"customer_id": "C1", "day": "2026-11-29"}, {"customer_id": "KEPT", "day": "2026-11-28"}]


def test_dry_run_sends_nothing(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path))
    s.run(DAY, dry_run=True)
    for kind in ("notice", "call", "visit", "legal"):
        counts = outbox.deliver(db, "P1", d(DAY), kind, clients(simulator), now=IN_WINDOW)
        assert counts == {"sent": 0, "failed": 0, "deferred": 0, "waiting": 0}
    assert sim_log(simulator) == ([], [])


def test_a_refused_action_is_failed_with_the_reason_and_can_be_resent(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-20", months=1)
    s.run(DAY)
    broken = clients(simulator)
    broken["dialer"] = PartnerClient(simulator.url + "/nowhere", requests.Session(), RetryPolicy(attempts=2))
    outbox.deliver(db, "P1", d(DAY), "call", broken, now=IN_WINDOW)
    row = s.query("select status, reason from collections.action_log")[0]
    assert row["status"] == "failed" and row["reason"].startswith("partner answered 404")
    assert outbox.resend_failed(db, "P1", d(DAY), ["call"]) == 1
    assert outbox.deliver(db, "P1", d(DAY), "call", clients(simulator), now=IN_WINDOW)["sent"] == 1


def test_killed_in_the_middle_of_delivery_then_rerun_sends_each_action_once(db, tmp_path, simulator):
    import os
    import signal
    import subprocess
    import sys
    import time

    s = book(Scenario(db, tmp_path), n=160)
    s.run(DAY)
    faults(simulator, latency_ms=25)
    script = (
        "import sys, pendulum, requests\n"
        "from debt_collections.delivery.http import PartnerClient\n"
        "from debt_collections.store import outbox\n"
        "url, db = sys.argv[1], sys.argv[2]\n"
        "channels = ('sms', 'letter', 'dialer', 'field_app', 'legal_portal')\n"
        "clients = {c: PartnerClient(url, requests.Session()) for c in channels}\n"
        "now = pendulum.datetime(2026, 11, 29, 10, tz='Asia/Shanghai')\n"
        "for p in ('P1', 'P2'):\n"
        "    for k in ('notice', 'call', 'visit', 'legal'):\n"
        "        outbox.deliver(db, p, pendulum.date(2026, 11, 28), k, clients, now=now, concurrency=2)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, simulator.url, db], start_new_session=True)
    deadline = time.monotonic() + 30
    while len(sim_log(simulator)[1]) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # no chance to write back what it sent
    proc.wait()
    _, before = sim_log(simulator)
    planned = s.query("select count(*) as n from collections.action_log where status = 'planned'")[0]["n"]
    assert len(before) > 0 and planned > 0
    faults(simulator, latency_ms=0)
    for portfolio in ("P1", "P2"):
        for kind in ("notice", "call", "visit", "legal"):
            outbox.deliver(db, portfolio, d(DAY), kind, clients(simulator), now=IN_WINDOW)
    log, accepted = sim_log(simulator)
    keys = [a["key"] for a in accepted]
    assert len(keys) == len(set(keys))  # the partner got each action once
    actions = s.query("select idempotency_key, status, partner_message_id from collections.action_log")
    assert {a["status"] for a in actions} <= {"sent", "suppressed"}
    assert {a["idempotency_key"] for a in actions if a["status"] == "sent"} == set(keys)
    # sends that the killed process never recorded were answered as duplicates, with the first message id
    assert any(e.get("duplicate") for e in log)
    by_key = {a["key"]: a["message_id"] for a in accepted}
    assert all(by_key[a["idempotency_key"]] == a["partner_message_id"] for a in actions if a["status"] == "sent")


def test_the_sms_carries_the_rendered_template_in_the_customers_language(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    s.account(
        "ACC0001",
        first_due="2026-11-20",
        months=1,
        amount="1500.00",
        customer=s.customer("C1", language="en", full_name="Li Lei"),
    )
    s.run("2026-11-21")
    outbox.deliver(
        db,
        "P1",
        d("2026-11-21"),
        "notice",
        clients(simulator),
        now=pendulum.datetime(2026, 11, 22, 9, tz="Asia/Shanghai"),
        caps=s.policy.contact,
        messages=s.policy.messages,
    )
    _, accepted = sim_log(simulator)
    # the lender's signature first, the ways to pay of dags/policies/defaults.yaml, two GSM-7 segments
    assert [a["body"]["text"] for a in accepted] == [
        "[Anda Auto Finance] Hello Li Lei, we have not yet received the latest payment on your car finance "
        "account ending 0001: CNY 1,500.00 is due. Pay online: https://pay.anda.cn/r/ACC0001 "
        "Struggling? Call 400-820-1234 to agree a plan."
    ]
    assert accepted[0]["body"]["to"] == "+8613800000001"


def test_the_call_queue_entry_carries_the_dialers_daily_caps(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-10", months=1)
    s.run(DAY)
    outbox.deliver(db, "P1", d(DAY), "call", clients(simulator), now=IN_WINDOW, caps=s.policy.contact)
    _, accepted = sim_log(simulator)
    body = accepted[0]["body"]
    assert (body["max_dial_attempts_per_number_per_day"], body["max_connected_calls_per_debtor_per_day"]) == (6, 3)
    assert body["max_attempts"] == 1  # one entry a day, 7 attempts in any 7 days
    assert body["number"] == "+8613800000001" and body["priority"] == "12.50"  # 18/90*50 + 1000/20000*50


def test_only_a_call_gets_a_dial_budget_and_what_goes_out_carries_its_cases_arrears(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path))
    s.run(DAY)
    for portfolio in ("P1", "P2"):
        for kind in ("notice", "call", "visit", "legal"):
            outbox.deliver(db, portfolio, d(DAY), kind, clients(simulator), now=IN_WINDOW, caps=s.policy.contact)
    actions = s.query(
        "select al.channel, al.status, al.dial_budget, al.idempotency_key from collections.action_log al "
        "where al.as_of = %(d)s",
        {"d": d(DAY)},
    )
    sent = collections.Counter(a["channel"] for a in actions if a["status"] == "sent")
    assert {"sms", "dialer", "field_app", "legal_portal"} <= set(sent), sent
    # an SMS, a visit or a referral has no dial attempts: nothing to budget
    assert [a for a in actions if a["channel"] != "dialer" and a["dial_budget"] is not None] == []
    assert all(a["dial_budget"] == 1 for a in actions if a["channel"] == "dialer" and a["status"] == "sent")
    # each item the partners took carries the case's days past due and overdue amount of the day
    cases = {
        r["idempotency_key"]: (r["dpd"], r["overdue_amount"])
        for r in s.query(
            "select al.idempotency_key, cs.dpd, cs.overdue_amount::text as overdue_amount "
            "from collections.action_log al join collections.case_state cs "
            "on cs.case_id = al.case_id and cs.as_of = al.as_of and cs.portfolio = al.portfolio"
        )
    }
    _, accepted = sim_log(simulator)
    assert len(accepted) == sum(sent.values())
    assert {a["key"]: (a["body"]["dpd"], a["body"]["overdue_amount"]) for a in accepted} == {
        a["key"]: cases[a["key"]] for a in accepted
    }
    assert all(dpd > 0 for dpd, _ in cases.values())


def test_receipts_settle_each_sent_action_as_delivered_or_failed_with_the_reason(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path), n=60)
    s.run(DAY)
    faults(simulator, undeliverable_rate=0.25, error_rate=0.2, rate_429=0.1, seed=5)
    partners = clients(simulator)
    for kind in ("notice", "call", "visit", "legal"):
        for portfolio in ("P1", "P2"):
            outbox.deliver(db, portfolio, d(DAY), kind, partners, now=IN_WINDOW, caps=s.policy.contact)
    sent = s.query("select count(*) as n from collections.action_log where status = 'sent'")[0]["n"]
    assert sent > 0

    counts = outbox.collect_receipts(db, partners)
    _, accepted = sim_log(simulator)
    actions = s.query(
        "select idempotency_key, status, reason, receipt_at from collections.action_log "
        "where status in ('sent', 'delivered', 'failed')"
    )
    by_key = {a["idempotency_key"]: a for a in actions}
    assert sum(c["settled"] for c in counts.values()) == len(accepted) == sent
    assert not [a for a in actions if a["status"] == "sent"]  # every accepted message has its receipt
    failed = [a for a in actions if a["status"] == "failed"]
    assert failed and all(a["reason"].startswith(("unreachable:", "returned:", "rejected:")) for a in failed)
    assert all(by_key[m["key"]]["receipt_at"] is not None for m in accepted)

    before = s.query("select * from collections.action_log order by idempotency_key")
    again = outbox.collect_receipts(db, partners)  # the cursor was kept: nothing new, nothing changed
    assert all(c["receipts"] == 0 for c in again.values())
    assert s.query("select * from collections.action_log order by idempotency_key") == before


def test_a_receipt_settles_an_action_whose_answer_was_lost(db, tmp_path, simulator):
    s = Scenario(db, tmp_path)
    s.account("A1", first_due="2026-11-26", months=1)
    s.run(DAY)
    faults(simulator, drop_rate=1.0)  # the partner takes the SMS, the answer never comes back
    counts = outbox.deliver(db, "P1", d(DAY), "notice", clients(simulator, attempts=2), now=IN_WINDOW)
    assert counts["sent"] == 0 and s.action("A1", DAY, "notice")["status"] in ("planned", "failed", "deferred")
    faults(simulator, drop_rate=0.0)
    outbox.collect_receipts(db, clients(simulator))
    row = s.query("select status, partner_message_id from collections.action_log where account_id = 'A1'")[0]
    assert row["status"] == "delivered" and row["partner_message_id"].startswith("M-")


def test_a_dry_run_rerun_keeps_the_real_actions_waiting_for_the_window(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path))
    s.run(DAY)
    before = s.query("select idempotency_key, status, dry_run from collections.action_log order by 1")
    assert before and not any(a["dry_run"] for a in before)
    report = s.query("select run_id, dry_run from collections.portfolio_day order by portfolio")
    s.run(DAY, dry_run=True, write=False)  # an operator checks a fix with a dry run before 08:00
    assert s.query("select idempotency_key, status, dry_run from collections.action_log order by 1") == before
    assert s.query("select run_id, dry_run from collections.portfolio_day order by portfolio") == report
    counts = {}
    for kind in ("notice", "call"):
        for portfolio in ("P1", "P2"):
            c = outbox.deliver(db, portfolio, d(DAY), kind, clients(simulator), now=IN_WINDOW)
            counts[kind] = counts.get(kind, 0) + c["sent"]
    assert counts["notice"] > 0 and counts["call"] > 0  # the real notices and calls still go out


def test_a_429_is_retried_after_the_partners_retry_after_and_the_refusal_carries_its_status(simulator):
    from debt_collections.errors import DeliveryRefused

    waited: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.5, timeout=2)
    client = PartnerClient(simulator.url, requests.Session(), policy, rng=random.Random(1), sleep=waited.append)
    faults(simulator, rate_429=1.0, retry_after=1)
    with pytest.raises(DeliveryRefused) as refused:
        client.request("POST", "/v1/sms", key="K-429", json={"text": "x"})
    # each of the three waits is the partner's Retry-After, not the 10 ms backoff; no wait after the last try
    assert waited == [1.0, 1.0, 1.0]
    assert (refused.value.status, refused.value.retryable) == (429, True)
    faults(simulator, rate_429=1.0, retry_after=30)  # honoured up to four times the longest backoff
    waited.clear()
    with pytest.raises(DeliveryRefused):
        client.request("POST", "/v1/sms", key="K-429b", json={"text": "x"})
    assert waited == [2.0, 2.0, 2.0]
    faults(simulator, rate_429=0.0)
    with pytest.raises(DeliveryRefused) as gone:  # a 4xx is final: no retry
        PartnerClient(simulator.url + "/nowhere", requests.Session(), policy, sleep=waited.append).request(
            "POST", "/v1/sms", key="K-404", json={}
        )
    assert (gone.value.status, gone.value.retryable) == (404, False)


# -- the dialer's caps (SPEC section 5), from what its receipts say ---------------------------------
SHARED_NUMBER = "+8613811112222"
CALL_DUE = "2026-11-10"  # dpd 18 on DAY: the call rung


def _calls(s: Scenario, who: list[tuple[str, str, str]], *, per_7_days: int = 7, connected_cap: int = 3) -> Scenario:
    """Accounts on the call rung: (account, customer, portfolio), every customer on ``SHARED_NUMBER``."""
    contact = s.policy.contact.model_copy(
        update={
            "max_call_attempts_per_account_per_7_days": per_7_days,
            "max_connected_calls_per_debtor_per_day": connected_cap,
        }
    )
    s.policy = s.policy.model_copy(update={"contact": contact})
    customers = {c for _, c, _ in who}
    for c in sorted(customers):
        s.customer(c, phone=SHARED_NUMBER)
    for account, customer, portfolio in who:
        s.account(account, customer=customer, portfolio=portfolio, first_due=CALL_DUE, months=1)
    s.run(DAY)
    return s


def _deliver_calls(s: Scenario, db: str, portfolio: str, partners: dict, minutes: int = 0) -> None:
    now = IN_WINDOW.add(minutes=minutes)
    outbox.deliver(db, portfolio, d(DAY), "call", partners, now=now, caps=s.policy.contact)


def test_dial_attempts_on_a_number_are_summed_over_every_customer_sharing_it(db, tmp_path, simulator):
    # 21 attempts in 7 days: 3 per daily entry; three customers share one number, 6 dials a day on it
    s = _calls(Scenario(db, tmp_path), [("A1", "C1", "P1"), ("A2", "C2", "P1"), ("A3", "C3", "P2")], per_7_days=21)
    partners = clients(simulator)
    _deliver_calls(s, db, "P1", partners)
    _, accepted = sim_log(simulator)
    assert sorted(a["body"]["max_attempts"] for a in accepted) == [3, 3]  # 6 of the number's 6
    _deliver_calls(s, db, "P2", partners, minutes=30)  # another portfolio, no receipt yet: counted in full
    assert len(sim_log(simulator)[1]) == 2
    third = s.action("A3", DAY, "call")
    assert (third["status"], third["reason"]) == ("suppressed", "max_dial_attempts_per_number_per_day")


def test_two_portfolios_calls_delivered_at_once_share_their_numbers_dial_attempts(db, tmp_path, simulator):
    """The DAG delivers each portfolio's calls in a task of its own, at once: P1's and P2's customers share
    one number (6 dials a day, 3 an entry). Both deliveries once counted before either had sent, and the
    number got 9; now the budgets are granted one delivery at a time, a budgeted call counting in full."""
    s = _calls(Scenario(db, tmp_path), [("A1", "C1", "P1"), ("A2", "C2", "P1"), ("A3", "C3", "P2")], per_7_days=21)
    faults(simulator, latency_ms=300)  # each delivery's calls are with the dialer while the other counts
    partners = clients(simulator)
    at_once(lambda p: _deliver_calls(s, db, p, partners), ["P1", "P2"])
    accepted = sim_log(simulator)[1]
    assert sum(a["body"]["max_attempts"] for a in accepted) == 6, accepted  # the number's 6, not 9
    assert len(accepted) == 2
    stopped = s.query("select reason from collections.action_log where status = 'suppressed'")
    assert stopped == [{"reason": "max_dial_attempts_per_number_per_day"}]


def test_the_dialers_receipts_are_read_back_and_what_is_left_on_the_number_is_what_the_next_call_gets(
    db, tmp_path, simulator
):
    s = _calls(Scenario(db, tmp_path), [("A1", "C1", "P1"), ("A2", "C2", "P1"), ("A3", "C3", "P2")], per_7_days=21)
    faults(simulator, promise_rate=0.0, no_answer_rate=0.0)  # every call answered (refused), after 1-3 dials
    partners = clients(simulator)
    _deliver_calls(s, db, "P1", partners)
    outbox.collect_receipts(db, partners)
    receipts = requests.get(simulator.url + "/v1/dialer/queue/receipts", timeout=5).json()["items"]
    stored = s.query(
        "select idempotency_key as reference, dial_attempts as attempts, connected from collections.action_log "
        "where channel = 'dialer' and status = 'delivered' order by 1"
    )
    assert stored == sorted(({k: r[k] for k in ("reference", "attempts", "connected")} for r in receipts), key=str)
    used = sum(r["attempts"] for r in receipts)
    assert 2 <= used < 6
    _deliver_calls(s, db, "P2", partners, minutes=30)
    third = [a for a in sim_log(simulator)[1] if a["body"]["account_id"] == "A3"]
    assert [a["body"]["max_attempts"] for a in third] == [min(3, 6 - used)]


@pytest.mark.parametrize(
    ("outcome", "read_receipts", "second_call"),
    [
        ({"promise_rate": 1.0}, True, ("suppressed", "max_connected_calls_per_debtor_per_day")),
        ({"promise_rate": 0.0, "no_answer_rate": 1.0}, True, ("sent", None)),  # not answered: not connected
        ({"promise_rate": 0.0, "no_answer_rate": 1.0}, False, ("suppressed", "max_connected_calls_per_debtor_per_day")),
    ],
    ids=["connected", "not-answered", "no-receipt-yet-counts-as-connected"],
)
def test_connected_calls_per_debtor_are_counted_from_the_receipts_across_portfolios(
    db, tmp_path, simulator, outcome, read_receipts, second_call
):
    s = _calls(Scenario(db, tmp_path), [("A1", "D", "P1"), ("A2", "D", "P2")], connected_cap=1)
    faults(simulator, **outcome)
    partners = clients(simulator)
    _deliver_calls(s, db, "P1", partners)
    assert s.action("A1", DAY, "call")["status"] == "sent"
    if read_receipts:
        outbox.collect_receipts(db, partners)
    _deliver_calls(s, db, "P2", partners, minutes=30)
    second = s.action("A2", DAY, "call")
    assert (second["status"], second["reason"]) == second_call


def test_nobody_but_the_customer_is_contacted(db, tmp_path, simulator):
    """SPEC 5: every message, call, visit and referral names and reaches the account's own customer only."""
    s = book(Scenario(db, tmp_path), n=40)
    s.customer("SH1", phone=SHARED_NUMBER, full_name="Zhang Wei", address="1 Road, Shanghai")
    s.customer("SH2", phone=SHARED_NUMBER, full_name="Zhang Min", address="1 Road, Shanghai")
    s.account("S1", customer="SH1", first_due=CALL_DUE, months=1)
    s.account("S2", customer="SH2", first_due="2026-08-10", months=4)
    s.run(DAY)
    partners = clients(simulator)
    for kind in ("notice", "call", "visit", "legal"):
        for portfolio in ("P1", "P2"):
            outbox.deliver(db, portfolio, d(DAY), kind, partners, now=IN_WINDOW, caps=s.policy.contact)
    _, accepted = sim_log(simulator)
    customers = {
        r["account_id"]: r
        for r in s.query(
            "select a.account_id, c.full_name, c.phone from collections.account a join collections.customer c "
            "using (customer_id)"
        )
    }
    assert {a["path"] for a in accepted} >= {"/v1/sms", "/v1/dialer/queue", "/v1/field/visits", "/v1/legal/referrals"}
    for a in accepted:
        body, own = a["body"], customers[a["body"]["account_id"]]
        assert body.get("to", own["phone"]) == own["phone"] and body.get("number", own["phone"]) == own["phone"]
        assert body.get("name", own["full_name"]) == own["full_name"]
        others = {c["full_name"] for c in customers.values()} - {own["full_name"]}
        assert not [n for n in others if n in str(body)], a["path"]


# -- partners that take a list per request (issue #17, item 3) ----------------------------------------
BATCH_CHANNELS = ("sms", "letter", "dialer")  # the simulator's gateways with a batch endpoint


def batch_clients(sim: SimulatorServer, *, size: int = 7, concurrency: int = 3, attempts: int = 8) -> dict:
    """The SMS gateway, letter house and dialer in lists of ``size``; the field app and law firm one by one."""
    partners = clients(sim, attempts=attempts)
    for channel in BATCH_CHANNELS:
        partners[channel].batch_size, partners[channel].concurrency = size, concurrency
    return partners


def deliver_day(db: str, partners: dict, portfolios=("P1", "P2")) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for portfolio in portfolios:
        for kind in ("notice", "call", "visit", "legal"):
            counts.update(outbox.deliver(db, portfolio, d(DAY), kind, partners, now=IN_WINDOW))
    return counts


def assert_exactly_once(s: Scenario, sim: SimulatorServer) -> tuple[list[dict], list[dict], list[dict]]:
    """Each key accepted once; the sent actions are exactly the accepted keys, each with its first message id."""
    log, accepted = sim_log(sim)
    keys = [a["key"] for a in accepted]
    assert len(keys) == len(set(keys)), "a key was accepted twice"
    actions = s.query("select idempotency_key, channel, status, reason, partner_message_id from collections.action_log")
    sent = {a["idempotency_key"]: a["partner_message_id"] for a in actions if a["status"] == "sent"}
    assert sent == {a["key"]: a["message_id"] for a in accepted}
    return log, accepted, actions


def test_a_batch_partner_delivers_the_days_actions_each_key_accepted_once(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path), n=60)
    s.run(DAY)
    counts = deliver_day(db, batch_clients(simulator))
    log, accepted, actions = assert_exactly_once(s, simulator)
    assert {a["status"] for a in actions} <= {"sent", "suppressed"} and counts["sent"] == len(accepted) > 0
    batched = [a for a in actions if a["channel"] in ("sms", "dialer") and a["status"] == "sent"]
    assert len(batched) > 2 * 7  # several lists per channel
    # the gateways got lists (each item logged with the batch path), the others one message a request
    paths = {e["path"] for e in log}
    assert {"/v1/sms/batch", "/v1/dialer/queue/batch"} <= paths and not paths & {"/v1/sms", "/v1/dialer/queue"}
    assert {"/v1/field/visits", "/v1/legal/referrals"} <= paths
    assert not any(e.get("duplicate") for e in log)


@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 0.5},
        {"timeout_rate": 0.4, "timeout_s": 0.8},
        {"rate_429": 0.5, "retry_after": 0},
        {"drop_rate": 0.4},
    ],
    ids=["503", "timeout", "429", "answer-lost"],
)
def test_a_batch_answered_503_timeout_or_429_is_retried_whole_and_ends_exactly_once(db, tmp_path, simulator, fault):
    s = book(Scenario(db, tmp_path), n=60)
    s.run(DAY)
    faults(simulator, seed=7, **fault)
    deliver_day(db, batch_clients(simulator, size=5, attempts=14))
    log, accepted, actions = assert_exactly_once(s, simulator)
    assert {a["status"] for a in actions} <= {"sent", "suppressed"}
    failed = [e for e in log if e["path"].endswith("/batch") and e["status"] in (503, 504, 429, "timeout")]
    assert failed or fault.get("drop_rate"), "no batch request met the fault"
    if fault.get("drop_rate"):
        # a list taken whose answer was lost is sent again whole: the partner answers its items as duplicates
        assert any(e.get("duplicate") for e in log if e["path"].endswith("/batch"))


KILLED_BATCH_DELIVERY = """
import sys, pendulum, requests
from debt_collections.delivery.http import PartnerClient
from debt_collections.store import outbox
url, db = sys.argv[1], sys.argv[2]
clients = {c: PartnerClient(url, requests.Session()) for c in ('sms', 'letter', 'dialer', 'field_app', 'legal_portal')}
for c in ('sms', 'letter', 'dialer'):
    clients[c].batch_size, clients[c].concurrency = 4, 2
now = pendulum.datetime(2026, 11, 29, 10, tz='Asia/Shanghai')
for p in ('P1', 'P2'):
    for k in ('notice', 'call', 'visit', 'legal'):
        outbox.deliver(db, p, pendulum.date(2026, 11, 28), k, clients, now=now)
"""


@pytest.mark.parametrize("how", ["sigkill-from-outside", "crash-point-deliver.sent#3"])
def test_killed_in_the_middle_of_batch_delivery_then_rerun_accepts_no_key_twice(db, tmp_path, simulator, how):
    """SIGKILL of the delivering process: from outside once 20 actions are accepted, or at the named
    crash point, when a list's answer is in and its results are not written back yet."""
    import os
    import signal
    import subprocess
    import sys
    import time

    s = book(Scenario(db, tmp_path), n=160)
    s.run(DAY)
    faults(simulator, latency_ms=25)
    env = {k: v for k, v in os.environ.items() if k != "COLLECTIONS_CRASH_AT"}
    if how.startswith("crash-point"):
        env["COLLECTIONS_CRASH_AT"] = how.removeprefix("crash-point-")
    cmd = [sys.executable, "-c", KILLED_BATCH_DELIVERY, simulator.url, db]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    if how == "sigkill-from-outside":
        deadline = time.monotonic() + 30
        while len(sim_log(simulator)[1]) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # no chance to write back what it sent
    assert proc.wait(timeout=60) == -signal.SIGKILL
    log_before, before = sim_log(simulator)
    planned = s.query("select count(*) as n from collections.action_log where status = 'planned'")[0]["n"]
    assert len(before) > 0 and planned > 0
    assert any(e["path"].endswith("/batch") for e in log_before)
    faults(simulator, latency_ms=0)
    deliver_day(db, batch_clients(simulator))
    log, accepted, actions = assert_exactly_once(s, simulator)
    assert {a["status"] for a in actions} <= {"sent", "suppressed"}
    if how.startswith("crash-point"):  # the list it never wrote back went again, answered as duplicates
        assert any(e.get("duplicate") for e in log)
    print(f"\nFIGURES batch-kill {how}: accepted_before_kill={len(before)} accepted={len(accepted)} twice=0")


def test_a_rejected_item_fails_only_that_action_with_the_partners_reason(db, tmp_path, simulator):
    s = book(Scenario(db, tmp_path), n=60)
    s.run(DAY)
    faults(simulator, reject_rate=0.2)
    deliver_day(db, batch_clients(simulator))
    log, accepted, actions = assert_exactly_once(s, simulator)
    rejected = {e["key"] for e in log if e["path"].endswith("/batch") and e["status"] == 422}
    assert rejected, "the simulator rejected no item"
    failed = [a for a in actions if a["status"] == "failed"]
    in_lists = {a["idempotency_key"]: a["reason"] for a in failed if a["channel"] in BATCH_CHANNELS}
    assert set(in_lists) == rejected
    assert set(in_lists.values()) == {"partner rejected: rejected: invalid destination (simulated)"}
    # the field app and the law firm, one by one, refuse with a 422 that carries the same reason
    singles = [a["reason"] for a in failed if a["channel"] not in BATCH_CHANNELS]
    assert all(r.startswith("partner answered 422") and "invalid destination" in r for r in singles)
    # the rest of each list that held a rejected item went through
    by_status = collections.Counter(a["status"] for a in actions if a["channel"] in BATCH_CHANNELS)
    assert by_status["sent"] > len(rejected)


def test_a_partner_connections_extra_says_its_batch_size_and_concurrency():
    from debt_collections.delivery.http import partner_limits
    from debt_collections.errors import ConfigError

    assert partner_limits("collections_sms", {"batch_size": 200, "concurrency": "4", "Accept": "x"}) == {
        "batch_size": 200,
        "concurrency": 4,
    }
    assert partner_limits("collections_field", {}) == {}  # one by one, the delivery's concurrency
    for bad in ({"concurrency": 0}, {"batch_size": 5000}, {"batch_size": "lots"}, {"concurrency": True}):
        with pytest.raises(ConfigError, match="collections_sms: extra"):
            partner_limits("collections_sms", bad)


@pytest.mark.parametrize(
    ("statement", "kind", "uses", "never"),
    [
        # the calls with the dialer in the last two days, by sent_at: not a scan of the whole log
        (
            "outbox/apply_send_rules.sql",
            "call",
            r"(?:Index Scan using action_log_dialer_sent_idx on action_log \w+|Bitmap Index Scan on "
            r"action_log_dialer_sent_idx)[^\n]*\n\s+Index Cond: \(sent_at > ",
            "Seq Scan on action_log",
        ),
        # the calls other deliveries have budgeted and not sent, by budget_at (migration 0031)
        (
            "outbox/apply_send_rules.sql",
            "call",
            r"(?:Index Scan using action_log_dialer_budgeted_idx on action_log \w+|Bitmap Index Scan on "
            r"action_log_dialer_budgeted_idx)[^\n]*\n\s+Index Cond: \(budget_at > ",
            "Seq Scan on action_log",
        ),
        # whether the number reached someone else: the outcomes of each subject's accounts, not every customer's
        (
            "actions/plan.sql",
            "call",
            r"(?:Index Scan using account_customer_idx on account a |Bitmap Index Scan on account_customer_idx)"
            r"[^\n]*\n\s+Index Cond: \(customer_id = \w+\.customer_id\)",
            "Seq Scan on event",
        ),
    ],
    ids=["dialled_calls", "budgeted_calls", "wrong_numbers"],
)
def test_the_days_statements_find_their_rows_by_index_not_by_a_scan_of_the_history(
    db, tmp_path, statement, kind, uses, never
):
    """Each of these read a table that grows with the book's history whole (bench/RESULTS.md); with sequential
    scans made as dear as the planner allows, each must look its rows up by the index (a plain or
    a bitmap index scan), bound to what it needs."""
    from debt_collections.domain.params import RunParams
    from debt_collections.store.daily import plan_params
    from debt_collections.store.db import connect
    from debt_collections.store.sql import sql

    s = book(Scenario(db, tmp_path), n=8)
    s.run(DAY)
    if statement.startswith("actions/"):
        bind = plan_params(s.policy, "call", "P1", RunParams(d(DAY), None, s.policy.stages, False))
    else:
        bind = outbox._bind("P1", d(DAY), kind, IN_WINDOW, s.policy.contact)
    with connect(db) as conn:
        conn.execute("set local enable_seqscan = off")
        plan = "\n".join(r["QUERY PLAN"] for r in conn.execute("explain " + sql(statement), bind).fetchall())
        conn.rollback()
    assert re.search(uses, plan) and never not in plan, plan
