"""scripts/apt-src.py, the deb-src entries scripts/deps.sh writes: derived
from a host's configured deb entries of Debian bookworm (deb822 and
one-line files), with their options; disabled files and stanzas, third-party
repositories and URIs and suites that have deb-src entries already left
out; a clear failure when there is nothing to derive them from. The trees
are fake /etc/apt directories; apt itself checks the result where it is on
the host."""

import shutil
import subprocess

import pytest

from testbed.paths import ENV, TOP

HELPER = TOP / "scripts/apt-src.py"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
INLINE_KEY = """Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEYCQjIxYJKwYBBAHaRw8BAQdAD/P5Nvvnvk66SxBBHDbhRml9ORg1WV5CvzKY
 =IE0r
 -----END PGP PUBLIC KEY BLOCK-----"""


def _tree(root, files):
    """Write FILES {path under etc/apt: text} below ROOT; return ROOT."""
    for name, text in files.items():
        path = root / "etc/apt" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "etc/apt/sources.list.d").mkdir(parents=True, exist_ok=True)
    return root


def _run(root):
    return subprocess.run([str(HELPER), str(root)], capture_output=True,
                          text=True, env=ENV)


def _stanzas(text):
    """The stanzas of deb822 TEXT as {field: value}, continuation lines
    kept with their newlines."""
    out = []
    for block in text.split("\n\n"):
        fields, last = {}, None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t"):
                fields[last] += "\n" + line
            else:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        if fields:
            out.append(fields)
    return out


def _entries(text):
    """{(URI, suite): options} of every stanza, each a deb-src of main."""
    got = {}
    for s in _stanzas(text):
        assert s.pop("Types") == "deb-src", s
        assert s.pop("Components") == "main", s
        uri = s.pop("URIs")
        for suite in s.pop("Suites").split():
            assert (uri, suite) not in got, f"{uri} {suite} twice"
            got[(uri, suite)] = s
    return got


def _derive(root):
    res = _run(root)
    assert res.returncode == 0, res.stderr
    return res.stdout


def _apt_reads(root, extra):
    """apt's own reading of ROOT's sources plus EXTRA (deb822 text) as
    lmnic-src.sources: every Sources index URI, or a failure if apt finds
    the entries malformed or their options in conflict with the deb
    entries'."""
    if not shutil.which("apt-get", path=ENV["PATH"]):
        pytest.skip("no apt-get on this host")
    parts = root / "etc/apt/sources.list.d"
    (parts / "lmnic-src.sources").write_text(extra)
    state = root / "apt-state"
    (state / "lists/partial").mkdir(parents=True, exist_ok=True)
    (state / "cache").mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["apt-get", "-o", f"Dir::Etc::SourceList={root}/etc/apt/sources.list",
         "-o", f"Dir::Etc::SourceParts={parts}",
         "-o", f"Dir::State::Lists={state}/lists",
         "-o", f"Dir::Cache={state}/cache",
         "indextargets", "--no-release-info", "Created-By: Sources"],
        capture_output=True, text=True, env=ENV)
    assert res.returncode == 0 and "E:" not in res.stderr, res.stderr
    return sorted(line.split(": ", 1)[1] for line in res.stdout.splitlines()
                  if line.startswith("URI: "))


def test_deb822_mirror_with_signed_by(tmp_path):
    """A deb822 mirror: its URIs and bookworm suites with main, Signed-By as
    a path and as an embedded key carried over; Architectures (binary
    indexes only) not."""
    root = _tree(tmp_path, {"sources.list.d/mirror.sources": f"""\
# the site's mirror
Types: deb
URIs: http://mirror.example.net/debian/
Suites: bookworm bookworm-updates
  bookworm-backports
Components: main contrib non-free-firmware
Architectures: amd64
Signed-By: {KEYRING}

Types: deb
URIs: http://mirror.example.net/debian-security
Suites: bookworm-security
Components: main
{INLINE_KEY}
"""})
    out = _derive(root)
    got = _entries(out)
    mirror = "http://mirror.example.net/debian/"
    security = "http://mirror.example.net/debian-security"
    assert set(got) == {(mirror, "bookworm"), (mirror, "bookworm-updates"),
                        (mirror, "bookworm-backports"),
                        (security, "bookworm-security")}
    assert got[(mirror, "bookworm")] == {"Signed-By": KEYRING}
    assert got[(security, "bookworm-security")] == \
        {"Signed-By": INLINE_KEY.split(":", 1)[1]}
    assert "Architectures" not in out
    assert _apt_reads(root, out) == sorted([
        f"{mirror}dists/bookworm/main/source/Sources",
        f"{mirror}dists/bookworm-updates/main/source/Sources",
        f"{mirror}dists/bookworm-backports/main/source/Sources",
        f"{security}/dists/bookworm-security/main/source/Sources"])


