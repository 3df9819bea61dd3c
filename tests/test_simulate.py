"""SPEC 10: `collections simulate` replays stored days under a candidate policy and the baseline.

One small book is run day by day through the plan of the day (2026-11-05..16, history),
then simulated over 2026-11-08..16, whose first day continues from the recorded 11-07:

    A1  first due 11-01: its case opens 11-05 on the notice rung (dpd 4)
    A2  first due 10-20: its case opens 11-05 on the call rung (dpd 16), a call every day
    A3  first due 11-06: its case opens 11-07 (dpd 1); dpd 8 on 11-14
    A4  first due 10-20, disputed: on hold, no action
    A5  as A1, without a phone: its notices are letters

The candidate calls from dpd 15 instead of 8 (standard.yaml otherwise).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from debt_collections.cli import main
from debt_collections.policy.loader import load_policy
from debt_collections.simulate import resolve, simulate
from tests.pg import copied_database
from tests.scenario import REPO, STANDARD, Scenario, d, dag_run_state, task_failures

FIRST, LAST = "2026-11-08", "2026-11-16"
DAYS = [f"2026-11-{n:02d}" for n in range(8, 17)]


def _book(conninfo: str, root: Path) -> None:
    s = Scenario(conninfo, root)
    s.account("A1", first_due="2026-11-01", months=3)
    s.account("A2", first_due="2026-10-20", months=3)
    s.account("A3", first_due="2026-11-06", months=3)
    s.account("A4", first_due="2026-10-20", months=3)
    s.event("e4", "A4", "2026-11-01T10:00:00+08:00", "dispute")
    s.account("A5", customer=s.customer("CU-A5", phone=None), first_due="2026-11-01", months=3)
    s.run_days("2026-11-05", LAST)


@pytest.fixture(scope="module")
def history(pg_admin: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database holding the book's history, shared by the tests that only read it."""
    for dsn in copied_database(pg_admin, template_db, "coll_sim"):
        _book(dsn, tmp_path_factory.mktemp("sim_book"))
        yield dsn


@pytest.fixture
def own_history(pg_admin: str, history: str) -> Iterator[str]:
    """A copy of the history, for a test that changes it."""
    yield from copied_database(pg_admin, psycopg.conninfo.conninfo_to_dict(history)["dbname"], "coll_sim")


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """standard.yaml calling from dpd 15 instead of 8, beside the shared defaults."""
    text = STANDARD.read_text(encoding="utf-8")
    changed = text.replace("enter: {dpd_at_least: 8}", "enter: {dpd_at_least: 15}")
    assert changed != text
    shutil.copy(STANDARD.with_name("defaults.yaml"), tmp_path / "defaults.yaml")
    path = tmp_path / "calls_from_15.yaml"
    path.write_text(changed, encoding="utf-8")
    return path


def _simulate(conninfo: str, policy: str | Path, baseline: str | None = None) -> dict:
    return simulate(conninfo, resolve(conninfo, str(policy), baseline, FIRST, LAST, ["P1"]))


def _per_day(side: dict, key: str) -> dict[str, int]:
    return {d["as_of"]: d["actions_by_kind_status"].get(key, 0) for d in side["days"]}


def _query(conninfo: str, text: str, params: dict | None = None) -> list[dict]:
    return Scenario(conninfo, REPO).query(text, params)


def test_the_baseline_over_stored_days_reproduces_history(history):
    result = _simulate(history, STANDARD)
    assert result["differences_from_history"] == []
    assert result["baseline_matches_history"] is True
    assert (result["from"], result["to"], result["portfolios"]) == (FIRST, LAST, ["P1"])
    assert result["baseline"]["policy"].endswith("dags/policies/standard.yaml")  # the policy covering P1
    recorded = _query(
        history,
        "select as_of::text, kind || ':' || status as key, count(*)::int as n from collections.action "
        "where as_of between %(f)s and %(t)s group by 1, 2",
        {"f": FIRST, "t": LAST},
    )
    replayed = {(d["as_of"], k): n for d in result["baseline"]["days"] for k, n in d["actions_by_kind_status"].items()}
    assert replayed == {(r["as_of"], r["key"]): r["n"] for r in recorded}
    assert [d["as_of"] for d in result["baseline"]["days"]] == DAYS
    for side in ("baseline", "candidate"):
        assert result[side]["totals"]["rule_violations"] == 0
        assert all(d["rule_violations"] == 0 for d in result[side]["days"])
    assert result["baseline"]["days"][0]["cases_by_stage"] == {"call": 2, "notice": 3}  # A4 on hold counts
    assert isinstance(result["baseline"]["days"][0]["overdue_amount"], str)


