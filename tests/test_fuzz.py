"""The host-side parsers of untrusted input under libFuzzer, seeded with
well-formed input: no crash, leak or undefined behaviour. fuzz-dump is
lmnic-analyze's dump decoder; fuzz-stream is the migration stream parser
(drivers/net/ethernet/lmnic/lmnic_stream.c, as the driver and the tools
share it)."""

import functools
import shutil
import subprocess

import pytest

from testbed import background
from testbed.background import NICE
from testbed.paths import BUILD, TOP

SECONDS = 30


def _dump_seeds(out, corpus):
    mkdump = out / "mkdump"
    subprocess.run([*NICE, "gcc", "-O2", "-Wall", f"-I{TOP}/include",
                    f"-I{TOP}/include/uapi", "-o", str(mkdump),
                    str(TOP / "bench/mkdump.c"), str(TOP / "tools/crc32c.c")],
                   check=True)
    for n in (0, 1, 3):
        subprocess.run([str(mkdump), str(n), str(corpus / f"seed{n}.dump")],
                       check=True)


def _stream_seeds(out, corpus):
    subprocess.run([*NICE, "make", "-s", "-C", str(TOP / "tools"), f"O={out}",
                    str(out / "stream-seed")], check=True)
    subprocess.run([str(out / "stream-seed"), str(corpus)], check=True)


TARGETS = {
    # target: (seed writer, -max_len)
    "fuzz-dump": (_dump_seeds, 4096),
    "fuzz-stream": (_stream_seeds, 16384),
}


def _fuzz(target):
    """Build TARGET in a directory of its own (it runs beside other builds),
    seed it and fuzz for SECONDS; return libFuzzer's exit code and log."""
    seeds, max_len = TARGETS[target]
    out = BUILD / "fuzz" / target
    shutil.rmtree(out, ignore_errors=True)
    corpus = out / "corpus"
    corpus.mkdir(parents=True)
    subprocess.run([*NICE, "make", "-s", "-C", str(TOP / "tools"), f"O={out}",
                    str(out / target)], check=True)
    seeds(out, corpus)
    res = subprocess.run([*NICE, str(out / target), f"-max_total_time={SECONDS}",
                          f"-max_len={max_len}", f"-artifact_prefix={out}/",
                          str(corpus)], capture_output=True, text=True)
    return res.returncode, res.stderr


for _target in TARGETS:
    background.job(_target, functools.partial(_fuzz, _target))


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.background(lambda target: target)
def test_fuzz(target):
    rc, log = background.job(target, None).result()
    assert rc == 0, log[-4000:]
    assert "Done" in log, log[-2000:]
