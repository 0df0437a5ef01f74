#!/usr/bin/env bash
# Installs into a staging DESTDIR, builds tests/install/consumer.c with
# `pkg-config --cflags --libs libsched` against that copy, runs it against
# the installed shared library, then uninstalls and checks nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$PWD/build/stage
prefix=/usr/local
rm -rf "$stage"
make --no-print-directory -s install DESTDIR="$stage" PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$stage$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$stage"
flags=$(pkg-config --cflags --libs libsched)
${CC:-cc} -o build/stage/consumer tests/install/consumer.c $flags
if [ "${TRACE:-1}" != 0 ] && [ ! -f "$stage$prefix/lib/libsched-lttng.so" ]; then
	echo "install: the LTTng-UST provider libsched-lttng.so was not installed" >&2
	exit 1
fi
out=$(LD_LIBRARY_PATH="$stage$prefix/lib" build/stage/consumer)
lib=$(LD_LIBRARY_PATH="$stage$prefix/lib" ldd build/stage/consumer | awk '/libsched/ {print $3}')
case "$lib" in
"$stage$prefix/lib/libsched.so.0") ;;
*) echo "install: consumer linked '$lib', not the installed libsched.so.0" >&2; exit 1 ;;
esac
make --no-print-directory -s uninstall DESTDIR="$stage" PREFIX="$prefix" >/dev/null
left=$(find "$stage" -type f -o -type l | grep -v '/consumer$' || true)
if [ -n "$left" ]; then
	echo "install: uninstall left files behind:" >&2
	echo "$left" >&2
	exit 1
fi
echo "  PASS     install + pkg-config consumer + uninstall ($out)"
