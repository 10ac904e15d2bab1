"""The adapter model's own C files on a host of their own (tests/model/),
built with QEMU's headers and warnings as errors, ASan and UBSan: the
regression cases of its trust boundary, one process each (a crash, a
sanitizer report or an endless loop fails that case only)."""

import re
import subprocess

import pytest

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


def _make(target):
    return subprocess.run(["make", "-s", "-C", str(MODEL), f"O={OUT}",
                           str(OUT / target)], env=ENV, capture_output=True,
                          text=True)


def _diff(*args, timeout=900):
    build = _make("conn-diff")
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([str(OUT / "conn-diff"), *args], env=ENV,
                         capture_output=True, text=True, timeout=timeout)
    return run.returncode, run.stdout + run.stderr


def test_conn_diff_regressions():
    """The shrunk sequences that once failed, replayed."""
    seqs = sorted(str(p) for p in (MODEL / "conn-diff").glob("*.seq"))
    assert seqs
    rc, out = _diff("--replay", *seqs)
    assert rc == 0, out[-6000:]


@pytest.mark.parametrize("seed", ["fixed", "random"])
def test_conn_diff(seed):
    """Random sequences of table churn and moves against the reference: a
    fixed seed, and a new one each run (printed with a failure, and the
    sequence shrunk to a minimal one)."""
    args = ["--seed", "1", "--sequences", "100"] if seed == "fixed" else \
        ["--random", "--sequences", "60"]
    rc, out = _diff(*args)
    assert rc == 0, out[-6000:]
    assert "sequences passed" in out, out[-3000:]


FUZZ_SECONDS = 60


def test_fuzz_model(tmp_path):
    """The device fuzzer, bounded: seeded with the driver's sessions and the
    inputs of past findings; no sanitizer report, hang or broken promise."""
    for target in ("fuzz-model", "seed-model"):
        build = _make(target)
        assert build.returncode == 0, build.stdout + build.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = subprocess.run([str(OUT / "seed-model"), str(corpus)], env=ENV,
                           capture_output=True, text=True)
    assert seeds.returncode == 0, seeds.stdout + seeds.stderr
    regress = sorted(str(p) for p in (MODEL / "fuzz-regress").glob("*"))
    if regress:
        res = subprocess.run([str(OUT / "fuzz-model"), "-runs=1", *regress],
                             env=ENV, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-6000:]
    res = subprocess.run([str(OUT / "fuzz-model"),
                          f"-max_total_time={FUZZ_SECONDS}", "-max_len=4096",
                          "-timeout=20", "-rss_limit_mb=4096",
                          f"-artifact_prefix={tmp_path}/", str(corpus)],
                         env=ENV, capture_output=True, text=True,
                         timeout=FUZZ_SECONDS + 300)
    assert res.returncode == 0, res.stderr[-6000:]
    assert "Done" in res.stderr, res.stderr[-2000:]
