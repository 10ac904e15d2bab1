"""lmnic's Debian packages (debian/), built as an operator builds them:
dpkg-buildpackage -us -uc -b in a copy of the tree's tracked files (the tree
itself stays clean). lintian reports no error; lmnic-dkms holds dkms.conf,
Kbuild and the driver's sources under /usr/src/lmnic-VERSION and depends on
dkms; lmnic-tools holds the three tools, their manual pages and no test or
fuzz build. The release is one: include/lmnic_version.h, the driver's
MODULE_VERSION, dkms.conf and debian/changelog. dkms builds lmnic.ko from
the installed package's files against the stock kernels' headers (the
testbed's unpacked Debian kernels), in a DKMS tree of its own, as it does on
a host when the package is installed. And the packages install in a clean
Debian 12 tree made by mmdebstrap from this host's apt sources: with the
stock kernels' headers installed after them, dkms builds and installs
lmnic.ko for each kernel; the tools run there; removing lmnic-dkms removes
the modules.

The builds run as one host-side job in the background of make check
(testbed/background.py); a test run alone runs it then."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from testbed import background
from testbed.background import NICE
from testbed.paths import BUILD, CACHE, ENV, TOP, kernel_env

DKMS_KERNELS = ("stock-6.1", "stock-6.12")
TOOLS = ("lmnic-analyze", "lmnic-conn", "lmnic-migrate")
# tools/Makefile's other targets: test hooks, the fake netlink, fuzzers
NOT_SHIPPED = re.compile(r"lmnic-migrate-(test|fake)|fuzz|stream-seed|kunit")


def _version():
    text = (TOP / "include/lmnic_version.h").read_text()
    return re.search(r'^#define LMNIC_VERSION\s+"([^"]+)"$', text, re.M).group(1)


VERSION = _version()
SRC = f"/usr/src/lmnic-{VERSION}"


# The builds as an operator runs them: not inside make check's make.
BUILD_ENV = {k: v for k, v in ENV.items()
             if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def _run(args, cwd=None, env=BUILD_ENV):
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    return res.returncode, res.stdout + res.stderr


def _copy_tree(dst):
    """The tree's tracked files, as they are in the work tree, into DST."""
    rc, out = _run(["git", "-C", str(TOP), "ls-files", "-z"])
    if rc != 0:
        return f"not a git checkout, no list of the tree's files: {out}"
    for name in out.split("\0"):
        src = TOP / name
        if name and src.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return None


def _deb_files(deb):
    rc, out = _run(["dpkg-deb", "-c", str(deb)])
    assert rc == 0, out
    # "-rw-r--r-- root/root 1234 2026-12-03 15:45 ./usr/bin/x"
    return {line.split(None, 5)[5][1:].split(" -> ")[0].rstrip("/")
            for line in out.splitlines()} - {""}


def _deb_fields(deb):
    fields = {}
    for name in ("Package", "Architecture", "Depends", "Version"):
        rc, out = _run(["dpkg-deb", "-f", str(deb), name])
        assert rc == 0, out
        fields[name] = out.strip()
    return fields


def _dkms_build(out, kernel, srctree):
    """dkms build of the package's sources (SRCTREE/lmnic-VERSION) for
    KERNEL's headers, in a DKMS tree of its own below OUT: dkms's status and
    output, the kernel's release, the modules it kept and its make.log; or
    the reason the kernel is not there."""
    try:
        env = kernel_env(kernel)
    except subprocess.CalledProcessError as e:
        return {"skip": f"{kernel} is not in the testbed's cache (make kernels): "
                        f"{e.stderr.strip()}"}
    tree = out / f"dkms-{kernel}"
    tree.mkdir()
    # sign_file: dkms would sign with (and first create) a machine key in
    # /var/lib/dkms where it finds the kernel's sign-file; not this host's.
    rc, log = _run([*NICE, "dkms", "build", "-m", "lmnic", "-v", VERSION,
                    "-k", env["KVER"], "--kernelsourcedir", env["KDIR"],
                    "--dkmstree", str(tree), "--sourcetree", str(srctree)],
                   env=dict(BUILD_ENV, sign_file="/nonexistent"))
    mdir = tree / "lmnic" / VERSION / env["KVER"]
    return {"rc": rc, "log": log, "kver": env["KVER"],
            "modules": sorted(mdir.glob("*/module/*")),
            "make_log": "\n".join(p.read_text() for p in mdir.glob("*/log/make.log"))}


def _apt_sources():
    """This host's apt sources of binary packages, each file as mmdebstrap
    takes a MIRROR argument (deb822 or one-line)."""
    files = [Path("/etc/apt/sources.list"),
             *sorted(Path("/etc/apt/sources.list.d").glob("*.list")),
             *sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))]
    return [str(f) for f in files
            if f.is_file() and re.search(r"^\s*(deb\s|Types:.*\bdeb\b)", f.read_text(), re.M)]


