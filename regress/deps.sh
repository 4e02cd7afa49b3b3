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
# Make sure what the build and the tests need is installed.  On a fresh
# Debian as root, install the missing packages with apt-get; anywhere
# else, say what is missing.
# libclang-rt-dev: libFuzzer, which clang only recommends.
# With "deb" (make deb): debian/control's Build-Depends instead, and
# dpkg-dev, which reads them.
if [ "$1" = deb ]; then
	command -v dpkg-checkbuilddeps >/dev/null 2>&1 &&
	    dpkg-checkbuilddeps >/dev/null 2>&1 && exit 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "deps: installing the build dependencies of debian/control"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq &&
		    apt-get install -y -qq --no-install-recommends dpkg-dev \
		    >/dev/null &&
		    apt-get build-dep -y -qq --no-install-recommends ./ \
		    >/dev/null || exit 1
		dpkg-checkbuilddeps || exit 1
		exit 0
	fi
	echo "deps: missing build dependencies of the package; as root" \
	    "run:" >&2
	echo "    apt-get install dpkg-dev && apt-get build-dep ./" >&2
	dpkg-checkbuilddeps >&2 2>&1
	exit 1
fi

PKGS="libtls-dev libssl-dev libevent-dev libseccomp-dev libbsd-dev libmd-dev
    libcrypt-dev libargon2-dev pkg-config make gcc clang libclang-rt-dev curl openssl mandoc python3
    procps byacc"

missing=
pkg-config --exists libtls libssl libcrypto libevent libseccomp \
    libbsd-overlay libbsd-ctor 2>/dev/null || missing=yes
[ -f /usr/include/crypt.h ] || missing=yes
[ -f /usr/include/argon2.h ] || missing=yes
for p in cc clang curl openssl mandoc python3 ps yacc; do
	command -v $p >/dev/null 2>&1 || missing=yes
done
# The fuzz smoke run links libFuzzer (Debian: libclang-rt-dev).
if [ -z "$missing" ] && [ "$(uname -s)" = Linux ]; then
	t=$(mktemp -d) || exit 1
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
	    { return 0; }' >"$t/f.c"
	clang -fsanitize=fuzzer -o "$t/f" "$t/f.c" >/dev/null 2>&1 ||
	    missing=yes
	rm -rf "$t"
fi
[ -z "$missing" ] && exit 0

if [ "$(uname -s)" != Linux ]; then
	echo "deps: install libevent, LibreSSL's libtls and a yacc" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing $PKGS" | tr -s ' \n' ' '
	echo
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq &&
	    apt-get install -y -qq --no-install-recommends $PKGS >/dev/null ||
	    exit 1
	exit 0
fi
echo "deps: missing build dependencies; as root run:" >&2
echo "    apt-get install $PKGS" | tr -s ' \n' ' ' >&2
echo >&2
exit 1
