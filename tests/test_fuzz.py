"""The dump decoder of lmnic-analyze under libFuzzer on the host, seeded
with well-formed dumps: no crash, leak or undefined behaviour."""

import subprocess

from testbed.paths import BUILD, TOP

SECONDS = 30


def test_fuzz_dump_decoder(tmp_path):
    out = BUILD / "host/tools"
    subprocess.run(["make", "-s", "-C", str(TOP / "tools"), f"O={out}",
                    str(out / "fuzz-dump")], check=True)
    mkdump = BUILD / "host/bench/mkdump"
    mkdump.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", f"-I{TOP}/include",
                    f"-I{TOP}/include/uapi", "-o", str(mkdump),
                    str(TOP / "bench/mkdump.c"), str(TOP / "tools/crc32c.c")],
                   check=True)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in (0, 1, 3):
        subprocess.run([str(mkdump), str(n), str(corpus / f"seed{n}.dump")],
                       check=True)
    res = subprocess.run([str(out / "fuzz-dump"), f"-max_total_time={SECONDS}",
                          "-max_len=4096", f"-artifact_prefix={tmp_path}/",
                          str(corpus)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "Done" in res.stderr, res.stderr[-2000:]
