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
# rebuilds what changed only.  regress/README says what differs.
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
