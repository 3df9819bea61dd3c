"""A rerun from the collections view, carried out by a live Airflow (issue #5, last acceptance item).

Airflow's API server (serving the collections plugin), scheduler and DAG processor
run as processes (LocalExecutor). A day is run for every portfolio; then the drop
is fixed (a repayment that was missing) for one portfolio, and the rerun form of
the view is posted for two portfolios. The rerun must be in Airflow's run list
with those portfolios in its conf, finish through the scheduler, and change rows
of those portfolios only: the other portfolios' rows are the same, byte for byte,
even though the drop also gained a repayment of one of them.
"""

from __future__ import annotations

import re

import pytest
import requests

from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.store.db import connect
from tests.live_airflow import live_airflow, metadata_database
from tests.scenario import d
from tests.test_airflow import _env

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-20"
CHOSEN = ["AUTO-EAST", "AUTO-SOUTH"]  # rerun from the view; the fix is in AUTO-EAST
OTHERS = ["AUTO-NORTH", "LEASE-WEST"]  # not chosen; AUTO-NORTH gets a fix in the drop too, which must wait
DAG_ID = "collections_standard"

SNAPSHOT = {
    "case_day": "select t::text as row from collections.case_day t where t.portfolio = any(%(p)s) order by 1",
    "action": "select t::text as row from collections.action t join collections.account a using (account_id) "
    "where a.portfolio = any(%(p)s) order by 1",
    "action_log": "select t::text as row from collections.action_log t where t.portfolio = any(%(p)s) order by 1",
    "portfolio_day": "select t::text as row from collections.portfolio_day t where t.portfolio = any(%(p)s) order by 1",
}


def snapshot(db: str, portfolios: list[str]) -> dict[str, list[str]]:
    """The rows of ``portfolios`` in the output views and tables, as Postgres prints them."""
    with connect(db) as conn:
        return {name: [r["row"] for r in conn.execute(sql, {"p": portfolios})] for name, sql in SNAPSHOT.items()}


def _overdue_account(db: str, portfolio: str) -> dict:
    """An open case of ``portfolio`` on AS_OF that has actions that day."""
    with connect(db) as conn:
        return conn.execute(
            "select c.account_id, c.overdue_amount from collections.case_day c "
            "where c.portfolio = %(p)s and c.as_of = %(d)s and c.status = 'open' "
            "and exists (select 1 from collections.action a where a.account_id = c.account_id and a.as_of = c.as_of) "
            "order by c.account_id limit 1",
            {"p": portfolio, "d": AS_OF},
        ).fetchone()


@pytest.fixture
def book(tmp_path):
    root = tmp_path / "drops"
    generate_book(root, BookSpec(accounts=800, start=d(AS_OF), end=d(AS_OF), seed=5))
    return root


def test_a_rerun_from_the_view_runs_in_airflow_and_changes_only_the_chosen_portfolios(
    airflow_metadata_template, pg_admin, db, book, tmp_path
):
    with (
        metadata_database(pg_admin, tmp_path / "airflow", template=airflow_metadata_template) as meta,
        live_airflow({**_env(db, book), **meta}, tmp_path / "logs") as live,
    ):
        live.unpause(DAG_ID)
        # the day, run by the scheduler for every portfolio
        first = live.trigger(DAG_ID, {"as_of": AS_OF})
        run = live.wait_for_run(DAG_ID, first)
        assert run["state"] == "success", live.report(DAG_ID, first)
        others_before, chosen_before = snapshot(db, OTHERS), snapshot(db, CHOSEN)
        assert all(others_before.values()) and all(chosen_before.values())

        # the data fix: repayments the drop had missed, one in a chosen portfolio, one in another
        east, north = _overdue_account(db, "AUTO-EAST"), _overdue_account(db, "AUTO-NORTH")
        with (book / AS_OF / "repayments.csv").open("a", encoding="utf-8") as fh:
            for payment_id, account in (("FIX-EAST", east), ("FIX-NORTH", north)):
                fh.write(
                    f"{payment_id},{account['account_id']},{AS_OF}T12:00:00+08:00,{account['overdue_amount']},,bank\n"
                )

        # the operator's rerun: the Today page's form, posted as the logged-in user
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {live.token()}"
        page = session.get(f"{live.url}/collections/today", params={"as_of": AS_OF}, timeout=60)
        assert page.status_code == 200, page.text[-2000:]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        before = {r["dag_run_id"] for r in live.runs(DAG_ID)}
        answer = session.post(
            f"{live.url}/collections/rerun", timeout=60, data={"as_of": AS_OF, "portfolios": CHOSEN, "csrf": csrf}
        )
        assert answer.status_code == 200, answer.text[-2000:]
        (rerun,) = [r for r in live.runs(DAG_ID) if r["dag_run_id"] not in before]
        assert rerun["dag_run_id"] in answer.text
        done = live.wait_for_run(DAG_ID, rerun["dag_run_id"])
        assert done["state"] == "success", live.report(DAG_ID, rerun["dag_run_id"])
        listed = {r["dag_run_id"]: r for r in live.runs(DAG_ID)}[rerun["dag_run_id"]]

    # in Airflow's run list: a manual run by the user, the chosen portfolios in its conf
    assert listed["conf"] == {"as_of": AS_OF, "portfolios": CHOSEN, "dry_run": False}
    assert listed["state"] == "success" and listed["run_type"] == "manual"
    assert listed["triggering_user_name"] == "admin"
    assert "from the collections view" in listed["note"]

    # the other portfolios: not one byte changed, and their fix was not loaded by this run
    assert snapshot(db, OTHERS) == others_before
    with connect(db) as conn:
        loaded = {
            r["payment_id"]
            for r in conn.execute("select payment_id from collections.repayment where payment_id like 'FIX-%%'")
        }
        fixed = {
            view: conn.execute(
                f"select count(*) as n from collections.{view} where account_id = %(a)s and as_of = %(d)s",
                {"a": east["account_id"], "d": AS_OF},
            ).fetchone()["n"]
            for view in ("case_day", "action")
        }
        reported = {
            r["portfolio"]: r["run_id"]
            for r in conn.execute(
                "select portfolio, run_id from collections.portfolio_day where as_of = %(d)s", {"d": AS_OF}
            )
        }
    assert loaded == {"FIX-EAST"}
    # the chosen portfolios: rewritten by the rerun. The book's first day is the one rerun, so with
    # the missed repayment the account was never overdue: no case and no action that day, as one run
    # on the fixed drop would have written (it had an open case with actions before the fix)
    assert fixed == {"case_day": 0, "action": 0}
    assert snapshot(db, CHOSEN) != chosen_before
    assert reported == {
        "AUTO-EAST": rerun["dag_run_id"],
        "AUTO-SOUTH": rerun["dag_run_id"],
        "AUTO-NORTH": first,
        "LEASE-WEST": first,
    }
