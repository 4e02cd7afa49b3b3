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
# mkimage.sh ROOT SBINDIR LIBEXECDIR: the container's file tree from what
# `make` built (make install DESTDIR=ROOT already done): the libraries the programs link
# (ldd's closure and the loader, resolved here), libgcc_s.so.1, which
# glibc loads at the first pthread_exit and ldd does not list, a minimal
# /etc with popd's users, and /var/run -> /run.  `make image` builds it
# FROM scratch (docker/Dockerfile.scratch); docker/Dockerfile makes the
# same tree in a build stage.  doc/container.md says how it runs.
set -eu
[ $# -eq 3 ] && [ -d "$1$2" ] || {
	echo "usage: mkimage.sh ROOT SBINDIR LIBEXECDIR (make image)" >&2
	exit 1
}
root=$1

copy() {	# a file and, for a symlink, what it points to, at the same path
	[ -e "$root$1" ] && return 0
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}

libs=$(for f in "$root$2"/* "$root$3"/*; do
	ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\// { print $1 }'
done | sort -u)
gcc_s=$(ldconfig -p | awk '/libgcc_s\.so\.1 / { print $NF; exit }')
[ -n "$gcc_s" ] || { echo "mkimage.sh: libgcc_s.so.1 not found" >&2; exit 1; }
for l in $libs $gcc_s; do
	copy "$l"
done

# Symbols and man pages are for the host; the image serves.
strip --strip-unneeded "$root$2"/* "$root$3"/*
rm -rf "$root$(dirname "$2")/man"
mkdir -p "$root/etc/popd" "$root/run" "$root/tmp" "$root/var/mail" \
    "$root/var/empty"
chmod 755 "$root/var/empty"
chmod 1777 "$root/tmp"
ln -sfn ../run "$root/var/run"
# popd's users (popd/mkusers.sh), with fixed ids so that a volume's
# owners mean the same in every image; mail users are usertab's uids
# and need no line here.
cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/nonexistent
_pop3d:x:101:101:popd listener:/var/empty:/nonexistent
_pop3auth:x:102:102:popd authpop:/var/empty:/nonexistent
_pop3table:x:103:103:popd tables:/var/empty:/nonexistent
PW
cat > "$root/etc/group" <<'GR'
root:x:0:
_pop3d:x:101:
_pop3auth:x:102:
_pop3table:x:103:
GR
printf 'passwd: files\ngroup: files\nhosts: files dns\n' \
    > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
