"""The adapter model's own C files on a host of their own (tests/model/),
built with QEMU's headers and warnings as errors, ASan and UBSan: the
regression cases of its trust boundary, one process each (a crash, a
sanitizer report or an endless loop fails that case only)."""

import functools
import re
import shutil
import subprocess

import pytest

from testbed import background
from testbed.background import NICE
from testbed.paths import BUILD, ENV, TOP

MODEL = TOP / "tests/model"
OUT = BUILD / "model"


def _cases():
    return re.findall(r"^\s+CASE\((\w+)\)", (MODEL / "test_model.c").read_text(),
                      re.M)


@pytest.fixture(scope="module")
def model_build():
    return subprocess.run(["make", "-s", "-C", str(MODEL), f"O={OUT}",
                           str(OUT / "test-model")], env=ENV,
                          capture_output=True, text=True)


@pytest.mark.parametrize("case", _cases())
def test_model(model_build, case):
    assert model_build.returncode == 0, model_build.stdout + model_build.stderr
    try:
        run = subprocess.run([str(OUT / "test-model"), case], env=ENV,
                             capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: no end in 120 s")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "[  PASSED  ] 1 test(s)." in out, out[-3000:]


# conn-diff and the fuzzer run in the background from the start of the
# session (testbed/background.py), built in a directory of their own
BG = BUILD / "model-bg"
FUZZ_SECONDS = 60
DIFFS = {
    "regressions": lambda: ["--replay", *sorted(str(p) for p in
                                                (MODEL / "conn-diff").glob("*.seq"))],
    "fixed": lambda: ["--seed", "1", "--sequences", "100"],
    "random": lambda: ["--random", "--sequences", "60"],
}


def _make(target):
    return subprocess.run([*NICE, "make", "-s", "-C", str(MODEL), f"O={BG}",
                           str(BG / target)], env=ENV, capture_output=True,
                          text=True)


def _diff(name):
    build = _make("conn-diff")
    if build.returncode:
        return build.returncode, build.stdout + build.stderr
    run = subprocess.run([*NICE, str(BG / "conn-diff"), *DIFFS[name]()], env=ENV,
                         capture_output=True, text=True, timeout=900)
    return run.returncode, run.stdout + run.stderr


for _name in DIFFS:
    background.job(f"conn-diff-{_name}", functools.partial(_diff, _name))


@pytest.mark.background(lambda: "conn-diff-regressions")
def test_conn_diff_regressions():
    """The shrunk sequences that once failed, replayed."""
    assert DIFFS["regressions"]()[1:]
    rc, out = background.job("conn-diff-regressions", None).result()
    assert rc == 0, out[-6000:]


@pytest.mark.parametrize("seed", ["fixed", "random"])
@pytest.mark.background(lambda seed: f"conn-diff-{seed}")
def test_conn_diff(seed):
    """Random sequences of table churn and moves against the reference: a
    fixed seed, and a new one each run (printed with a failure, and the
    sequence shrunk to a minimal one)."""
    rc, out = background.job(f"conn-diff-{seed}", None).result()
    assert rc == 0, out[-6000:]
    assert "sequences passed" in out, out[-3000:]


def _fuzz():
    """Build, seed and run the device fuzzer; a failed step is returned as
    its (exit code, log)."""
    for target in ("fuzz-model", "seed-model"):
        build = _make(target)
        if build.returncode:
            return build.returncode, build.stdout + build.stderr
    work = BG / "fuzz"
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    seeds = subprocess.run([str(BG / "seed-model"), str(corpus)], env=ENV,
                           capture_output=True, text=True)
    if seeds.returncode:
        return seeds.returncode, seeds.stdout + seeds.stderr
    regress = sorted(str(p) for p in (MODEL / "fuzz-regress").glob("*"))
    if regress:
        res = subprocess.run([*NICE, str(BG / "fuzz-model"), "-runs=1", *regress],
                             env=ENV, capture_output=True, text=True)
        if res.returncode:
            return res.returncode, res.stderr
    res = subprocess.run([*NICE, str(BG / "fuzz-model"),
                          f"-max_total_time={FUZZ_SECONDS}", "-max_len=4096",
                          "-timeout=20", "-rss_limit_mb=4096",
                          f"-artifact_prefix={work}/", str(corpus)],
                         env=ENV, capture_output=True, text=True,
                         timeout=FUZZ_SECONDS + 300)
    return res.returncode, res.stderr


background.job("fuzz-model", _fuzz)


@pytest.mark.background(lambda: "fuzz-model")
def test_fuzz_model():
    """The device fuzzer, bounded: seeded with the driver's sessions and the
    inputs of past findings; no sanitizer report, hang or broken promise."""
    rc, log = background.job("fuzz-model", None).result()
    assert rc == 0, log[-6000:]
    assert "Done" in log, log[-2000:]
