#!/bin/sh
# Create what popd needs on the system when it is missing: the
# unprivileged users of the listener, of authpop and of the table
# backends (distinct, so that none can signal or trace another) and the
# empty chroot directory.  Run as root by
# `make install` and by the tests.
set -e
CHROOTDIR=${CHROOTDIR:-/var/empty}
NOLOGIN=/usr/sbin/nologin
[ -x "$NOLOGIN" ] || NOLOGIN=/sbin/nologin

if [ ! -d "$CHROOTDIR" ]; then
	mkdir -m 755 "$CHROOTDIR"
fi
for u in _pop3d _pop3auth _pop3table; do
	if ! id "$u" >/dev/null 2>&1; then
		if command -v useradd >/dev/null 2>&1; then
			useradd -r -d "$CHROOTDIR" -s "$NOLOGIN" -U "$u" 2>/dev/null ||
			    useradd -r -d "$CHROOTDIR" -s "$NOLOGIN" "$u"
		else
			# OpenBSD
			useradd -d "$CHROOTDIR" -s "$NOLOGIN" -g =uid "$u"
		fi
		echo "created user $u"
	fi
done
