#!/bin/sh
# Copyright (c) 2025-2026 The popd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
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
# The listener's user: common/util.h's POPD_USER, _popd on OpenBSD,
# whose ports' user.list has _pop3d for another server.
LISTENER=_pop3d
[ "$(uname -s)" = OpenBSD ] && LISTENER=_popd
for u in $LISTENER _pop3auth _pop3table; do
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
