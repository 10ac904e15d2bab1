#!/bin/bash
# Build qemu-system-x86_64 from Debian's QEMU 7.2 source package with the
# lmnic adapter from qemu-dev/ added. The result is cached outside the clone,
# keyed by the source package version and every input file.
#
# usage: qemu.sh build    build if missing, print the binary's path
#        qemu.sh path     print the binary's path (exit 1 if not built)
#        qemu.sh srctree  print an unpacked pristine QEMU source tree
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

# Copy the lmnic device into a QEMU tree and hook it into meson and Kconfig.
add_device() {
	local t=$1
	cp "$top"/qemu-dev/*.c "$t/hw/net/"
	cp "$top/include/lmnic_hw.h" "$t/hw/net/"
	cat "$top/qemu-dev/meson.build" >> "$t/hw/net/meson.build"
	cat "$top/qemu-dev/Kconfig" >> "$t/hw/net/Kconfig"
	cat "$top/qemu-dev/trace-events" >> "$t/hw/net/trace-events"
	# The dfsg tarball carries no EDK2 blobs: do not try to unpack them.
	sed -i 's/^\( *unpack_edk2_blobs = \)bzip2.found()/\1false/' "$t/meson.build"
}

build() {
	local out src tmp
	out=$cache/qemu-$(key)
	if [ -x "$out/qemu-system-x86_64" ]; then
		echo "$out/qemu-system-x86_64"
		return
	fi
	src=$(srctree)
	tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
	log "building qemu-system-x86_64 in $tmp (takes a few minutes)"
	cp -a "$src" "$tmp/src"
	add_device "$tmp/src"
	mkdir "$tmp/build"
	(cd "$tmp/build" && ../src/configure --target-list=x86_64-softmmu \
		--meson=/usr/bin/meson \
		--without-default-features --enable-fdt=system \
		--disable-docs --disable-werror >configure.log 2>&1) ||
		{ tail -n 30 "$tmp/build/configure.log" >&2; exit 1; }
	(cd "$tmp/build" && ninja qemu-system-x86_64 >build.log 2>&1) ||
		{ grep -B2 -A10 -m5 'error' "$tmp/build/build.log" >&2; exit 1; }
	mkdir -p "$out.tmp"
	cp "$tmp/build/qemu-system-x86_64" "$out.tmp/"
	rm -rf "$tmp" "$out"
	mv "$out.tmp" "$out"
	echo "$out/qemu-system-x86_64"
}

case ${1:-build} in
build) build ;;
path)
	p=$cache/qemu-$(key)/qemu-system-x86_64
	[ -x "$p" ] || { log "not built: run make qemu"; exit 1; }
	echo "$p"
	;;
srctree) srctree ;;
*) log "usage: $0 build|path|srctree"; exit 2 ;;
esac