def test_one_line_behind_proxy(tmp_path):
    """sources.list in one-line format through a caching proxy: the URIs as
    written, [signed-by=...] (two keyrings), [trusted=yes] and the other
    options carried over as deb822 fields; comments, an installation medium
    and [arch=...] left out."""
    corp = "/etc/apt/keyrings/corp-proxy.gpg"
    proxy = "http://apt-proxy.corp.example:3142/deb.debian.org/debian"
    security = "http://10.1.2.3:3142/security.debian.org/debian-security"
    dvd = "cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 DVD Binary-1]/"
    root = _tree(tmp_path, {"sources.list": f"""\
# deb {dvd} bookworm main
deb {dvd} bookworm contrib main
deb [ arch=amd64 signed-by={KEYRING},{corp} ] {proxy} bookworm main contrib  # proxy
deb [arch=amd64 signed-by={KEYRING},{corp}] {proxy} bookworm-updates main
deb [trusted=yes check-valid-until=no] {security} bookworm-security main
#deb-src {proxy} bookworm main
"""})
    out = _derive(root)
    assert _entries(out) == {
        (proxy, "bookworm"): {"Signed-By": f"{KEYRING} {corp}"},
        (proxy, "bookworm-updates"): {"Signed-By": f"{KEYRING} {corp}"},
        (security, "bookworm-security"): {"Trusted": "yes", "Check-Valid-Until": "no"},
    }
    # the proxy's two suites share one stanza
    assert len(_stanzas(out)) == 2
    assert "cdrom" not in out and "Architectures" not in out
    assert len(_apt_reads(root, out)) == 3


def test_disabled_sources_are_not_read(tmp_path):
    """Files apt does not read (*.disabled*) and stanzas with Enabled: no
    give nothing; an enabled file beside them does."""
    disabled = f"""\
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Signed-By: {KEYRING}
"""
    files = {
        "sources.list.d/debian.sources.disabled-by-farm": disabled,
        "sources.list.d/old.list.disabled": "deb http://old.example/debian bookworm main\n",
        "sources.list.d/debian.sources": disabled.replace("disabled.example", "off.example")
        + "Enabled: no\n",
    }
    res = _run(_tree(tmp_path / "a", files))
    assert res.returncode == 1 and res.stdout == "", res.stdout
    files["sources.list.d/zz-on.list"] = "deb http://on.example/debian bookworm main\n"
    out = _derive(_tree(tmp_path / "b", files))
    assert set(_entries(out)) == {("http://on.example/debian", "bookworm")}


def test_third_party_repositories_left_out(tmp_path):
    """Only Debian's bookworm suites with component main count: a vendor's
    suite (cloud-sdk-bookworm, bookworm-pgdg, nodistro) or a Debian suite
    without main gives no deb-src entry."""
    root = _tree(tmp_path, {
        "sources.list": "deb http://deb.debian.org/debian bookworm main\n"
                        "deb http://deb.debian.org/debian bookworm-backports contrib\n",
        "sources.list.d/google-cloud-sdk.list":
            "deb [signed-by=/usr/share/keyrings/cloud.google.gpg] "
            "https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n",
        "sources.list.d/pgdg.list":
            "deb https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main\n",
        "sources.list.d/nodesource.sources": """\
Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Signed-By: /usr/share/keyrings/nodesource.gpg
""",
    })
    out = _derive(root)
    assert _entries(out) == {("http://deb.debian.org/debian", "bookworm"): {}}