# What the clean tree runs after the install, its output checked by
# test_install_in_a_clean_tree
CHROOT_CHECK = """
set -x
dkms status lmnic
for k in {kvers}; do
    ls /lib/modules/$k/updates/dkms/
    modinfo -F version /lib/modules/$k/updates/dkms/lmnic.ko*
    modinfo -F vermagic /lib/modules/$k/updates/dkms/lmnic.ko*
done
for t in lmnic-analyze lmnic-conn lmnic-migrate; do $t --version; done
lmnic-conn list; echo "lmnic-conn list: $?"
ls /usr/share/man/man8/ | grep lmnic
ls /lib/systemd/system/lmnic-analyze.service
apt-get remove -y -q lmnic-dkms
echo "modules left: $(ls /lib/modules/*/updates/dkms/ 2>/dev/null | wc -l)"
echo "dkms knows: $(dkms status lmnic 2>/dev/null | wc -l)"
"""


def _chroot_install(out, debs):
    """Install the packages in a clean Debian 12 tree made by mmdebstrap
    (variant apt, the host's sources; downloads kept in CACHE/chroot-apt),
    then the stock kernels' headers, whose dkms hook builds lmnic.ko; run
    CHROOT_CHECK there. Its output, or why it could not run."""
    if shutil.which("mmdebstrap", path=ENV["PATH"]) is None:
        return {"error": "mmdebstrap is missing: make deps installs it"}
    kvers = []
    for k in DKMS_KERNELS:
        try:
            kvers.append(kernel_env(k)["KVER"])
        except subprocess.CalledProcessError as e:
            return {"skip": f"{k} is not in the testbed's cache (make kernels): "
                            f"{e.stderr.strip()}"}
    archives = CACHE / "chroot-apt"
    (archives / "partial").mkdir(parents=True, exist_ok=True)
    (out / "chroot.sh").write_text(CHROOT_CHECK.format(kvers=" ".join(kvers)))
    headers = " ".join(f"linux-headers-{k}" for k in kvers)
    install = ("DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
               "-o Dpkg::Options::=--force-confnew")
    hooks = [
        # the downloads of every run in one cache outside the tree
        "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
        f"--setup-hook=mount --bind {archives} \"$1\"/var/cache/apt/archives",
        "--skip=download/empty",
        "--skip=essential/unlink",
        f"--customize-hook=copy-in {debs['lmnic-dkms']} {debs['lmnic-tools']} "
        f"{out / 'chroot.sh'} /tmp",
        f"--customize-hook=chroot \"$1\" sh -c '{install} "
        f"/tmp/{debs['lmnic-dkms'].name} /tmp/{debs['lmnic-tools'].name}'",
        f"--customize-hook=chroot \"$1\" sh -c '{install} {headers}'",
        "--customize-hook=chroot \"$1\" sh /tmp/chroot.sh > "
        f"{out / 'chroot-check.log'} 2>&1",
        "--customize-hook=umount \"$1\"/var/cache/apt/archives",
    ]
    rc, log = _run([*NICE, "mmdebstrap", "--variant=apt", "--mode=root",
                    "--include=dkms,ca-certificates", *hooks, "bookworm",
                    "/dev/null", *_apt_sources()])
    (out / "chroot.log").write_text(log)
    check = out / "chroot-check.log"
    return {"rc": rc, "log": log, "kvers": kvers,
            "check": check.read_text() if check.exists() else ""}


