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
# make sanitize: every program and unit test built with AddressSanitizer
# and UndefinedBehaviorSanitizer in a copy of the tree (SANITIZE_DIR),
# never in this one, so that a make here, or a test run of this tree,
# is never disturbed; then the unit tests and the integration files
# named (SANITIZE_TESTS, or the arguments) run against that build.
# The copy is refreshed by file (tar keeps the times): a second run
# rebuilds what changed only.
#
# The sanitizer build (make sanitize, regress/sanitize.sh) is a copy of
# the tree's sources (git ls-files: tracked and new files, no build
# output) in SANITIZE_DIR (/tmp/popd-sanitize), refreshed file by file so
# that a second run rebuilds what changed, and built there with SANITIZE
# (Makefile) set to -fsanitize=address,undefined -fno-sanitize-recover=all
# (SANITIZE_FLAGS); this tree's objects are never touched, so make and
# test runs here go on meanwhile.  It then runs the unit tests, sbtest
# and SANITIZE_TESTS (test_session.py test_stls.py test_keypop.py
# test_transaction.py test_users.py; about 5 minutes with the build on
# 2 cores) with run.py from the copy.  A report ends the process
# (abort_on_error, halt_on_error): a daemon's lands in its log and the
# test that met it fails.  What differs from an installed build:
#   - each confined child's seccomp allow-list also allows sigaltstack(2),
#     which ASan's runtime calls at exit, and readlink(2), with which a
#     report names the program (common/sandbox.c sc_sanitizer, compiled
#     only under __SANITIZE_ADDRESS__); nothing else is relaxed, Landlock
#     is the same, and sbtest checks every rule as usual;
#   - the options below are compiled in (compat/compat.c
#     __asan_default_options, __ubsan_default_options): the parent starts
#     its children with an environment of its own;
#   - compat_memtrim() purges ASan's quarantine and free pages
#     (__sanitizer_purge_allocator) where it would call malloc_trim(3),
#     so that the tests of memory given back hold;
#   - LeakSanitizer is off (detect_leaks=0): it stops the world with
#     ptrace(2), which the parent's deny-list kills and no confined child
#     may call;
#   - symbolize=0: the symbolizer is a program the confined processes may
#     not run; a report's frames are addresses (addr2line -e PROGRAM, or
#     run a unit test again with ASAN_OPTIONS=symbolize=1);
#   - allocator_may_return_null=1: a refused allocation returns NULL as
#     libc's does, so the paths that handle it are the ones tested.
# ASAN_OPTIONS and UBSAN_OPTIONS from the environment replace these.
# Found by it so far: the listener passed NULL to explicit_bzero when
# STLS discarded an empty buffer (relaybuf_consume; UBSan); test_popcache
# read a UIDL after maildrop_close freed it, and test_msg sent a byte past
# a request's struct (ASan; both fixed in the tests); test_keypop's scan
# of a process's memory read ASan's terabytes of shadow at once (it now
# reads each mapping in pieces and skips the shadow).
#
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${SANITIZE_DIR:-/tmp/popd-sanitize}
flags=${SANITIZE_FLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer}
build_only=0
if [ "${1:-}" = -b ]; then		# build only
	build_only=1
	shift
fi
tests=${*:-${SANITIZE_TESTS:-}}
[ -n "$tests" ] || tests="test_session.py test_stls.py test_keypop.py \
test_transaction.py test_users.py"

cd "$top"
# The sources, tracked or new, never a build output (.gitignore).
if ! git ls-files >/dev/null 2>&1; then
	echo "sanitize: $top is no git checkout: cannot tell sources" \
	    "from build outputs" >&2
	exit 1
fi
mkdir -p "$dir"
git ls-files -co --exclude-standard -z | \
    xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh | \
    tar -cf - -T - | tar -xf - -C "$dir"

cd "$dir"
make -s -j2 SANITIZE="$flags" test-programs
[ "$build_only" = 0 ] || exit 0

# Reports go to each process's stderr (the daemon's log in the tests)
# and end the process: a test that meets one fails.  The daemon's
# children get these options from the build (compat.c
# __asan_default_options: the parent gives them an environment of its
# own); the test programs, which may not link compat.c, from here.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:symbolize=0:allocator_may_return_null=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=0}
export ASAN_OPTIONS UBSAN_OPTIONS
python3 regress/run.py -j 2 regress/unit/ regress/sandbox/ $tests
