#!/bin/bash
# Install every build and test dependency of lmnic from Debian's archive.
# Idempotent and non-interactive; a stamp keyed by this file's content makes
# repeated runs cost nothing.
set -euo pipefail

PKGS=(
	# kernel module builds and the debug kernel
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio rsync
	dwarves sparse xz-utils zstd gcc-12 perl python3
	# QEMU 7.2 from Debian's source package
	dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev
	libfdt-dev zlib1g-dev python3-venv
	# firmware for the guests
	qemu-system-data seabios ipxe-qemu
	# guest userland
	busybox-static ethtool iproute2 pciutils
	# host-side tests and tools
	python3-pytest libcmocka-dev libnl-3-dev libnl-genl-3-dev clang llvm-14
	socat libssl-dev openssl
	# the netlink family's code generator (tools/net/ynl)
	python3-yaml python3-jsonschema
)

cache=${LMNIC_CACHE:-/var/cache/lmnic}
stamp_key=$(sha256sum "$0" | cut -c1-16)
stamp="$cache/deps-$stamp_key.stamp"
if [ -f "$stamp" ]; then
	missing=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${PKGS[@]}" 2>&1 |
		grep -vc '^installed ' || true)
	[ "$missing" = 0 ] && exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# deb-src entries are needed for `apt-get source qemu`.
src=/etc/apt/sources.list.d/lmnic-src.sources
if [ ! -f "$src" ]; then
	cat > "$src" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	rm -f /var/lib/apt/lmnic-updated
fi
if [ ! -f /var/lib/apt/lmnic-updated ] || ! apt-cache showsrc qemu >/dev/null 2>&1; then
	apt-get update -q
	touch /var/lib/apt/lmnic-updated
fi
apt-get install -y -q --no-install-recommends "${PKGS[@]}"
mkdir -p "$cache"
touch "$stamp"
