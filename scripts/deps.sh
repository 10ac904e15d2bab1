#!/bin/bash
# Install every build and test dependency of lmnic from Debian's archive,
# and the deb-src entries for QEMU's source, derived from this host's own
# Debian sources (scripts/apt-src.py). Idempotent and non-interactive; a
# stamp keyed by this file, its helper and the host's apt sources makes
# repeated runs cost nothing.
#
# usage: deps.sh         everything (make deps, make check)
#        deps.sh demo    what make demo needs: the emulator, a stock
#                        kernel's module, the tools and the guests
set -euo pipefail

DEMO_PKGS=(
	build-essential libelf-dev libssl-dev kmod cpio xz-utils zstd gcc-12
	perl python3
	dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev
	libfdt-dev zlib1g-dev python3-venv
	qemu-system-data seabios ipxe-qemu
	busybox-static ethtool iproute2 pciutils
	libnl-3-dev libnl-genl-3-dev socat openssl
)

PKGS=(
	# kernel module builds and the debug kernel
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio rsync
	dwarves sparse xz-utils zstd gcc-12 perl python3
	# QEMU 7.2 from Debian's source package
	dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev
	libfdt-dev zlib1g-dev python3-venv
	# firmware for the guests
	qemu-system-data seabios ipxe-qemu
	# guest userland; criu for the workload that moves with its vport
	busybox-static ethtool iproute2 pciutils criu nftables
	# host-side tests and tools
	python3-pytest libcmocka-dev libnl-3-dev libnl-genl-3-dev clang llvm-14
	socat libssl-dev openssl shellcheck
	# the tools' command lines (strace: no netlink reached), manual pages
	# as man renders them, the dump watcher's unit
	strace groff-base man-db systemd
	# the netlink family's code generator (tools/net/ynl)
	python3-yaml python3-jsonschema
	# the Debian packages (debian/) and their test: build, lint, DKMS
	debhelper dh-dkms dkms lintian fakeroot
	# ... and their install in a clean Debian 12 tree
	mmdebstrap
)

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LMNIC_CACHE:-/var/cache/lmnic}
# deb-src entries are needed for `apt-get source qemu`: lmnic's own file.
src=/etc/apt/sources.list.d/lmnic-src.sources

# The apt sources the entries are derived from, not lmnic's own file.
apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		if [ -f "$f" ] && [ "$f" != "$src" ]; then
			echo "== $f"
			cat "$f"
		fi
	done
}

what=all
if [ "${1:-}" = demo ]; then
	what=demo
	PKGS=("${DEMO_PKGS[@]}")
elif [ $# -gt 0 ]; then
	echo "usage: deps.sh [demo]" >&2
	exit 2
fi

stamp_key=$( (cat "$0" "$top/scripts/apt-src.py"; apt_sources) | sha256sum | cut -c1-16)
stamp="$cache/deps-$what-$stamp_key.stamp"
if [ -f "$stamp" ]; then
	missing=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${PKGS[@]}" 2>&1 |
		grep -vc '^installed ' || true)
	[ "$missing" = 0 ] && exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# The helper is Python; a minimal system may not have it yet. lmnic's file
# goes first: it may name an archive this host does not reach, and is
# written again below.
if [ ! -x /usr/bin/python3 ]; then
	rm -f "$src"
	apt-get update -q
	apt-get install -y -q --no-install-recommends python3
fi
# Rewritten when it would change; removed when the host has every deb-src
# entry already. The helper fails, naming what it looked for, when the host
# has no Debian bookworm source to derive them from.
want=$(/usr/bin/python3 "$top/scripts/apt-src.py")
if [ -z "$want" ]; then
	if [ -f "$src" ]; then
		rm -f "$src" /var/lib/apt/lmnic-updated
	fi
elif [ ! -f "$src" ] || [ "$(cat "$src")" != "$want" ]; then
	printf '%s\n' "$want" > "$src"
	rm -f /var/lib/apt/lmnic-updated
fi
if [ ! -f /var/lib/apt/lmnic-updated ] || ! apt-cache showsrc qemu >/dev/null 2>&1; then
	apt-get update -q
	touch /var/lib/apt/lmnic-updated
fi
apt-get install -y -q --no-install-recommends "${PKGS[@]}"
mkdir -p "$cache"
touch "$stamp"
