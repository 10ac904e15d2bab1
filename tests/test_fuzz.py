"""The host-side parsers of untrusted input under libFuzzer, seeded with
well-formed input: no crash, leak or undefined behaviour. fuzz-dump is
lmnic-analyze's dump decoder; fuzz-stream is the migration stream parser
(drivers/net/ethernet/lmnic/lmnic_stream.c, as the driver and the tools
share it)."""

import subprocess

import pytest

from testbed.paths import BUILD, TOP

SECONDS = 30


def _dump_seeds(corpus):
    mkdump = BUILD / "host/bench/mkdump"
    mkdump.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", f"-I{TOP}/include",
                    f"-I{TOP}/include/uapi", "-o", str(mkdump),
                    str(TOP / "bench/mkdump.c"), str(TOP / "tools/crc32c.c")],
                   check=True)
    for n in (0, 1, 3):
        subprocess.run([str(mkdump), str(n), str(corpus / f"seed{n}.dump")],
                       check=True)


def _stream_seeds(corpus):
    out = BUILD / "host/tools"
    subprocess.run(["make", "-s", "-C", str(TOP / "tools"), f"O={out}",
                    str(out / "stream-seed")], check=True)
    subprocess.run([str(out / "stream-seed"), str(corpus)], check=True)


TARGETS = {
    # target: (seed writer, -max_len)
    "fuzz-dump": (_dump_seeds, 4096),
    "fuzz-stream": (_stream_seeds, 16384),
}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz(tmp_path, target):
    seeds, max_len = TARGETS[target]
    out = BUILD / "host/tools"
    subprocess.run(["make", "-s", "-C", str(TOP / "tools"), f"O={out}",
                    str(out / target)], check=True)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds(corpus)
    res = subprocess.run([str(out / target), f"-max_total_time={SECONDS}",
                          f"-max_len={max_len}", f"-artifact_prefix={tmp_path}/",
                          str(corpus)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "Done" in res.stderr, res.stderr[-2000:]
