"""``python -m debt_collections.simulator [--port N] [--book DIR]``: run the partner simulator."""

from __future__ import annotations

import argparse
import contextlib

from debt_collections.simulator.server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m debt_collections.simulator")
    parser.add_argument("--port", type=int, default=0, help="loopback port (0: any free one)")
    parser.add_argument("--book", help="folder of csv drops served by GET /v1/<entity>")
    args = parser.parse_args(argv)
    server = SimulatorServer(args.port, args.book)
    print(f"partner simulator listening on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
