"""A small book written as real feed drops, run through the real SQL, day by day."""

from __future__ import annotations

import copy
import csv
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pendulum
import psycopg

from debt_collections.domain.params import RunParams
from debt_collections.domain.policy import Policy
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.entities import BY_NAME
from debt_collections.plan import DayResult, run_day
from debt_collections.policy.loader import load_policy
from debt_collections.store.db import connect
from tests.pg import recreate_from

REPO = Path(__file__).resolve().parents[1]
STANDARD = REPO / "dags" / "policies" / "standard.yaml"


def d(text: str) -> pendulum.Date:
    return pendulum.parse(text).date()


@dataclass
class Scenario:
    """Accumulates feed rows and writes the whole book as each day's drop (a full snapshot)."""

    conninfo: str
    root: Path
    policy: Policy = field(default_factory=lambda: load_policy(STANDARD))
    rows: dict[str, list[dict]] = field(default_factory=lambda: {n: [] for n in BY_NAME})
    extra_lines: dict[str, list[str]] = field(default_factory=dict)
    # who approves, after each (real) run, every action that waits for approval (SPEC 11); None: nobody,
    # the actions stay awaiting_approval. Tests of delivery set it: they are about what goes out.
    approver: str | None = None

    def own_copy(self, pg_admin: str, conninfo: str, root: Path) -> Scenario:
        """This scenario as a test's own: the database ``conninfo`` names made a copy of this one's, the drops copied
        under ``root``, the rows to come added to a copy of these. For a book a module builds once (a module-scoped
        fixture over ``tests.pg.copied_database``) and each of its tests changes as it likes."""
        recreate_from(pg_admin, conninfo, psycopg.conninfo.conninfo_to_dict(self.conninfo)["dbname"])
        shutil.copytree(self.root, root, dirs_exist_ok=True)
        rows, extra_lines = copy.deepcopy(self.rows), copy.deepcopy(self.extra_lines)
        return replace(self, conninfo=conninfo, root=root, rows=rows, extra_lines=extra_lines)

    def customer(
        self,
        customer_id: str,
        *,
        phone: str | None = "+8613800000001",
        region: str = "east",
        timezone: str = "Asia/Shanghai",
        language: str = "zh-CN",
        full_name: str = "Test Customer",
        address: str = "",
    ) -> str:
        self.rows["customers"].append(
            dict(
                customer_id=customer_id,
                full_name=full_name,
                phone=phone or "",
                region=region,
                timezone=timezone,
                language=language,
                address=address,
            )
        )
        return customer_id

    def account(
        self,
        account_id: str,
        *,
        customer: str | None = None,
        portfolio: str = "P1",
        status: str = "active",
        product: str = "loan",
        first_due: str = "2026-08-01",
        months: int = 12,
        amount: str = "1000.00",
        vin: str = "",
        risk_grade: str = "",
    ) -> str:
        if customer is None:
            customer = self.customer(f"CU-{account_id}")
        self.rows["accounts"].append(
            dict(
                account_id=account_id,
                customer_id=customer,
                portfolio=portfolio,
                product=product,
                vin=vin,
                currency="CNY",
                principal_outstanding="10000.00",
                opened_on="2026-01-15",
                status=status,
                risk_grade=risk_grade,
            )
        )
        due = d(first_due)
        for seq in range(1, months + 1):
            self.rows["installments"].append(
                dict(
                    account_id=account_id,
                    seq=str(seq),
                    due_date=due.add(months=seq - 1).to_date_string(),
                    amount_due=amount,
                )
            )
        return account_id

    def set_status(self, account_id: str, status: str) -> None:
        for row in self.rows["accounts"]:
            if row["account_id"] == account_id:
                row["status"] = status

    def pay(
        self, payment_id: str, account_id: str, paid_at: str, amount: str, reverses: str = "", channel: str = "bank"
    ) -> None:
        self.rows["repayments"].append(
            dict(
                payment_id=payment_id,
                account_id=account_id,
                paid_at=paid_at,
                amount=amount,
                reverses=reverses,
                channel=channel,
            )
        )

    def event(
        self,
        event_id: str,
        account_id: str,
        at: str,
        kind: str,
        amount: str = "",
        until: str = "",
        *,
        reason: str = "",
        source: str = "",
    ) -> None:
        self.rows["events"].append(
            dict(
                event_id=event_id,
                account_id=account_id,
                at=at,
                kind=kind,
                amount=amount,
                until=until,
                reason=reason,
                source=source,
            )
        )

    def write_drop(self, as_of: pendulum.Date) -> Path:
        folder = self.root / as_of.to_date_string()
        folder.mkdir(parents=True, exist_ok=True)
        for name, entity in BY_NAME.items():
            with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(entity.fields)
                for row in self.rows[name]:
                    writer.writerow([row.get(f, "") for f in entity.fields])
            if name in self.extra_lines:
                with (folder / f"{name}.csv").open("a", encoding="utf-8", newline="") as fh:
                    fh.write("".join(line + "\n" for line in self.extra_lines[name]))
        return folder

    def run(
        self,
        as_of: str,
        *,
        portfolios: list[str] | None = None,
        stages: list[str] | None = None,
        dry_run: bool = False,
        write: bool = True,
        confirm: bool = False,
    ) -> DayResult:
        """Run the plan of the day for ``as_of``, delivering (to no partner) at noon the next day, Shanghai time:
        inside every test customer's window, so that the contact actions wait in the outbox as planned."""
        day = d(as_of)
        if write:
            self.write_drop(day)
        params = RunParams(
            as_of=day,
            portfolios=tuple(portfolios) if portfolios else None,
            stages=tuple(stages or self.policy.stages),
            dry_run=dry_run,
            confirm_data_quality=confirm,
        )
        noon = pendulum.datetime(day.year, day.month, day.day, 12, tz="Asia/Shanghai").add(days=1)
        result = run_day(self.conninfo, self.policy, CsvSource(self.root, day), params, now=noon)
        if self.approver and not dry_run:
            self.approve_all(self.approver)
        return result

    def approve_all(self, approver: str) -> int:
        """Approve every action of the policy's portfolios that waits for approval, as ``approver``; how many."""
        from debt_collections import plan

        done = plan.approve_waiting(self.conninfo, self.policy, decided_by=approver, via="collections_view")
        return sum(d.approved for d in done)

    def run_days(self, first: str, last: str) -> None:
        day = d(first)
        while day <= d(last):
            self.run(day.to_date_string())
            day = day.add(days=1)

    # -- reading the output contract --------------------------------------------
    def query(self, sql: str, params: dict | None = None) -> list[dict]:
        with connect(self.conninfo) as conn:
            return conn.execute(sql, params or {}).fetchall()

    def case(self, account_id: str, as_of: str) -> dict | None:
        rows = self.query(
            "select * from collections.case_day where account_id = %(a)s and as_of = %(d)s",
            {"a": account_id, "d": as_of},
        )
        assert len(rows) <= 1, rows
        return rows[0] if rows else None

    def actions(self, account_id: str, as_of: str) -> list[dict]:
        return self.query(
            "select * from collections.action where account_id = %(a)s and as_of = %(d)s order by kind",
            {"a": account_id, "d": as_of},
        )

    def action(self, account_id: str, as_of: str, kind: str) -> dict | None:
        found = [a for a in self.actions(account_id, as_of) if a["kind"] == kind]
        return found[0] if found else None

    def views(self) -> tuple[list[tuple], list[tuple]]:
        cases = self.query("select * from collections.case_day order by as_of, case_id")
        actions = self.query("select * from collections.action order by as_of, case_id, kind")
        return [tuple(r.values()) for r in cases], [tuple(r.values()) for r in actions]