def _build():
    """Build the packages in a copy of the tree, lint them, then build the
    module with dkms for each of DKMS_KERNELS."""
    out = BUILD / "packaging"
    shutil.rmtree(out, ignore_errors=True)
    tree = out / f"lmnic-{VERSION}"
    tree.mkdir(parents=True)
    why = _copy_tree(tree)
    if why:
        return {"skip": why}
    for tool in ("dpkg-buildpackage", "lintian", "dkms", "dh_dkms"):
        if shutil.which(tool, path=ENV["PATH"]) is None:
            return {"error": f"{tool} is missing: make deps installs it"}
    rc, log = _run([*NICE, "dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree)
    (out / "build.log").write_text(log)
    res = {"rc": rc, "log": log, "debs": {p.name.split("_")[0]: p
                                           for p in out.glob("*.deb")}}
    if rc != 0:
        return res
    changes = next(out.glob("*.changes"))
    res["lintian"] = _run([*NICE, "lintian", str(changes)])
    root = out / "root"
    rc, log = _run(["dpkg-deb", "-x", str(res["debs"]["lmnic-dkms"]), str(root)])
    assert rc == 0, log
    res["dkms"] = {k: _dkms_build(out, k, root / "usr/src") for k in DKMS_KERNELS}
    return res


def _install():
    res = background.job("packaging", None).result()
    if res.get("rc") != 0:
        return {"skip": "the packages did not build: test_packages_build_and_lint says why"}
    return _chroot_install(BUILD / "packaging", res["debs"])


background.job("packaging", _build)
background.job("install", _install)


def _built():
    res = background.job("packaging", None).result()
    if "skip" in res:
        pytest.skip(res["skip"])
    assert "error" not in res, res.get("error")
    assert res["rc"] == 0, res["log"][-6000:]
    return res


def test_version_is_one():
    """LMNIC_VERSION is the driver's MODULE_VERSION, dkms.conf's
    PACKAGE_VERSION and the Debian package's version."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), VERSION
    pci = (TOP / "drivers/net/ethernet/lmnic/lmnic_pci.c").read_text()
    assert "MODULE_VERSION(LMNIC_VERSION);" in pci
    assert "#include <lmnic_version.h>" in pci
    conf = (TOP / "dkms.conf").read_text()
    assert re.search(rf'^PACKAGE_VERSION="{re.escape(VERSION)}"$', conf, re.M), conf
    assert re.search(r'^PACKAGE_NAME="lmnic"$', conf, re.M), conf
    first = (TOP / "debian/changelog").read_text().splitlines()[0]
    assert first.startswith(f"lmnic ({VERSION}) "), first
    assert (TOP / "debian/source/format").read_text().strip() == "3.0 (native)"


@pytest.mark.background(lambda: "packaging")
def test_packages_build_and_lint():
    """dpkg-buildpackage -us -uc -b makes both packages; lintian finds no
    error in them (its warnings are printed)."""
    res = _built()
    assert {"lmnic-dkms", "lmnic-tools"} <= set(res["debs"]), res["debs"]
    rc, lint = res["lintian"]
    print(lint)
    errors = [line for line in lint.splitlines() if line.startswith("E:")]
    assert not errors, lint
    assert rc == 0, lint


@pytest.mark.background(lambda: "packaging")
def test_dkms_package():
    """lmnic-dkms (all) depends on dkms and holds dkms.conf, Kbuild, the
    driver's directory and the shared headers under /usr/src/lmnic-VERSION,
    no KUnit suite; its maintainer scripts hand the module to dkms."""
    res = _built()
    deb = res["debs"]["lmnic-dkms"]
    fields = _deb_fields(deb)
    assert fields["Architecture"] == "all", fields
    assert fields["Version"] == VERSION, fields
    assert re.search(r"(^|, )dkms( |,|$)", fields["Depends"]), fields
    files = _deb_files(deb)
    want = {f"{SRC}/dkms.conf", f"{SRC}/Kbuild",
            f"{SRC}/drivers/net/ethernet/lmnic/Makefile"}
    for pattern in ("drivers/net/ethernet/lmnic/*.[ch]", "include/*.h",
                    "include/uapi/linux/*.h"):
        matched = {f"{SRC}/{p.relative_to(TOP)}" for p in TOP.glob(pattern)}
        assert matched, pattern
        want |= matched
    assert want <= files, sorted(want - files)
    stray = {f for f in files if not f.startswith((SRC, "/usr/share/doc/lmnic-dkms"))
             and f not in ("/usr", "/usr/src", "/usr/share", "/usr/share/doc")}
    assert not stray, sorted(stray)
    assert not [f for f in files if "kunit" in f], sorted(files)
    conf = (TOP / "dkms.conf").read_text()
    rc, shipped = _run(["sh", "-c", f"dpkg-deb --fsys-tarfile {deb} | "
                        f"tar -xOf - .{SRC}/dkms.conf"])
    assert rc == 0 and shipped == conf, shipped
    rc, postinst = _run(["sh", "-c", f"dpkg-deb --ctrl-tarfile {deb} | "
                         "tar -xOf - ./postinst"])
    assert rc == 0 and "DKMS_NAME=lmnic" in postinst, postinst
    assert f"DKMS_VERSION={VERSION}" in postinst, postinst


@pytest.mark.background(lambda: "packaging")
def test_tools_package():
    """lmnic-tools (any) holds the three tools in /usr/sbin, the manual
    pages of tools/, the dump watcher's unit (not enabled) and the driver's
    options as an example, and none of tools/Makefile's test or fuzz
    builds."""
    res = _built()
    deb = res["debs"]["lmnic-tools"]
    fields = _deb_fields(deb)
    _, arch = _run(["dpkg", "--print-architecture"])
    assert fields["Architecture"] == arch.strip(), fields
    assert fields["Version"] == VERSION, fields
    for lib in ("libnl-3-200", "libnl-genl-3-200", "libssl3"):
        assert lib in fields["Depends"], fields
    files = _deb_files(deb)
    bins = {f for f in files if f.startswith("/usr/sbin/")}
    assert bins == {f"/usr/sbin/{t}" for t in TOOLS}, sorted(bins)
    assert not [f for f in files if NOT_SHIPPED.search(f)], sorted(files)
    pages = {f"/usr/share/man/man8/{p.name}.gz" for p in TOP.glob("tools/*.8")}
    assert pages and pages <= files, sorted(pages - files)
    assert not [f for f in files if f.startswith("/usr/local")], sorted(files)
    # the dump watcher's unit, not enabled or started by the package, and
    # the driver's options as an example
    assert "/lib/systemd/system/lmnic-analyze.service" in files, sorted(files)
    assert "/usr/share/doc/lmnic-tools/examples/lmnic.conf" in files, sorted(files)
    # and the orchestrator that moves a workload with its vport
    assert "/usr/share/doc/lmnic-tools/examples/lmnic-move-workload" in files, sorted(files)
    rc, unit = _run(["sh", "-c", f"dpkg-deb --fsys-tarfile {deb} | "
                     "tar -xOf - ./lib/systemd/system/lmnic-analyze.service"])
    assert rc == 0 and "ExecStart=/usr/sbin/lmnic-analyze --watch" in unit, unit
    rc, scripts = _run(["sh", "-c", f"dpkg-deb --ctrl-tarfile {deb} | "
                        "tar -xOf - ./postinst 2>/dev/null || true"])
    # enabled again on upgrade only where the operator had enabled it
    assert "deb-systemd-helper debian-installed 'lmnic-analyze.service'" in scripts, scripts
    assert "deb-systemd-invoke start" not in scripts, scripts


# Not named `kernel`: conftest.py boots guest g-KERNEL for a test with a
# parameter of that name; this one needs the kernel's headers only.
@pytest.mark.parametrize("headers", DKMS_KERNELS)
@pytest.mark.background(lambda: "packaging")
def test_dkms_build(headers):
    """dkms builds lmnic.ko, and it alone, from the package's files for the
    kernel's headers, with dkms.conf's MAKE and CLEAN; modinfo shows the
    release and the kernel's vermagic."""
    res = _built()
    dk = res["dkms"][headers]
    if "skip" in dk:
        pytest.skip(dk["skip"])
    assert dk["rc"] == 0, dk["log"][-3000:] + dk["make_log"][-6000:]
    assert "bad exit status" not in dk["log"], dk["log"]
    names = [p.name for p in dk["modules"]]
    assert len(names) == 1 and re.fullmatch(r"lmnic\.ko(\.xz|\.gz|\.zst)?", names[0]), names
    warnings = [line for line in dk["make_log"].splitlines()
                if "warning:" in line or "error:" in line]
    assert not warnings, "\n".join(warnings)
    info = {}
    for field in ("version", "vermagic", "name"):
        rc, out = _run(["modinfo", "-F", field, str(dk["modules"][0])])
        assert rc == 0, out
        info[field] = out.strip()
    assert info["version"] == VERSION, info
    assert info["name"] == "lmnic", info
    assert info["vermagic"].split()[0] == dk["kver"], info


# Minutes of downloads, dpkg and two module builds: make package-test (and
# make stress), not make check, which has the DKMS builds above.
@pytest.mark.stress()
@pytest.mark.background(lambda: "install")
def test_install_in_a_clean_tree():
    """In a clean Debian 12 tree: apt installs lmnic-dkms and lmnic-tools
    with what they depend on; installing the stock kernels' headers builds
    lmnic.ko for each (the dkms hook), of this release and that kernel's
    vermagic; the tools run (a missing family is an error of their own,
    exit 1); the manual pages and the unit are there; removing lmnic-dkms
    takes the modules away."""
    ch = background.job("install", None).result()
    if "skip" in ch:
        pytest.skip(ch["skip"])
    assert "error" not in ch, ch["error"]
    out = ch["check"]
    print(out)
    assert ch["rc"] == 0, ch["log"][-6000:]
    for kver in ch["kvers"]:
        assert re.search(rf"^lmnic/{re.escape(VERSION)}, {re.escape(kver)}, x86_64: installed",
                         out, re.M), out
        assert re.search(rf"^{re.escape(kver)} ", out, re.M), out    # vermagic
    assert out.count(f"\n{VERSION}\n") == len(ch["kvers"]), out
    for tool in TOOLS:
        assert f"{tool} (lmnic) {VERSION}" in out, out
    assert "no lmnic netlink family" in out and "lmnic-conn list: 1" in out, out
    for page in TOP.glob("tools/*.8"):
        assert f"{page.name}.gz" in out, out
    assert "/lib/systemd/system/lmnic-analyze.service" in out, out
    assert "modules left: 0" in out and "dkms knows: 0" in out, out
