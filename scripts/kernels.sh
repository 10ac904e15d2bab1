#!/bin/bash
# Provide the three kernels lmnic is built and tested on, cached outside the
# clone and keyed by their inputs:
#   stock-6.1    Debian 12's kernel (image, modules and headers, unpacked)
#   stock-6.12   Debian's 6.12 for bookworm (likewise)
#   debug-6.12   linux-source-6.12 built with tests/config/debug-6.12.config
#
# usage: kernels.sh ensure [NAME...]   fetch/build what is missing
#        kernels.sh env NAME           print KDIR/BZIMAGE/MODROOT/KVER lines
#        kernels.sh srctree            print the unpacked linux-source-6.12
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LMNIC_CACHE:-/var/cache/lmnic}
kcache=$cache/kernels
mkdir -p "$kcache"
ALL=(stock-6.1 stock-6.12 debug-6.12)

log() { echo "kernels: $*" >&2; }

newest() { # newest package name matching a regex among apt's candidates
	apt-cache search --names-only "$1" | cut -d' ' -f1 | sort -V | tail -n1
}

# Resolve the package set of a stock kernel from the local apt lists.
stock_pkgs() {
	local img hdr
	case $1 in
	stock-6.1)
		img=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-6\.1\.[^ ]*-amd64\)$/\1/p' | head -n1)
		;;
	stock-6.12)
		img=$(newest '^linux-image-6\.12\.[0-9]+\+deb12-amd64$')
		;;
	esac
	[ -n "$img" ] || { log "no image package for $1"; exit 1; }
	hdr=${img/linux-image/linux-headers}
	echo "$img-unsigned" "$hdr"
	apt-cache depends "$hdr" | sed -n 's/.*Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p'
}

pkg_versions() {
	local p
	for p in "$@"; do
		echo "$p=$(apt-cache policy "$p" | sed -n 's/.*Candidate: //p')"
	done
}

stock_dir() {
	local key
	key=$(pkg_versions $(stock_pkgs "$1") | sha256sum | cut -c1-12)
	echo "$kcache/$1-$key"
}

ensure_stock() {
	local dir tmp p
	dir=$(stock_dir "$1")
	[ -f "$dir/.done" ] && return 0
	log "unpacking $1 into $dir"
	tmp=$(mktemp -d "$kcache/.tmp.XXXXXX")
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root $(stock_pkgs "$1") >/dev/null)
	mkdir -p "$tmp/root"
	for p in "$tmp"/*.deb; do
		dpkg -x "$p" "$tmp/root"
	done
	rm -f "$tmp"/*.deb
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rmdir "$tmp"
	# The headers' Makefile includes its -common twin by absolute path.
	sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
		"$dir"/usr/src/linux-headers-*-amd64/Makefile
	# A .deb ships no modules.dep: depmod makes it at install time.
	depmod -b "$dir" "$(basename "$(ls -d "$dir"/lib/modules/*)")"
	touch "$dir/.done"
}

src_dir() {
	local v
	v=$(apt-cache policy linux-source-6.12 | sed -n 's/.*Candidate: //p')
	echo "$kcache/linux-source-6.12-$v"
}

ensure_src() {
	local dir tmp
	dir=$(src_dir)
	[ -f "$dir/.done" ] && return 0
	log "unpacking linux-source-6.12 into $dir"
	tmp=$(mktemp -d "$kcache/.tmp.XXXXXX")
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root linux-source-6.12 >/dev/null &&
		dpkg -x linux-source-6.12_*.deb pkg &&
		tar -xaf pkg/usr/src/linux-source-6.12.tar.* )
	rm -rf "$dir"
	mv "$tmp/linux-source-6.12" "$dir"
	rm -rf "$tmp"
	touch "$dir/.done"
}

debug_dir() {
	local key
	key=$( (basename "$(src_dir)"; cat "$top/tests/config/debug-6.12.config") |
		sha256sum | cut -c1-12)
	echo "$kcache/debug-6.12-$key"
}

ensure_debug() {
	local dir src
	dir=$(debug_dir)
	[ -f "$dir/.done" ] && return 0
	ensure_src
	src=$(src_dir)
	log "building debug-6.12 in $dir (takes several minutes)"
	rm -rf "$dir"
	mkdir -p "$dir"
	make -s -C "$src" O="$dir" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" \
		"$top/tests/config/debug-6.12.config" >/dev/null
	make -s -C "$src" O="$dir" olddefconfig >/dev/null
	check_config "$dir/.config"
	make -s -C "$src" O="$dir" -j"$(nproc)" bzImage modules >"$dir/build.log" 2>&1 ||
		{ tail -n 30 "$dir/build.log" >&2; exit 1; }
	touch "$dir/.done"
}

# Every option the fragment asks for must survive olddefconfig.
check_config() {
	local bad=0 line
	while read -r line; do
		case $line in
		CONFIG_*=*) grep -qx "$line" "$1" || { log "config lost: $line"; bad=1; } ;;
		esac
	done < "$top/tests/config/debug-6.12.config"
	[ $bad = 0 ] || exit 1
}

env_of() {
	local dir kver
	case $1 in
	stock-*) dir=$(stock_dir "$1") ;;
	debug-6.12) dir=$(debug_dir) ;;
	*) log "unknown kernel $1"; exit 1 ;;
	esac
	[ -f "$dir/.done" ] || { log "$1 is not ready: run make kernels"; exit 1; }
	case $1 in
	stock-*)
		dir=$(stock_dir "$1")
		kver=$(basename "$(ls -d "$dir"/lib/modules/*)")
		echo "KVER=$kver"
		echo "KDIR=$(ls -d "$dir"/usr/src/linux-headers-*-amd64)"
		echo "BZIMAGE=$dir/boot/vmlinuz-$kver"
		echo "MODROOT=$dir"
		;;
	debug-6.12)
		dir=$(debug_dir)
		echo "KVER=$(cat "$dir/include/config/kernel.release")"
		echo "KDIR=$dir"
		echo "BZIMAGE=$dir/arch/x86/boot/bzImage"
		echo "MODROOT="
		;;
	*) log "unknown kernel $1"; exit 1 ;;
	esac
}

cmd=${1:-ensure}
shift || true
case $cmd in
ensure)
	# One builder at a time per cache: a second waits for the first.
	exec 9>"$cache/.kernels.lock"
	flock 9
	[ $# -gt 0 ] || set -- "${ALL[@]}"
	for k in "$@"; do
		case $k in
		stock-*) ensure_stock "$k" ;;
		debug-6.12) ensure_debug ;;
		*) log "unknown kernel $k"; exit 1 ;;
		esac
	done
	;;
env) env_of "$1" ;;
srctree) ensure_src; src_dir ;;
list) echo "${ALL[@]}" ;;
*) log "usage: $0 ensure|env|srctree|list"; exit 2 ;;
esac
