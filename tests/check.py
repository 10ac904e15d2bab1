#!/usr/bin/python3
"""Run lmnic's whole test suite (pytest over tests/) and end with one line
`N passed, N failed, N skipped`. Arguments go to pytest: `-k kunit` selects
the KUnit cases, `tests/test_lint.py` one file."""

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]


def main():
    results = TOP / "build/test-results.xml"
    results.parent.mkdir(parents=True, exist_ok=True)
    if results.exists():
        results.unlink()
    start = time.time()
    rc = subprocess.call([sys.executable, "-m", "pytest", "-v", "--durations=30",
                          f"--junitxml={results}", *sys.argv[1:]], cwd=TOP)
    passed = failed = skipped = 0
    if results.exists():
        for suite in ET.parse(results).getroot().iter("testsuite"):
            tests = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            failed += bad
            skipped += skip
            passed += tests - bad - skip
    if rc not in (0, 1) and failed == 0:
        failed = 1  # pytest itself failed (usage, collection, no tests)
    print(f"suite time: {time.time() - start:.0f}s; logs in build/test-logs/")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
