"""Build a guest initramfs: busybox, Debian's ethtool/ip/devlink with their
libraries, lmnic's modules for one kernel, the needed stock modules and the
guest-side scripts of tests/guest/."""

import gzip
import lzma
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .paths import BUILD, ENV, TOP, kernel_env

# Debian's busybox runs its applets before anything on PATH, so the shell
# of the guest is dash and Debian's tools are found by PATH.
BINARIES = ("/bin/dash", "/usr/sbin/ethtool", "/usr/sbin/devlink",
            "/usr/bin/ip", "/usr/bin/lspci", "/usr/bin/sha256sum",
            "/usr/bin/socat", "/usr/bin/setpriv", "/usr/bin/openssl")
DATA = ("/usr/share/misc/pci.ids", "/usr/lib/ssl/openssl.cnf")
# Stock modules a guest may load, with what they depend on: besides the
# baseline NICs, what criu needs for a workload's TCP connections (its
# network lock in nf_tables, whose crc32c comes through the crypto API
# unasked for, and the socket diag modules).
STOCK_MODULES = ("e1000e", "virtio_net", "virtio_pci", "8021q",
                 "crc32c_generic", "nf_tables", "inet_diag", "tcp_diag",
                 "udp_diag", "unix_diag", "netlink_diag", "af_packet_diag")


def _libs(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            yield parts[2]
        elif parts and parts[0].startswith("/"):
            yield parts[0]


def _tools():
    """lmnic's own tools (tools/), built for the host and the guests; the
    agent with the suite's fault-injection points (lmnic-migrate-test); the
    benchmarks' yardstick (bench/membench.c) and churn (bench/churn.c), the stress tests' flood
    (tests/guest/flood.c) and fault injector (tests/guest/failnth.c)."""
    out = BUILD / "host/tools"
    subprocess.run(["make", "-s", "-C", str(TOP / "tools"), f"O={out}", "all",
                    "test-tools"], check=True, capture_output=True)
    for name, src in (("lmnic-membench", "bench/membench.c"),
                      ("lmnic-flood", "tests/guest/flood.c"),
                      ("lmnic-seqstream", "tests/guest/seqstream.c"),
                      ("lmnic-failnth", "tests/guest/failnth.c")):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", str(out / name),
                        str(TOP / src)], check=True, capture_output=True)
    # the migration benchmark's churn, with the tools' netlink helpers
    t = TOP / "tools"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                    f"-I{TOP / 'include'}", f"-I{TOP / 'include/uapi'}", f"-I{t}",
                    "-I/usr/include/libnl3", "-o", str(out / "lmnic-churn"),
                    str(TOP / "bench/churn.c")] +
                   [str(t / f) for f in ("lmnic_nl.c", "lmnic_nl_attr.c",
                                         "lmnic_nl_policy.c", "lmnic_cli.c",
                                         "lmnic_json.c")] +
                   ["-lnl-genl-3", "-lnl-3"], check=True, capture_output=True)
    return [out / n for n in ("lmnic-analyze", "lmnic-conn", "lmnic-migrate",
                              "lmnic-migrate-test", "lmnic-membench",
                              "lmnic-flood", "lmnic-seqstream",
                              "lmnic-failnth", "lmnic-churn")]


def _copy(src, root, dest=None):
    dest = root / (dest or src).lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(os.path.realpath(src), dest)


def _stock_modules(kenv, root):
    """Unpack the wanted stock modules and their dependencies, uncompressed."""
    if not kenv["MODROOT"]:
        return
    kver = kenv["KVER"]
    moddir = Path(kenv["MODROOT"]) / "lib/modules" / kver
    deps = {}
    for line in (moddir / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
    by_name = {Path(m).name.split(".ko")[0].replace("-", "_"): m for m in deps}
    want, seen = [by_name[m] for m in STOCK_MODULES if m in by_name], set()
    while want:
        mod = want.pop()
        if mod in seen:
            continue
        seen.add(mod)
        want.extend(deps[mod])
    out = root / "lib/modules" / kver
    for mod in seen:
        src = moddir / mod
        dest = out / mod
        dest.parent.mkdir(parents=True, exist_ok=True)
        if mod.endswith(".xz"):
            dest = dest.with_suffix("")
            dest.write_bytes(lzma.decompress(src.read_bytes()))
        else:
            shutil.copy2(src, dest)
    subprocess.run(["depmod", "-b", str(root), kver], check=True, env=ENV,
                   capture_output=True)


# The kernel's YNL CLI (tools/net/ynl of linux-source-6.12) for the guests
# that run it (tests/test_ynl.py), as an overlay on the guest's initramfs:
# Debian's python3 and the modules of its library and of PyYAML that the CLI
# loads, found by loading them on the host as the guest does.
PYTHON = "/usr/bin/python3.11"
PYPATH = "/usr/lib/python3/dist-packages"
_CLI_IMPORTS = """
import io, sys, traceback
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import cli
# its command line, spec and output: the host has no lmnic family, so the
# run ends in an error, reported as the CLI's would be
sys.argv = ["cli.py", "--no-schema", "--spec", sys.argv[3], "--output-json",
            "--list-ops"]
try:
    cli.main()
except BaseException:
    traceback.print_exc(file=io.StringIO())
cli.YnlEncoder().encode({"x": {b"1"}})
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f and f.startswith("/usr/"):
        print(f)
"""


def _cpio(root):
    files = subprocess.run(["find", "."], cwd=root, capture_output=True,
                           text=True, check=True).stdout
    return subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                          input=files.encode(), capture_output=True,
                          check=True).stdout