def test_a_candidate_calling_from_dpd_15_calls_less_on_exactly_the_days_it_should(history, candidate):
    result = _simulate(history, candidate)
    base_calls, cand_calls = (_per_day(result[s], "call:planned") for s in ("baseline", "candidate"))
    # baseline: A2 every day, A1 and A5 from dpd 8 (11-09), A3 from dpd 8 (11-14)
    assert base_calls == dict(zip(DAYS, [1, 3, 3, 3, 3, 3, 4, 4, 4], strict=True))
    # candidate: A2 every day, A1 and A5 from dpd 15 (11-16), A3 never (dpd 10 on 11-16)
    assert cand_calls == dict(zip(DAYS, [1, 1, 1, 1, 1, 1, 1, 1, 3], strict=True))
    # notices: the same where the ladder is the same; a case the candidate keeps on the notice
    # rung gets its every-3-days notice there (A1 and A5 on 11-11 and 11-14, A3 on 11-16)
    base_notices = {d["as_of"]: n for d in result["baseline"]["days"] for n in [_notices(d)]}
    cand_notices = {d["as_of"]: n for d in result["candidate"]["days"] for n in [_notices(d)]}
    assert base_notices == dict(zip(DAYS, [2, 0, 1, 0, 0, 1, 0, 0, 0], strict=True))
    extra = {"2026-11-11": 2, "2026-11-14": 2, "2026-11-16": 1}
    assert cand_notices == {day: n + extra.get(day, 0) for day, n in base_notices.items()}
    assert result["candidate"]["totals"]["actions_by_kind_status"]["call:planned"] == 11
    assert result["baseline"]["totals"]["actions_by_kind_status"]["call:planned"] == 28
    assert result["candidate"]["totals"]["rule_violations"] == 0
    assert result["baseline_matches_history"] is True


def _notices(day: dict) -> int:
    return sum(n for k, n in day["actions_by_kind_status"].items() if k.startswith("notice:"))


def _checksums(conninfo: str) -> dict[str, str]:
    """md5 of every table of collections (rows in a fixed order), and each sequence's position."""
    with psycopg.connect(conninfo) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'collections' and c.relkind in ('r', 'p') order by 1"
            )
        ]
        sums = {}
        for t in tables:
            q = pgsql.SQL("select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from collections.{} t")
            sums[t] = conn.execute(q.format(pgsql.Identifier(t))).fetchone()[0]
        for name, value in conn.execute(
            "select sequencename, last_value from pg_sequences where schemaname = 'collections'"
        ):
            sums[f"sequence {name}"] = str(value)
    return sums


def test_nothing_of_collections_changes_and_no_scratch_schema_is_left(history, candidate):
    before = _checksums(history)
    _simulate(history, candidate)
    assert _checksums(history) == before
    left = _query(history, "select nspname from pg_namespace where nspname like 'collections\\_sim\\_%%'")
    assert left == []


def test_a_changed_history_row_is_listed(own_history):
    changed = _query(
        own_history,
        "update collections.case_state set stage = 'visit' "
        "where account_id = 'A1' and as_of = '2026-11-10' returning case_id",
    )
    assert changed
    result = _simulate(own_history, STANDARD)
    assert result["baseline_matches_history"] is False
    assert result["differences_total"] == 1
    assert result["differences_from_history"] == [
        {
            "as_of": "2026-11-10",
            "account_id": "A1",
            "case_id": changed[0]["case_id"],
            "kind": "case",
            "column": "stage",
            "history": "visit",
            "replay": "call",
        }
    ]


def test_the_cli_refuses_a_first_day_after_the_last(history, tmp_path, capsys):
    out = tmp_path / "out.json"
    code = main(
        ["simulate", "--db", history, "--policy", "standard.yaml", "--from", LAST, "--to", FIRST, "--json", str(out)]
    )
    assert code == 2
    assert "--from 2026-11-16 is after --to 2026-11-08" in capsys.readouterr().err
    assert not out.exists()


def test_the_cli_writes_the_result(history, tmp_path, capsys):
    out = tmp_path / "out.json"
    args = ["--db", history, "--policy", "standard.yaml", "--from", FIRST, "--to", FIRST, "--json", str(out)]
    assert main(["simulate", *args, "--portfolio", "P1"]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result) >= {"from", "to", "portfolios", "baseline", "candidate", "baseline_matches_history"}
    assert result["baseline_matches_history"] is True
    assert "matches history" in capsys.readouterr().out


def test_the_app_role_can_simulate(history, pg_admin, candidate):
    """The DAGs' login role (migration 0016) simulates: its scratch schema comes from the owner's function."""
    from tests.test_least_privilege import _login_role

    for login in _login_role(pg_admin, history):
        result = simulate(login, resolve(login, str(candidate), "standard.yaml", FIRST, LAST, ["P1"]))
        assert result["baseline_matches_history"] is True
        with psycopg.connect(login) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create schema collections_sim_0123456789ab")
    assert _query(history, "select nspname from pg_namespace where nspname like 'collections\\_sim\\_%%'") == []


