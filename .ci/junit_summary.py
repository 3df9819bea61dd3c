"""One line of a JUnit report: "N tests, F failed, E errors, S skipped in Ts<TAB>failing tests" (for .ci/soak)."""

import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError) as exc:
    print(f"no report ({type(exc).__name__})\tunknown")
    raise SystemExit(0) from None
suite = root if root.tag == "testsuite" else root.find("testsuite")
bad = [
    f"{c.get('classname')}::{c.get('name')}"
    for c in root.iter("testcase")
    if c.find("failure") is not None or c.find("error") is not None
]
print(
    f"{suite.get('tests')} tests, {suite.get('failures')} failed, {suite.get('errors')} errors, "
    f"{suite.get('skipped')} skipped in {float(suite.get('time')):.0f}s\t{' '.join(bad) or 'none'}"
)
