"""The command lines of lmnic's tools on the host, with no driver: --help
and --version, usage errors and their exit status, bad numbers, addresses
and protocols refused before any netlink socket is opened (strace), the man
pages, make install and the lmnic-analyze --watch unit."""

import itertools
import re
import shutil
import subprocess

import pytest

from testbed.background import NICE
from testbed.paths import BUILD, ENV, TOP

OUT = BUILD / "host/tools-cli"
TOOLS = ("lmnic-analyze", "lmnic-conn", "lmnic-migrate")
# the exit status of a bad command line: lmnic-migrate has its own scheme
USAGE = {"lmnic-analyze": 2, "lmnic-conn": 2, "lmnic-migrate": 1}
VERSION = re.search(r'#define LMNIC_VERSION\s+"([^"]+)"',
                    (TOP / "include/lmnic_version.h").read_text()).group(1)
MAN_PAGES = sorted((TOP / "tools").glob("*.8"))
SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
            "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO")
STRACE = shutil.which("strace", path=ENV["PATH"])
_runs = itertools.count()


@pytest.fixture(scope="module")
def tools():
    """The tools, and the test build of lmnic-migrate beside them (which
    make install must leave out)."""
    build = subprocess.run([*NICE, "make", "-s", "-C", str(TOP / "tools"), f"O={OUT}",
                            "all", "test-tools"], env=ENV, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "warning" not in build.stderr, build.stderr
    return OUT


class Run:
    def __init__(self, tools, tool, args, tmp_path):
        """TOOL ARGS, under strace if there is one: the sockets it opened."""
        log = tmp_path / f"strace.{next(_runs)}"
        cmd = [str(tools / tool), *args]
        if STRACE:
            cmd = [STRACE, "-f", "-qq", "-e", "trace=socket", "-o", str(log), *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
        self.rc, self.out, self.err = res.returncode, res.stdout, res.stderr
        self.sockets = log.read_text() if STRACE else None

    def no_netlink(self):
        """Nothing reached for the family: no netlink socket, no message of
        one."""
        if self.sockets is not None:
            assert "AF_NETLINK" not in self.sockets, self.sockets
        assert "netlink" not in self.err and "family" not in self.err, self.err
        return True


@pytest.fixture
def run(tools, tmp_path):
    return lambda tool, *args: Run(tools, tool, args, tmp_path)


# ---- --help, --version, unknown options --------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("tool", TOOLS)
def test_help(run, tool, flag):
    r = run(tool, flag)
    assert r.rc == 0 and r.err == "", (r.rc, r.err)
    assert r.out.startswith(f"usage: {tool} ") and "--version" in r.out, r.out
    assert r.no_netlink()


@pytest.mark.parametrize("flag", ["--version", "-V"])
@pytest.mark.parametrize("tool", TOOLS)
def test_version(run, tool, flag):
    r = run(tool, flag)
    assert (r.rc, r.out, r.err) == (0, f"{tool} (lmnic) {VERSION}\n", "")
    assert r.no_netlink()


UNKNOWN = {"lmnic-analyze": [["--bogus"], ["-x", "eth0"], []],
           "lmnic-conn": [["--bogus"], ["bogus"], []],
           "lmnic-migrate": [["status", "eth0", "--bogus"], ["bogus", "eth0"], []]}


@pytest.mark.parametrize("tool,args", [(t, a) for t, al in UNKNOWN.items() for a in al])
def test_usage_error(run, tool, args):
    """An unknown option or command, or none: the usage on standard error
    and the tool's usage exit status."""
    r = run(tool, *args)
    assert r.rc == USAGE[tool] and r.out == "", (r.rc, r.out)
    assert f"usage: {tool} " in r.err, r.err
    assert r.no_netlink()


@pytest.mark.parametrize("args", [["list", "a", "b"], ["del", "eth0"],
                                  ["add", "eth0", "udp", "10.0.0.1", "1", "10.0.0.2"],
                                  ["add", "eth0", "udp", "10.0.0.1", "1", "10.0.0.2", "2",
                                   "steer"],
                                  ["add", "eth0", "udp", "10.0.0.1", "1", "10.0.0.2", "2",
                                   "bogus"],
                                  ["bulk", "eth0", "1"]])
def test_conn_usage_error(run, args):
    r = run("lmnic-conn", *args)
    assert r.rc == 2 and "usage: lmnic-conn " in r.err, (r.rc, r.err)
    assert r.no_netlink()


# ---- values refused before netlink -------------------------------------------

BAD_NUMBERS = ("12abc", "-1", "99999999999")
ADD = ["add", "eth0", "udp", "10.0.0.1", "1000", "10.0.0.2", "2000"]
NUMBER_ARGS = {
    "lmnic-conn": [
        ["add", "eth0", "udp", "10.0.0.1", "{}", "10.0.0.2", "2000"],
        ["add", "eth0", "udp", "10.0.0.1", "1000", "10.0.0.2", "{}"],
        ADD + ["steer", "{}"], ADD + ["mark", "{}", "count"], ADD + ["id", "{}"],
        ["add", "0000:00:01.0/{}", "udp", "10.0.0.1", "1000", "10.0.0.2", "2000"],
        ["del", "eth0", "{}"], ["del", "0000:00:01.0/{}", "1"],
        ["list", "0000:00:01.0/{}"], ["dev", "0000:00:01.0/{}"],
        ["bulk", "eth0", "{}", "10.0.0.2"],
    ],
    "lmnic-analyze": [
        ["--id", "{}", "eth0"], ["--clear", "--id", "{}", "0000:00:01.0"],
        ["--watch", "{tmp}", "--count", "{}"], ["0000:00:01.0/{}"],
    ],
    "lmnic-migrate": [
        ["status", "eth0", "--timeout", "{}"],
        ["send", "eth0", "--to", "127.0.0.1:1", "--insecure", "--switchover=wait",
         "--switchover-timeout", "{}"],
    ],
}


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("tool,args", [(t, a) for t, al in NUMBER_ARGS.items() for a in al],
                         ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_bad_number(run, tmp_path, tool, args, value):
    """Trailing garbage, a sign, an overflow: refused with a message naming
    the value, before any netlink socket."""
    r = run(tool, *[a.format(value, tmp=tmp_path) for a in args])
    assert r.rc == USAGE[tool] and r.out == "", (r.rc, r.out, r.err)
    assert value in r.err and r.err.startswith(f"{tool}: "), r.err
    assert r.no_netlink()


@pytest.mark.parametrize("args,what", [
    (["add", "eth0", "sctp", "10.0.0.1", "1", "10.0.0.2", "2"], "unknown protocol sctp"),
    (["add", "eth0", "TCP", "10.0.0.1", "1", "10.0.0.2", "2"], "unknown protocol TCP"),
    (["bulk", "eth0", "10", "10.0.0.2", "sctp"], "unknown protocol sctp"),
    (["add", "eth0", "udp", "10.0.0.1", "1", "fd00::1", "2"], "fd00::1: mixed"),
    (["add", "eth0", "udp", "10.0.0.x", "1", "10.0.0.2", "2"], "10.0.0.x: not an"),
    (["add", "eth0", "udp", "10.0.0.1", "1", "10.0.0.2", "65536"], "DPORT 65536"),
    (["add", "eth0", "udp", "10.0.0.1", "0x10", "10.0.0.2", "2"], "SPORT 0x10"),
    (["bulk", "eth0", "10", "fd00::1"], "fd00::1: not an IPv4"),
])
def test_conn_bad_value(run, args, what):
    r = run("lmnic-conn", *args)
    assert r.rc == 2 and what in r.err, (r.rc, r.err)
    assert r.no_netlink()


@pytest.mark.parametrize("args,what", [
    (["--count", "1", "eth0"], "--count goes with --watch"),
    (["--watch", "{tmp}", "--json"], "--watch takes no"),
    (["--clear", "--save", "{tmp}/x", "eth0"], "--clear takes no"),
    (["--watch", "{tmp}", "--count", "0"], "--count 0"),
    (["--id", "1", "{file}"], "is a file"),
])
def test_analyze_bad_combination(run, tmp_path, args, what):
    (tmp_path / "dump").write_bytes(b"x")
    r = run("lmnic-analyze", *[a.format(tmp=tmp_path, file=tmp_path / "dump") for a in args])
    assert r.rc == 2 and what in r.err, (r.rc, r.err)
    assert r.no_netlink()


def test_analyze_watch_dir(run, tmp_path):
    """--watch DIR: DIR must be a directory, before the family is opened."""
    r = run("lmnic-analyze", "--watch", str(tmp_path / "none"))
    assert r.rc == 1 and "No such file or directory" in r.err, (r.rc, r.err)
    assert r.no_netlink()


def test_analyze_file(run, tmp_path):
    """A file that is no dump: exit 1 with where it breaks, no netlink."""
    (tmp_path / "cut.dump").write_bytes(b"x" * 10)
    r = run("lmnic-analyze", "--json", str(tmp_path / "cut.dump"))
    assert r.rc == 1 and "truncated" in r.err and r.out == "", (r.rc, r.err)
    assert r.no_netlink()


@pytest.mark.parametrize("tool,args", [
    ("lmnic-conn", ["list"]), ("lmnic-conn", ["dev", "0000:00:01.0/1"]),
    ("lmnic-conn", ["add", "0000:00:01.0/0x1", "tcp", "10.0.0.1", "65535", "10.0.0.2",
                    "80", "steer", "0x3", "mark", "077", "count", "id", "4294967295"]),
    ("lmnic-analyze", ["--id", "3", "0000:00:01.0"]),
])
def test_well_formed_reaches_netlink(run, tool, args):
    """A well-formed command line goes on to the family; without the driver
    that fails: exit 1."""
    r = run(tool, *args)
    if r.rc == 0:
        pytest.skip("the lmnic family is there on this host")
    assert r.rc == 1 and "no lmnic netlink family" in r.err, (r.rc, r.err)
    if r.sockets is not None:
        assert "AF_NETLINK" in r.sockets, r.sockets


# ---- man pages ---------------------------------------------------------------

def test_man_pages_listed():
    assert {p.name for p in MAN_PAGES} == {f"{t}.8" for t in TOOLS}


@pytest.mark.parametrize("page", MAN_PAGES, ids=lambda p: p.name)
def test_man_page(page):
    """groff -man -ww finds nothing to say; man -l neither; the sections.
    (make deps installs groff and man.)"""
    res = subprocess.run(["groff", "-man", "-ww", "-z", str(page)], env=ENV,
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout + res.stderr == "", res.stderr
    res = subprocess.run(["man", "-l", str(page)], env=dict(ENV, MANWIDTH="80"),
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert res.stdout.startswith(page.stem.upper() + "(8)"), res.stdout[:200]
    if page.stem != "lmnic-migrate":
        heads = re.findall(r'^\.SH "?([^"\n]+)"?$', page.read_text(), re.M)
        assert [h for h in heads if h in SECTIONS] == list(SECTIONS), heads


# ---- make install ------------------------------------------------------------

def _install(tools, *args):
    res = subprocess.run([*NICE, "make", "-s", "-C", str(TOP / "tools"), f"O={tools}",
                          "install", *args], env=ENV, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def _tree(root):
    return {str(p.relative_to(root)): p.stat().st_mode & 0o777
            for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("prefix,unitdir", [("/usr", "usr/lib/systemd/system"),
                                            (None, "usr/local/lib/systemd/system")])
def test_install(tools, tmp_path, prefix, unitdir):
    """The tools in sbin (not the test build), the man pages, the unit
    pointing at the installed tool, the modprobe.d example under doc."""
    root = tmp_path / "root"
    _install(tools, f"DESTDIR={root}", *([f"PREFIX={prefix}"] if prefix else []))
    assert (tools / "lmnic-migrate-test").exists()
    p = (prefix or "/usr/local").lstrip("/")
    expect = {**{f"{p}/sbin/{t}": 0o755 for t in TOOLS},
              **{f"{p}/share/man/man8/{t}.8": 0o644 for t in TOOLS},
              f"{unitdir}/lmnic-analyze.service": 0o644,
              f"{p}/share/doc/lmnic/examples/lmnic.conf": 0o644}
    assert _tree(root) == expect
    unit = (root / unitdir / "lmnic-analyze.service").read_text()
    assert "@SBINDIR@" not in unit, unit
    start = re.findall(r"^ExecStart=(.*)$", unit, re.M)
    assert start == [f"/{p}/sbin/lmnic-analyze --watch /var/lib/lmnic"], start
    assert "StateDirectory=lmnic" in unit and "CAP_NET_ADMIN" in unit


def test_unit_verifies(tools, tmp_path):
    """systemd-analyze verify of the unit installed where its ExecStart and
    its man page are."""
    if not shutil.which("systemd-analyze", path=ENV["PATH"]):
        pytest.skip("no systemd-analyze on this host")
    prefix = tmp_path / "prefix"
    _install(tools, f"PREFIX={prefix}")
    res = subprocess.run(["systemd-analyze", "verify",
                          str(prefix / "lib/systemd/system/lmnic-analyze.service")],
                         env=dict(ENV, MANPATH=str(prefix / "share/man")),
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0 and res.stdout + res.stderr == "", res.stdout + res.stderr


def test_modprobe_example():
    """The example names every parameter the driver takes, and only those."""
    params = set()
    for src in (TOP / "drivers/net/ethernet/lmnic").glob("*.c"):
        params |= set(re.findall(r"^module_param\((\w+),", src.read_text(), re.M))
    example = (TOP / "tools/modprobe.d/lmnic.conf").read_text()
    named = set(re.findall(r"^#?options lmnic (\w+)=", example, re.M))
    assert params and named == params, (named, params)


# ---- the example orchestrator ------------------------------------------------

MOVE = TOP / "tools/lmnic-move-workload"


def test_move_workload_command_line():
    """tools/lmnic-move-workload: --help on stdout with exit 0, --version
    as the other tools print it (the release of lmnic_version.h), a bad
    command line refused with exit 2 before anything runs, and its shell is
    POSIX sh as shellcheck reads it (the guests run it with dash)."""
    res = subprocess.run([str(MOVE), "--help"], capture_output=True, text=True, env=ENV)
    assert res.returncode == 0 and res.stderr == "", res
    assert res.stdout.startswith("usage:") and "--images-to" in res.stdout, res.stdout
    for arg in ("-V", "--version"):
        res = subprocess.run([str(MOVE), arg], capture_output=True, text=True, env=ENV)
        assert res.returncode == 0 and res.stderr == "", res
        assert res.stdout == f"lmnic-move-workload (lmnic) {VERSION}\n", res.stdout
    for args in ([], ["send", "eth1"], ["send", "eth1", "12x", "--to", "h:1"],
                 ["send", "eth1", "1", "--to", "h:1", "--images-to", "h:2",
                  "--psk-file", "k", "--address", "10.0.0.1"],
                 ["receive", "eth1", "--bogus", "1"], ["move", "eth1"]):
        res = subprocess.run([str(MOVE), *args], capture_output=True, text=True, env=ENV)
        assert res.returncode == 2 and res.stdout == "" and res.stderr, (args, res)
    res = subprocess.run(["shellcheck", "-s", "sh", str(MOVE)], capture_output=True,
                         text=True, env=ENV)
    assert res.returncode == 0, res.stdout + res.stderr
