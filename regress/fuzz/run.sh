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
# run.sh -- run libFuzzer targets, each on a scratch copy of its seed
# corpus regress/fuzz/corpus_NAME or corpus_NAME-without-fuzz_ (libFuzzer adds the inputs it finds to
# its first corpus directory: they must not land in the tree).
#
#	sh regress/fuzz/run.sh '-max_total_time=10' regress/fuzz/fuzz_pop3 ...
#
# The first argument holds the libFuzzer flags; crash inputs are written
# to the current directory, as libFuzzer does by default.
set -u

flags=$1
shift
# Targets that make files (fuzz_popcache's maildir) run several times
# faster on tmpfs: the scratch directory is there when there is one,
# and is the targets' TMPDIR.
tmp=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	tmp=/dev/shm
fi
scratch=$(mktemp -d "$tmp/popd-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
TMPDIR=$scratch
export TMPDIR

for f; do
	name=$(basename "$f")
	seeds=$(dirname "$f")/corpus_$name
	# Some seed folders are named without the fuzz_ prefix.
	[ -d "$seeds" ] || seeds=$(dirname "$f")/corpus_${name#fuzz_}
	work=$scratch/$name
	mkdir "$work" || exit 1
	if [ -d "$seeds" ]; then
		cp "$seeds"/* "$work"/ 2>/dev/null
	else
		echo "$name: no seed corpus $seeds" >&2
	fi
	echo "$name: $flags, $(ls "$work" | wc -l) seeds"
	# shellcheck disable=SC2086
	"$f" $flags -print_final_stats=1 "$work" || exit 1
done