def loaded_counts(conninfo: str) -> dict:
    """What a load stored: rows per master table, money paid, rows quarantined."""
    with connect(conninfo) as conn:
        return conn.execute(
            "select (select count(*) from collections.customer) c, (select count(*) from collections.account) a, "
            "(select count(*) from collections.installment) i, (select count(*) from collections.repayment) r, "
            "(select sum(amount) from collections.repayment) paid, "
            "(select count(*) from collections.quarantine) q"
        ).fetchone()


def money(text: str) -> Decimal:
    return Decimal(text)


def dag_run_state(proc) -> str | None:
    """The final state of the DAG run an ``airflow dags test`` process reports ("success", "failed")."""
    found = re.findall(r"DagRun Finished: .*?, state=(\w+)", (proc.stdout or "") + (proc.stderr or ""))
    return found[-1] if found else None


def task_failures(proc) -> list[str]:
    """The lines in which an ``airflow dags test`` process reports a failed task (a run can still end
    "success" when only tasks upstream of an all-done task failed)."""
    return re.findall(r"Task failed; ti=.*", (proc.stdout or "") + (proc.stderr or ""))


def in_threads(*calls: Callable[[], object], timeout: float = 120.0, together: bool = False) -> list[BaseException]:
    """Each call in a thread of its own (``together``: released at the same moment); what they raised.
    Every thread must end within ``timeout`` seconds."""
    barrier = threading.Barrier(len(calls)) if together else None
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], object]) -> None:
        try:
            if barrier is not None:
                barrier.wait(timeout=30)
            fn()
        except BaseException as exc:  # noqa: BLE001  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), f"a thread did not end within {timeout:.0f} s"
    return errors
