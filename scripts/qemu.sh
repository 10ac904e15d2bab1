#!/bin/bash
# Build qemu-system-x86_64 from Debian's QEMU 7.2 source package with the
# lmnic adapter from qemu-dev/ added. The result is cached outside the clone,
# keyed by the source package version and every input file.
#
# usage: qemu.sh build    build if missing, print the binary's path
#        qemu.sh path     print the binary's path (exit 1 if not built)
#        qemu.sh srctree  print an unpacked pristine QEMU source tree
#        qemu.sh tree     print the configured tree the emulator is built in
#                         (src/ with qemu-dev/ added, build/), for the
#                         model's host tests (tests/model/)
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LMNIC_CACHE:-/var/cache/lmnic}
mkdir -p "$cache"

log() { echo "qemu: $*" >&2; }

pkgver() {
	apt-cache showsrc qemu | sed -n 's/^Version: //p' | sort -V | tail -n1
}

INPUTS=("$top"/qemu-dev/* "$top/include/lmnic_hw.h" "$0")

# Only what the testbed, the demo and bench/ run: the q35 machine and the
# devices of qemu-dev/devices.mak (with --without-default-devices, no other
# board or device is compiled). Without debug information, which costs
# compile time and changes none of the emulator's behaviour.
CONFIGURE=(--target-list=x86_64-softmmu --meson=/usr/bin/meson
	--without-default-features --without-default-devices
	--with-devices-x86_64=lmnic --enable-fdt=system
	--disable-debug-info --disable-docs --disable-werror)

key() {
	(pkgver; cat "${INPUTS[@]}") | sha256sum | cut -c1-12
}

srctree() {
	local ver dir tmp
	ver=$(pkgver)
	dir=$cache/qemu-src-$ver
	if [ ! -f "$dir/.done" ]; then
		log "fetching Debian's QEMU $ver source"
		tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
		chmod 755 "$tmp"
		(cd "$tmp" && apt-get source -q -o APT::Sandbox::User=root \
			"qemu=$ver" >/dev/null)
		rm -rf "$dir"
		mv "$tmp"/qemu-*/ "$dir"
		rm -rf "$tmp"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# the configured tree: the QEMU version and what it is configured with
treedir() {
	local conf
	conf=$( (echo "${CONFIGURE[@]}"; cat "$top/qemu-dev/devices.mak") |
		sha256sum | cut -c1-8)
	echo "$cache/qemu-build-$(pkgver | tr : _)-$conf"
}

install_if_changed() { # src dest: copy unless identical, so ninja rebuilds little
	cmp -s "$1" "$2" || cp "$1" "$2"
}

# Put the lmnic device into a QEMU tree and hook it into meson and Kconfig.
# Run on every build, so the tree always holds qemu-dev/ as it is now.
add_device() {
	local t=$1 pristine=$2 f tmp
	for f in "$top"/qemu-dev/*.[ch] "$top/include/lmnic_hw.h"; do
		install_if_changed "$f" "$t/hw/net/$(basename "$f")"
	done
	tmp=$(mktemp)
	for f in meson.build Kconfig trace-events; do
		cat "$pristine/hw/net/$f" "$top/qemu-dev/$f" >"$tmp"
		install_if_changed "$tmp" "$t/hw/net/$f"
	done
	rm -f "$tmp"
	install_if_changed "$top/qemu-dev/devices.mak" \
		"$t/configs/devices/x86_64-softmmu/lmnic.mak"
	# The dfsg tarball carries no EDK2 blobs: do not try to unpack them.
	sed 's/^\( *unpack_edk2_blobs = \)bzip2.found()/\1false/' \
		"$pristine/meson.build" >"$tmp"
	install_if_changed "$tmp" "$t/meson.build"
	rm -f "$tmp"
}

build() {
	local out src tree
	out=$cache/qemu-$(key)
	if [ -x "$out/qemu-system-x86_64" ]; then
		echo "$out/qemu-system-x86_64"
		return
	fi
	src=$(srctree)
	# One configured tree per QEMU version and configuration; later
	# builds are incremental.
	tree=$(treedir)
	if [ ! -f "$tree/.configured" ]; then
		log "configuring QEMU in $tree"
		rm -rf "$tree"
		mkdir -p "$tree"
		cp -a "$src" "$tree/src"
		add_device "$tree/src" "$src"
		mkdir "$tree/build"
		(cd "$tree/build" && ../src/configure "${CONFIGURE[@]}" \
			>configure.log 2>&1) ||
			{ tail -n 30 "$tree/build/configure.log" >&2; exit 1; }
		touch "$tree/.configured"
	fi
	add_device "$tree/src" "$src"
	log "building qemu-system-x86_64 in $tree (the first build takes minutes)"
	(cd "$tree/build" && ninja qemu-system-x86_64 >build.log 2>&1) ||
		{ grep -B2 -A12 -m8 'error' "$tree/build/build.log" >&2; exit 1; }
	# The device builds warning-free with QEMU's flags (configured
	# without -Werror for the rest of QEMU): a warning fails the build.
	if grep -E -A8 'hw/net/lmnic[a-z_]*\.[ch]:[0-9]+:[0-9]+: (warning|error)' \
		"$tree/build/build.log" >&2; then
		log "the lmnic device does not build warning-free"
		exit 1
	fi
	mkdir -p "$out.tmp"
	cp "$tree/build/qemu-system-x86_64" "$out.tmp/"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	echo "$out/qemu-system-x86_64"
}

# One builder at a time per cache: a second waits for the first.
exec 9>"$cache/.qemu.lock"
flock 9

case ${1:-build} in
build) build ;;
path)
	p=$cache/qemu-$(key)/qemu-system-x86_64
	[ -x "$p" ] || { log "not built: run make qemu"; exit 1; }
	echo "$p"
	;;
srctree) srctree ;;
tree)
	t=$(treedir)
	[ -f "$t/.configured" ] || { log "not built: run make qemu"; exit 1; }
	echo "$t"
	;;
*) log "usage: $0 build|path|srctree|tree"; exit 2 ;;
esac