def _ynl_overlay(root):
    ynl = Path(subprocess.run([str(TOP / "scripts/kernels.sh"), "srctree"], env=ENV,
                              capture_output=True, text=True, check=True).stdout.strip())
    ynl = ynl / "tools/net/ynl"
    spec = TOP / "Documentation/netlink/specs/lmnic.yaml"
    out = subprocess.run([PYTHON, "-S", "-c", _CLI_IMPORTS, str(ynl), PYPATH, str(spec)],
                         capture_output=True, text=True, check=True).stdout
    _copy(PYTHON, root)
    for lib in _libs(PYTHON):
        _copy(lib, root)
    for f in sorted(set(out.split())):
        _copy(f, root)
        if f.endswith(".so"):
            for lib in _libs(f):
                _copy(lib, root)
        else:   # its compiled form: the guest compiles nothing under TCG
            pyc = Path(f).parent / "__pycache__" / (Path(f).stem + ".cpython-311.pyc")
            if pyc.exists():
                _copy(str(pyc), root)
    _copy(f"{ynl}/cli.py", root, "ynl/cli.py")
    for f in (ynl / "lib").glob("*.py"):
        _copy(str(f), root, f"ynl/lib/{f.name}")
    _copy(str(spec), root, "lmnic/lmnic.yaml")


# Debian's criu and the example orchestrator (tools/lmnic-move-workload),
# for the guests a workload moves between (tests/test_workload.py).
# nft: the orchestrator lifts criu's network lock at the source once the
# workload's connections live at the destination.
CRIU = ("/usr/sbin/criu", "/usr/sbin/nft")


def _criu_overlay(root):
    for binary in CRIU:
        _copy(binary, root)
        for lib in _libs(binary):
            _copy(lib, root)
    _copy(str(TOP / "tools/lmnic-move-workload"), root, "usr/bin/lmnic-move-workload")


OVERLAYS = {"ynl": _ynl_overlay, "criu": _criu_overlay}


def build_with(kernel, base, overlay):
    """BASE, an initramfs of build(), with the files of OVERLAY over it (a
    second archive after the first: the kernel unpacks both)."""
    out = BUILD / kernel / f"initramfs-{overlay}.cpio.gz"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        OVERLAYS[overlay](root)
        os.chmod(root, 0o755)
        extra = gzip.compress(_cpio(root), compresslevel=1)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_bytes(base.read_bytes() + extra)
    tmp_out.replace(out)
    return out


def build(kernel, modules):
    """Return the path of an initramfs for KERNEL holding MODULES (.ko paths)."""
    kenv = kernel_env(kernel)
    out = BUILD / kernel / "initramfs.cpio.gz"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
                  "tmp", "run", "etc", "root", "lmnic", "lib64"):
            (root / d).mkdir(parents=True, exist_ok=True)
        _copy("/bin/busybox", root)
        for binary in BINARIES:
            _copy(binary, root)
            for lib in _libs(binary):
                _copy(lib, root)
        for binary in _tools():
            _copy(str(binary), root, "usr/bin/" + binary.name)
            for lib in _libs(str(binary)):
                _copy(lib, root)
        for f in DATA:
            _copy(f, root)
        for mod in modules:
            _copy(str(mod), root, "lmnic/" + Path(mod).name)
        _stock_modules(kenv, root)
        for f in (TOP / "tests/guest").iterdir():
            _copy(str(f), root, "lmnic/" + f.name)
        shutil.copy2(TOP / "tests/guest/init", root / "init")
        # a temporary directory is private; the guest's / and /tmp are not
        os.chmod(root, 0o755)
        os.chmod(root / "tmp", 0o1777)
        os.symlink("dash", root / "bin/sh")
        (root / "etc/passwd").write_text(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        (root / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
        (root / "etc/kernel").write_text(kernel + "\n")
        cpio = _cpio(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_bytes(gzip.compress(cpio, compresslevel=1))
    tmp_out.replace(out)
    return out
