#!/usr/bin/env bash
# Installs into a staging DESTDIR, builds tests/install/consumer.c with
# `pkg-config --cflags --libs libsched` against that copy, runs it against
# the installed shared library (and tests/install/glib_consumer.c with
# `pkg-config libsched-glib`, where GLib is), then uninstalls and checks
# nothing is left.
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
# libsched-glib, where GLib is: its own .pc requires libsched's and GLib's.
glib_out=
if pkg-config --exists glib-2.0; then
	if [ ! -f "$stage$prefix/lib/pkgconfig/libsched-glib.pc" ]; then
		echo "install: libsched-glib.pc was not installed (GLib is present)" >&2
		exit 1
	fi
	# The sysroot prefixes GLib's own paths too, which live in the real
	# root: add them unprefixed (the staged libsched ones come first).
	gflags="$(pkg-config --cflags --libs libsched-glib) $(PKG_CONFIG_SYSROOT_DIR= pkg-config --cflags --libs glib-2.0)"
	${CC:-cc} -o build/stage/glib_consumer tests/install/glib_consumer.c $gflags
	glib_out=$(LD_LIBRARY_PATH="$stage$prefix/lib" build/stage/glib_consumer)
	glib_lib=$(LD_LIBRARY_PATH="$stage$prefix/lib" ldd build/stage/glib_consumer | awk '/libsched-glib/ {print $3}')
	if [ "$glib_lib" != "$stage$prefix/lib/libsched-glib.so.0" ]; then
		echo "install: glib_consumer linked '$glib_lib', not the installed libsched-glib.so.0" >&2
		exit 1
	fi
	glib_out="; $glib_out"
fi
make --no-print-directory -s uninstall DESTDIR="$stage" PREFIX="$prefix" >/dev/null
left=$(find "$stage" -type f -o -type l | grep -v -e '/consumer$' -e '/glib_consumer$' || true)
if [ -n "$left" ]; then
	echo "install: uninstall left files behind:" >&2
	echo "$left" >&2
	exit 1
fi
echo "  PASS     install + pkg-config consumer + uninstall ($out$glib_out)"
