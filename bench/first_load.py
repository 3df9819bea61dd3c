"""The first load of a whole book (#17 item 1), against a floor measured in the same run.

    .venv/bin/python bench/first_load.py [--accounts 100000] [--readers whole,rows]
                                         [--db 'host=127.0.0.1 user=postgres dbname=postgres']

Generates a book of ``--accounts`` accounts with the project's generator (one drop: the customers,
accounts, every installment and the repayment history), then, each in a database of its own:

- the floor: ``COPY`` of each file, by Postgres's own CSV parser, into an unlogged table of text
  columns without an index (what reading the bytes into the server costs, and no more);
- the loader, ``store.loading.load_drop`` as a first run calls it, once per reader: ``whole`` (CSV
  files COPYed whole and split in SQL, the loader since #17) and ``rows`` (every file read row by
  row in Python, the loader before it), with the seconds of its steps (copy, validate, upsert).

Prints, and writes to ``bench/first_load.json``: rows, seconds and rows a second of each, the
loader against the floor, the database's size against the CSV's, after the load and at its peak
(sampled every half second while it runs: staging and the checked rows are temporary tables of the
loading session, in the database's files until the load ends; a sort's temporary files are not),
and the load average before and after.
A script that reports figures, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pendulum
import psycopg

from benchdb import drop_database
from debt_collections.feeds.csv_source import CsvSource
from debt_collections.feeds.entities import ENTITIES, Entity
from debt_collections.generator.book import BookSpec, generate_book
from debt_collections.store.loading import load_drop
from debt_collections.store.migrate import migrate
from debt_collections.store.sql import sql

REPO = Path(__file__).resolve().parents[1]
DAY = pendulum.date(2026, 11, 15)


class RowByRow(CsvSource):
    """The CSV source as the loader read it before #17: no file is COPYed whole."""

    def file(self, entity: Entity) -> None:
        return None


def _database(admin: str) -> tuple[str, str]:
    name = f"bench_first_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return name, psycopg.conninfo.make_conninfo(admin, dbname=name)


def floor(admin: str, folder: Path) -> dict:
    """COPY each file into an unindexed unlogged table of text columns."""
    name, dsn = _database(admin)
    try:
        began, rows = time.monotonic(), 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            for entity in ENTITIES:
                path = folder / f"{entity.name}.csv"
                if not path.exists():
                    continue
                header = path.read_text(encoding="utf-8-sig").split("\n", 1)[0].strip().split(",")
                columns = ", ".join(f'"c{i}" text' for i in range(len(header)))
                conn.execute(f"create unlogged table {entity.name} ({columns})")
                statement = f"copy {entity.name} from stdin (format csv, header true)"
                with conn.cursor() as cur:
                    with cur.copy(statement) as copy, path.open("rb") as fh:
                        while chunk := fh.read(1 << 20):
                            copy.write(chunk)
                    rows += cur.rowcount
        seconds = time.monotonic() - began
        return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds)}
    finally:
        drop_database(admin, name)


class PeakSize(threading.Thread):
    """The database's largest size while a load runs, sampled every half second."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.peak, self.done = dsn, 0, threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while True:
                size = conn.execute(sql("bench/database_size.sql")).fetchone()[0]
                self.peak = max(self.peak, size)
                if self.done.wait(0.5):
                    return


def loader(admin: str, root: Path, reader: str) -> dict:
    name, dsn = _database(admin)
    try:
        migrate(dsn)
        source = CsvSource(root, DAY) if reader == "whole" else RowByRow(root, DAY)
        sampler = PeakSize(dsn)
        sampler.start()
        began = time.monotonic()
        result = load_drop(dsn, source, DAY, portfolios=None, max_reject_ratio=Decimal("0.01"))
        seconds = time.monotonic() - began
        sampler.done.set()
        sampler.join()
        rows = sum(result.rows_in.values())
        with psycopg.connect(dsn) as conn:
            size = conn.execute(sql("bench/database_size.sql")).fetchone()[0]
        return {
            "seconds": round(seconds, 2),
            "steps": {k: round(v, 2) for k, v in result.seconds.items()},
            "rows": rows,
            "rows_per_s": round(rows / seconds),
            "quarantined": sum(result.quarantined.values()),
            "database_bytes": size,
            "peak_bytes": max(sampler.peak, size),
        }
    finally:
        drop_database(admin, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--readers", default="whole,rows", help="comma-separated: whole, rows")
    parser.add_argument("--db", default="host=127.0.0.1 user=postgres dbname=postgres")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "first_load.json")
    args = parser.parse_args()
    out: dict = {"accounts": args.accounts, "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="first-load-") as tmp:
        root = Path(tmp)
        began = time.monotonic()
        generate_book(root, BookSpec(accounts=args.accounts, start=DAY, end=DAY, seed=7))
        folder = root / DAY.to_date_string()
        csv_bytes = sum(p.stat().st_size for p in folder.glob("*.csv"))
        out.update(generate_seconds=round(time.monotonic() - began, 2), csv_bytes=csv_bytes)
        out["floor"] = floor(args.db, folder)
        print(f"floor: {out['floor']}", flush=True)
        for reader in args.readers.split(","):
            got = loader(args.db, root, reader)
            got["over_floor"] = round(got["seconds"] / out["floor"]["seconds"], 1)
            got["database_over_csv"] = round(got["database_bytes"] / csv_bytes, 1)
            got["peak_over_csv"] = round(got["peak_bytes"] / csv_bytes, 1)
            out[reader] = got
            print(f"{reader}: {got}", flush=True)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({k: out[k] for k in ("load_average_before", "load_average_after", "csv_bytes")}))
    args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
