#!/usr/bin/python3
"""Print the deb-src entries lmnic needs for `apt-get source qemu`, in deb822
form, derived from the host's own apt sources: for every enabled `deb` entry
of a Debian bookworm suite with component `main`, a `deb-src` entry with the
same URI and suite, component `main` and the same options (Signed-By,
Trusted, ...). Entries whose URI and suite already have a `deb-src` entry
with `main` are left out; lmnic's own file (lmnic-src.sources) is neither a
source nor an existing entry, since it is what this output replaces.

Reads ROOT/etc/apt/sources.list (one-line format) and the files of
ROOT/etc/apt/sources.list.d/ that apt reads: *.list (one-line) and
*.sources (deb822). Prints nothing when every such URI and suite already
has its deb-src entry; exits 1 with a message when no such deb entry
exists.

usage: apt-src.py [ROOT]   (ROOT defaults to /)
"""

import re
import sys
from pathlib import Path

SUITES = ("bookworm", "bookworm-updates", "bookworm-security",
          "bookworm-backports", "bookworm-proposed-updates")
OWN = "lmnic-src.sources"

# One-line option names and their deb822 fields.
OPTIONS = {
    "arch": "Architectures", "lang": "Languages", "target": "Targets",
    "pdiffs": "PDiffs", "by-hash": "By-Hash",
    "allow-insecure": "Allow-Insecure", "allow-weak": "Allow-Weak",
    "allow-downgrade-to-insecure": "Allow-Downgrade-To-Insecure",
    "trusted": "Trusted", "signed-by": "Signed-By",
    "check-valid-until": "Check-Valid-Until",
    "valid-until-min": "Valid-Until-Min", "valid-until-max": "Valid-Until-Max",
    "check-date": "Check-Date", "date-max-future": "Date-Max-Future",
    "inrelease-path": "InRelease-Path", "snapshot": "Snapshot",
}
# Fields that describe the entry itself, not options of it.
ENTRY_FIELDS = {"types", "uris", "suites", "components", "enabled"}
# Options about binary package indexes only: a deb-src entry takes none.
BINARY_ONLY = re.compile(r"^(architectures|languages|targets)(-add|-remove)?$")
FALSE = {"no", "false", "without", "off", "disable"}
# apt reads only sources.list.d/ files with these names.
PART_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.(list|sources)$")


class Entry:
    """One source entry: its types, URIs, suites, components and options
    as deb822 (name, text) pairs, text without the "Name:" prefix."""

    def __init__(self, types, uris, suites, components, options):
        self.types = types
        self.uris = uris
        self.suites = suites
        self.components = components
        self.options = options


def _words(text):
    """Split a one-line entry at whitespace, keeping [...] groups whole (the
    options, and URIs such as cdrom:[Debian GNU/Linux 12 ...]/)."""
    words, cur, depth = [], "", 0
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        if ch.isspace() and not depth:
            if cur:
                words.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    return words


def _option_field(name):
    for suffix, field_suffix in (("+", "-Add"), ("-", "-Remove")):
        if name.endswith(suffix):
            base = name[:-1]
            return OPTIONS.get(base, base.title()) + field_suffix
    return OPTIONS.get(name, name.title())


def parse_one_line(text):
    """The entries of a one-line format file."""
    entries = []
    for line in text.splitlines():
        words = _words(line.split("#", 1)[0])
        if len(words) < 3 or words[0] not in ("deb", "deb-src"):
            continue
        options = []
        if words[1].startswith("["):
            for opt in words[1].strip("[]").split():
                m = re.match(r"^([A-Za-z0-9_-]+?)([+-]?)=(.*)$", opt)
                if m:
                    options.append((_option_field(m.group(1).lower() + m.group(2)),
                                    m.group(3).replace(",", " ")))
            words = [words[0]] + words[2:]
        if len(words) < 3:
            continue
        entries.append(Entry([words[0]], [words[1]], [words[2]], words[3:],
                             options))
    return entries


def _stanzas(text):
    """The stanzas of a deb822 file: lists of (name, [first, continuation
    lines...]) in file order, comments left out."""
    stanzas, cur = [], []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur = []
        elif line[0] in " \t":
            if cur:
                cur[-1][1].append(line)
        elif ":" in line:
            name, _, value = line.partition(":")
            cur.append((name.strip(), [value.strip()]))
    if cur:
        stanzas.append(cur)
    return stanzas


def parse_deb822(text):
    """The enabled entries of a deb822 format file."""
    entries = []
    for stanza in _stanzas(text):
        fields = {name.lower(): lines for name, lines in stanza}

        def words(name):
            return " ".join(fields.get(name, [])).split()
        enabled = words("enabled")
        if enabled and enabled[0].lower() in FALSE:
            continue
        options = [(name, "\n".join(lines)) for name, lines in stanza
                   if name.lower() not in ENTRY_FIELDS]
        entries.append(Entry(words("types"), words("uris"), words("suites"),
                             words("components"), options))
    return entries


def read_sources(root):
    """Every entry apt reads under ROOT, but lmnic's own file's."""
    etc = Path(root) / "etc/apt"
    entries = []
    main = etc / "sources.list"
    if main.is_file():
        entries += parse_one_line(main.read_text(errors="replace"))
    parts = etc / "sources.list.d"
    if parts.is_dir():
        for f in sorted(parts.iterdir()):
            if f.name == OWN or not PART_NAME.match(f.name) or not f.is_file():
                continue
            text = f.read_text(errors="replace")
            entries += (parse_deb822(text) if f.suffix == ".sources"
                        else parse_one_line(text))
    return entries


def _uri(uri):
    return uri.rstrip("/")


def deb_src(root):
    """The deb822 text of the missing deb-src entries ("" if none is
    missing), or None if no deb entry of a Debian bookworm suite with
    component main exists."""
    entries = read_sources(root)
    have = {(_uri(u), s) for e in entries if "deb-src" in e.types
            and "main" in e.components for u in e.uris for s in e.suites}
    found = False
    groups = {}  # (uri, options) -> suites, in file order
    for e in entries:
        if "deb" not in e.types or "main" not in e.components:
            continue
        for uri in e.uris:
            # an installation medium carries no sources
            if uri.startswith("cdrom:"):
                continue
            for suite in e.suites:
                if suite not in SUITES:
                    continue
                found = True
                if (_uri(uri), suite) in have:
                    continue
                have.add((_uri(uri), suite))
                opts = tuple((n, v) for n, v in e.options
                             if not BINARY_ONLY.match(n.lower()))
                groups.setdefault((uri, opts), []).append(suite)
    if not found:
        return None
    out = []
    for (uri, opts), suites in groups.items():
        stanza = ["Types: deb-src", f"URIs: {uri}", f"Suites: {' '.join(suites)}",
                  "Components: main"]
        for name, value in opts:
            first, *rest = value.split("\n")
            stanza.append(f"{name}: {first}".rstrip() if first else f"{name}:")
            stanza += rest
        out.append("\n".join(stanza))
    return "\n\n".join(out) + "\n" if out else ""


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else "/"
    text = deb_src(root)
    if text is None:
        etc = Path(root) / "etc/apt"
        print(f"apt-src.py: no enabled deb entry for Debian bookworm "
              f"({', '.join(SUITES)}) with component main in "
              f"{etc}/sources.list or {etc}/sources.list.d/*.list, *.sources; "
              f"the deb-src entries for QEMU's source are derived from it",
              file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
