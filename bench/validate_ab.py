"""A validation statement of the first load against its text at another commit, on the same staged rows.

    .venv/bin/python bench/validate_ab.py [--accounts 100000] [--entities installments,repayments]
                                          [--rounds 2] --base COMMIT
                                          [--db 'host=127.0.0.1 user=postgres dbname=postgres']

Generates a book of ``--accounts`` accounts (one drop, as ``bench/first_load.py`` does; kept under the
system's temporary folder and reused at the same size), then runs ``store.loading.load_drop`` into a
fresh database. When the load reaches ``load/validate_<entity>.sql`` of a chosen entity, the staged
rows are checked ``--rounds`` times by each text in turn (base, tree; then tree, base; ...), the
checked rows emptied before each, and each run's rows and reasons compared: the two texts must give
the same reasons to the same positions, or the script stops (a generated book has no bad or repeated rows:
this checks that the texts agree on a clean drop; tests/test_feed.py holds the rules). Then the load goes on.

Prints a line a run: entity, which text, seconds, and a digest of the reasons by position.
A script that reports figures, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import psycopg

from benchdb import drop_database
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.store import loading
from debt_collections.store.migrate import migrate
from debt_collections.store.sql import statement

REPO = Path(__file__).resolve().parents[1]
DAY = pendulum.date(2026, 11, 15)
DIGEST = (
    "select count(*) as rows, count(reason) as rejected, "
    "md5(string_agg(position || ':' || coalesce(reason, '-'), ',' order by position)) as reasons "
    "from pg_temp.chk_{entity}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--entities", default="installments,repayments")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--base", required=True, help="the commit whose statements the tree's are compared with")
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres", help="maintenance conninfo")
    args = parser.parse_args()
    entities = args.entities.split(",")
    base = {
        e: subprocess.run(
            ["git", "show", f"{args.base}:include/sql/load/validate_{e}.sql"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for e in entities
    }
    drops = Path(tempfile.gettempdir()) / f"validate_ab_{args.accounts}"
    if not (drops / "complete").exists():
        generate_book(drops, BookSpec(args.accounts, DAY, DAY, seed=7))
        (drops / "complete").touch()
    print(f"load average before: {os.getloadavg()}", flush=True)

    loading_run = loading.run

    def run(conn: Any, name: str, params: Any = None) -> int:
        entity = next((e for e in entities if name == f"load/validate_{e}.sql"), None)
        if entity is not None:
            texts = {args.base: base[entity], "tree": statement(name)}
            seen: dict[str, set[tuple]] = {}
            for r in range(args.rounds):
                for label in texts if r % 2 == 0 else reversed(texts):
                    conn.execute(f"truncate pg_temp.chk_{entity}")
                    began = time.monotonic()
                    conn.execute(texts[label], params or {})
                    seconds = time.monotonic() - began
                    digest = conn.execute(DIGEST.format(entity=entity)).fetchone()
                    seen.setdefault(label, set()).add(tuple(digest.values()))
                    print(f"{entity} {label} {seconds:.2f} s {dict(digest)}", flush=True)
            if len(set.union(*seen.values())) != 1:
                raise SystemExit(f"{entity}: the two texts checked the rows differently: {seen}")
            conn.execute(f"truncate pg_temp.chk_{entity}")
        return loading_run(conn, name, params)

    name = f"bench_ab_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    dsn = psycopg.conninfo.make_conninfo(args.db, dbname=name)
    loading.run = run
    try:
        migrate(dsn)
        loading.load_drop(dsn, CsvSource(drops, DAY), DAY, portfolios=None, max_reject_ratio=Decimal("0.5"))
    finally:
        loading.run = loading_run
        drop_database(args.db, name)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