def test_existing_deb_src_entries_kept(tmp_path):
    """URIs and suites with a deb-src entry of main already (deb822 Types:
    deb deb-src, a one-line deb-src) get none; the others do. lmnic's own
    file is neither a source nor an existing entry: its content is what
    the output replaces."""
    own = f"""\
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: {KEYRING}
"""
    both = f"""\
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: {KEYRING}
"""
    root = _tree(tmp_path / "a", {"sources.list.d/debian.sources": both,
                                  "sources.list.d/lmnic-src.sources": own})
    res = _run(root)
    assert res.returncode == 0 and res.stdout == "", res.stdout + res.stderr

    root = _tree(tmp_path / "b", {
        "sources.list": "deb http://deb.debian.org/debian bookworm main\n"
                        "deb http://deb.debian.org/debian bookworm-updates main\n"
                        "deb-src http://deb.debian.org/debian/ bookworm main\n"
                        "deb-src http://deb.debian.org/debian bookworm-updates contrib\n",
        "sources.list.d/lmnic-src.sources": own})
    out = _derive(root)
    # bookworm has its deb-src (the trailing slash is the same URI);
    # bookworm-updates has one of contrib only
    assert set(_entries(out)) == {("http://deb.debian.org/debian", "bookworm-updates")}

    # lmnic's file alone is no source at all
    res = _run(_tree(tmp_path / "c", {"sources.list.d/lmnic-src.sources": own}))
    assert res.returncode == 1 and res.stdout == ""


def test_same_output_as_lmnic_file(tmp_path):
    """With lmnic's own file present, the output is the same as without
    it: deps.sh finds nothing to change on a second run."""
    debian = f"""\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: {KEYRING}
"""
    first = _derive(_tree(tmp_path / "a", {"sources.list.d/debian.sources": debian}))
    again = _derive(_tree(tmp_path / "b", {"sources.list.d/debian.sources": debian,
                                           "sources.list.d/lmnic-src.sources": first}))
    assert first == again and first


def test_nothing_usable(tmp_path):
    """No deb entry of Debian bookworm with main: exit 1, nothing printed,
    and a message naming what was looked for and where."""
    root = _tree(tmp_path, {
        "sources.list": "# deb http://deb.debian.org/debian bookworm main\n",
        "sources.list.d/vendor.list": "deb https://repo.example.com/apt stable main\n",
    })
    res = _run(root)
    assert res.returncode == 1
    assert res.stdout == ""
    for what in ("bookworm", "bookworm-security", "main", "deb entry",
                 f"{root}/etc/apt/sources.list", "sources.list.d/*.list", "*.sources"):
        assert what in res.stderr, res.stderr
    res = _run(tmp_path / "no-such-root")
    assert res.returncode == 1 and "no enabled deb entry" in res.stderr


def _pkgs(name):
    """The package array NAME of scripts/deps.sh, as bash reads it."""
    out = subprocess.run(
        ["bash", "-c", f'eval "$(sed -n "/^{name}=(/,/^)/p" {TOP}/scripts/deps.sh)"; '
         f'printf "%s\\n" "${{{name}[@]}}"'], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_demo_set_is_part_of_the_whole():
    """make demo installs a subset (deps.sh demo): every package of it is in
    the whole set, and the emulator's, the module's, the tools' and the
    guests' own packages are in it."""
    demo, whole = _pkgs("DEMO_PKGS"), _pkgs("PKGS")
    assert demo and set(demo) <= set(whole), set(demo) - set(whole)
    for pkg in ("meson", "libglib2.0-dev", "libfdt-dev", "seabios", "gcc-12",
                "busybox-static", "libnl-genl-3-dev", "libssl-dev", "ethtool"):
        assert pkg in demo, pkg
    res = subprocess.run([str(TOP / "scripts/deps.sh"), "everything"],
                         capture_output=True, text=True, env=ENV)
    assert res.returncode == 2 and "usage" in res.stderr, res
