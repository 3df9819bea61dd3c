"""After a red CI run: each failing test's name, its failure message and the last lines of what it printed."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

TAIL = 40


def main(path: str) -> int:
    failing = []
    for case in ET.parse(path).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            failing.append((case, problem))
    print(f"\n===== {len(failing)} failing test(s) (from {path}) =====")
    for case, problem in failing:
        name = f"{case.get('classname')}::{case.get('name')}"
        print(f"\n----- {problem.tag.upper()}: {name} ({case.get('time')} s)")
        print((problem.get("message") or "").strip()[:2000])
        for stream in ("system-out", "system-err"):
            text = (case.findtext(stream) or "").rstrip()
            if text:
                lines = text.splitlines()
                print(f"--- last {min(TAIL, len(lines))} lines of {stream}:")
                print("\n".join(lines[-TAIL:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