@pytest.mark.airflow
def test_the_simulate_dag_keeps_its_result(airflow_home, db, tmp_path, candidate):
    import os

    from tests.airflow_cli import run_airflow

    _book(db, tmp_path / "book")
    parts = psycopg.conninfo.conninfo_to_dict(db)
    env = {
        **os.environ,
        "COLLECTIONS_NOW": "2026-11-17T10:00:00+08:00",
        "AIRFLOW_CONN_COLLECTIONS_DB": json.dumps(
            {
                "conn_type": "postgres",
                "host": parts.get("host"),
                "port": int(parts.get("port", 5432)),
                "login": parts.get("user"),
                "schema": parts["dbname"],
            }
        ),
    }
    conf = {"candidate": str(candidate), "from": FIRST, "to": LAST, "portfolios": ["P1"]}
    before = _checksums(db)
    done = run_airflow(["dags", "test", "collections_simulate", "-c", json.dumps(conf)], env=env)
    assert dag_run_state(done) == "success" and not task_failures(done), done.stdout[-3000:] + done.stderr[-3000:]
    rows = _query(db, "select run_id, params, started_at <= finished_at as ordered, result from collections.simulation")
    assert len(rows) == 1 and rows[0]["ordered"]
    assert rows[0]["params"]["candidate"] == str(candidate) and rows[0]["params"]["from"] == FIRST
    result = rows[0]["result"]
    assert result["baseline_matches_history"] is True
    assert result["baseline"]["policy"].endswith("standard.yaml")  # the policy covering P1
    assert result["candidate"]["totals"]["actions_by_kind_status"]["call:planned"] == 11
    after = _checksums(db)
    assert after.pop("simulation") != before.pop("simulation")  # the one table the DAG writes to
    assert {k: v for k, v in after.items() if not k.startswith("sequence simulation")} == {
        k: v for k, v in before.items() if not k.startswith("sequence simulation")
    }


def test_rule_violations_counts_contacts_that_break_a_contact_rule(own_history):
    """The violations statement, read on the recorded history (no scratch schema): 0, then one per broken rule."""
    from debt_collections.simulate import _bind
    from debt_collections.store import simulate as store

    request = resolve(own_history, str(STANDARD), None, FIRST, LAST, ["P1"])
    bind = _bind(load_policy(STANDARD), request)
    assert store.rule_violations(own_history, bind) == {}
    copy = (
        "insert into collections.action_log (idempotency_key, portfolio, as_of, account_id, customer_id, case_id, "
        "kind, stage, status, channel, window_opens_at, window_closes_at) "
        "select %(key)s, portfolio, as_of, account_id, %(customer)s, case_id, 'visit', stage, 'planned', %(channel)s, "
        "window_opens_at, window_closes_at from collections.action_log "
        "where account_id = 'A2' and as_of = %(d)s and kind = 'call' returning 1"
    )
    # an SMS to A1's customer on 11-08 beside its notice (one a day)
    assert _query(own_history, copy, {"key": "x1", "customer": "CU-A1", "channel": "sms", "d": "2026-11-08"})
    # a visit of A4 on 11-09, whose case is on hold (disputed)
    assert _query(own_history, copy, {"key": "x2", "customer": "CU-A4", "channel": "field_app", "d": "2026-11-09"})
    _query(
        own_history,
        "update collections.action_log set account_id = 'A4', window_opens_at = null, window_closes_at = null, "
        "case_id = (select case_id from collections.case_state where account_id = 'A4' limit 1) "
        "where idempotency_key = 'x2' returning 1",
    )
    assert store.rule_violations(own_history, bind) == {d("2026-11-08"): 1, d("2026-11-09"): 1}
    assert store.stopped_at_send(own_history, bind) == {}
    # one more SMS to A1's customer that day, planned by another portfolio's task: within each portfolio's
    # own cap, over it only across them, which the send-time check stops: no violation, one stopped
    assert _query(
        own_history,
        "insert into collections.action_log (idempotency_key, portfolio, as_of, account_id, customer_id, kind, stage, "
        "status, channel) values ('x3', 'P9', '2026-11-08', 'A2', 'CU-A1', 'notice', 'notice', 'planned', 'sms') "
        "returning 1",
    )
    both = {**bind, "portfolios": ["P1", "P9"]}
    assert store.rule_violations(own_history, both) == {d("2026-11-08"): 1, d("2026-11-09"): 1}
    assert store.stopped_at_send(own_history, both) == {d("2026-11-08"): 1}


def test_actions_a_partner_or_the_send_time_moved_on_count_as_planned(own_history):
    """The replay sends nothing: an action sent, delivered, failed or deferred in history is planned in it."""
    moved = _query(
        own_history,
        "update collections.action_log set status = s.status, sent_at = s.sent_at::timestamptz "
        "from (values ('A2', '2026-11-08', 'call', 'sent', '2026-11-09T10:00:00+08:00'), "
        "             ('A2', '2026-11-09', 'call', 'failed', null), "
        "             ('A1', '2026-11-08', 'notice', 'deferred', null), "
        "             ('A2', '2026-11-10', 'call', 'delivered', '2026-11-11T10:00:00+08:00')) "
        "     as s(account_id, as_of, kind, status, sent_at) "
        "where action_log.account_id = s.account_id and action_log.as_of = s.as_of::date "
        "and action_log.kind = s.kind returning 1",
    )
    assert len(moved) == 4
    result = _simulate(own_history, STANDARD)
    assert result["baseline_matches_history"] is True and result["differences_from_history"] == []
