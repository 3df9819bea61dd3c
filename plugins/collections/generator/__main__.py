"""``python -m debt_collections.generator --accounts N --start D --end D --out DIR [--seed S]``."""

from __future__ import annotations

import argparse
import sys
import time

import pendulum

from debt_collections.generator.book import BookSpec, generate_book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m debt_collections.generator", description=__doc__)
    parser.add_argument("--accounts", type=int, required=True, help="number of accounts")
    parser.add_argument("--start", required=True, help="first business date (its drop holds all history)")
    parser.add_argument("--end", required=True, help="last business date")
    parser.add_argument("--out", required=True, help="folder that receives <date>/<entity>.csv")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    spec = BookSpec(
        args.accounts, pendulum.Date.fromisoformat(args.start), pendulum.Date.fromisoformat(args.end), args.seed
    )
    if spec.end < spec.start or spec.accounts < 1:
        parser.error("need --accounts >= 1 and --end on or after --start")
    began = time.monotonic()
    counts = generate_book(args.out, spec)
    print(f"wrote {counts} in {time.monotonic() - began:.1f}s to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
