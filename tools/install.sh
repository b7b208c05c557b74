#!/bin/sh
# `make install DESTDIR=... PREFIX=...`: copy the programs and man pages,
# without root.  Programs go to $PREFIX/lib/qmail-ng/bin (qmailctl init
# copies them into each instance's bin/ from there); the commands people
# type get symlinks in $PREFIX/bin.  Owners and modes are applied by
# `qmailctl init` when run as root.
set -eu
build=${1:-build}
destdir=${2:-}
prefix=${3:-/usr/local}
top=$(cd "$(dirname "$0")/.." && pwd)
libbin=$destdir$prefix/lib/qmail-ng/bin
bindir=$destdir$prefix/bin
mandir=$destdir$prefix/share/man

mkdir -p "$libbin" "$bindir" "$mandir/man5" "$mandir/man8"
for f in "$build"/bin/*; do
	name=$(basename "$f")
	if [ -L "$f" ]; then
		ln -sf "$(readlink "$f")" "$libbin/$name"
	elif [ -f "$f" ] && [ -x "$f" ]; then
		cp "$f" "$libbin/$name.tmp"
		chmod 0755 "$libbin/$name.tmp"
		mv -f "$libbin/$name.tmp" "$libbin/$name"
	fi
done
for name in qmailctl sendmail mailq newaliases qmail-inject qmail-showctl; do
	[ -e "$libbin/$name" ] && ln -sf "../lib/qmail-ng/bin/$name" "$bindir/$name"
done
for page in "$top"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	sec=${page##*.}
	mkdir -p "$mandir/man$sec"
	cp "$page" "$mandir/man$sec/"
	chmod 0644 "$mandir/man$sec/$(basename "$page")"
done
echo "installed into $destdir$prefix (programs in $prefix/lib/qmail-ng/bin)"
