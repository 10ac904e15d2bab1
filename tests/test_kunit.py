"""The KUnit suite of kunit/ run inside the debug-kernel guest, one pytest
item per KUnit case, from the KTAP the kernel reports."""

import re

import pytest

from testbed.paths import TOP

KTAP_RE = re.compile(r"^\s*(not ok|ok) \d+ (\S+)(.*)$")


def _cases():
    """(suite, case) of every KUnit case in kunit/*.c, from the sources."""
    cases = []
    for src in sorted((TOP / "kunit").glob("*.c")):
        text = src.read_text()
        arrays = dict(re.findall(r"struct kunit_case (\w+)\[\] = \{(.*?)\};",
                                 text, re.S))
        for suite, array in re.findall(
                r"\.name = \"(\w+)\",\s*\.test_cases = (\w+)", text):
            cases += [(suite, n) for n in
                      re.findall(r"KUNIT_CASE\w*\((\w+)", arrays[array])]
    return cases


def parse_ktap(text):
    """{case name: (passed, rest of line)} from KTAP output."""
    res = {}
    for line in text.splitlines():
        m = KTAP_RE.match(line)
        if m:
            res[m.group(2)] = (m.group(1) == "ok", m.group(3))
    return res


@pytest.fixture(scope="module")
def kunit_results(pool):
    g = pool.get("g-debug-6.12", "debug-6.12")
    g.run("rmmod lmnic_kunit 2>/dev/null; rmmod lmnic 2>/dev/null; "
          "insmod /lmnic/lmnic.ko && insmod /lmnic/lmnic_kunit.ko", timeout=300)
    suites = g.run("ls /sys/kernel/debug/kunit").split()
    results = {}
    for s in suites:
        results[s] = parse_ktap(g.run(f"cat /sys/kernel/debug/kunit/{s}/results"))
    g.run("rmmod lmnic_kunit && rmmod lmnic")
    return results


@pytest.mark.guest_kernels("debug-6.12")
@pytest.mark.parametrize("suite,case", _cases())
def test_kunit(kunit_results, suite, case):
    assert suite in kunit_results, f"suite {suite} did not run: {list(kunit_results)}"
    assert case in kunit_results[suite], f"{case} missing from the KTAP of {suite}"
    passed, rest = kunit_results[suite][case]
    assert passed, f"{suite}.{case} failed{rest}"
