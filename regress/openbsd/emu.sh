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
# make openbsd-test: the programs built with their OpenBSD branches
# (compat.h POPD_OPENBSD: pledge, unveil, shm_mkstemp, no seals, argv[0])
# over regress/openbsd/emu/emu.c in a copy of the tree (EMU_DIR), never
# this one, then the promise table's unit test and EMU_TESTS (or the
# arguments) run against that build; -b: only the copy and its build.
# The chroot (EMU_CHROOT) has the tmp/ that lmtp's shm_mkstemp needs,
# as the port's has.  openbsd/README: what it emulates, what it cannot.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${EMU_DIR:-/tmp/popd-openbsd-emu}
chroot=${EMU_CHROOT:-/var/popd-emu}
build_only=0
if [ "${1:-}" = -b ]; then		# build only
	build_only=1
	shift
fi
tests=${*:-${EMU_TESTS:-}}
# Of certs and limits, what OpenBSD's runtime changes: files unveiled and
# shm pages made after the sandbox, descriptors at the class's limit,
# per-address counts; not authpop's delays, the same on any system.
[ -n "$tests" ] || tests="test_session.py test_reload.py \
test_certs.py:renewed_in_place,certbot_symlink_swap,\
unsignable_key_keeps_the_old_pair,restarted_listener_serves_the_checked_pair,\
two_pkis_each_followed,garbage_checker_refuses_start,\
fifo_swapped_in_is_never_opened \
test_lmtp.py test_control.py test_tables.py \
test_limits.py:per_address_sessions,forged_addresses_fill_no_quota,\
silent_sessions_count_too,sessions_counted_out_when_authpop_dies,\
connections_refused_before_tls,per_address_handshakes,\
total_handshakes_cut_the_oldest,per_address_logged_in,\
gone_clients_checks_dropped,revocation_on_old_connections,\
failure_state_survives_reload,descriptor_shortage,\
accept_pauses_without_descriptors,more_listeners_when_one_is_full \
test_popctl.py:drain_survives_restart"

cd "$top"
mkdir -p "$dir"
git ls-files -co --exclude-standard -z | \
    xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh | \
    tar -cf - -T - | tar -xf - -C "$dir"

mkdir -p "$chroot/tmp"
chmod 755 "$chroot"
chmod 1777 "$chroot/tmp"

cd "$dir"
emu=regress/openbsd/emu/emu.o
cc -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
    -c regress/openbsd/emu/emu.c -o $emu.new
if ! cmp -s $emu.new $emu; then
	mv $emu.new $emu
	# No program names emu.o as a prerequisite: relink each.
	for m in openbsd/*/Makefile; do
		p=${m#openbsd/}
		p=${p%/Makefile}
		rm -f "${p%%-*}/$p"
	done
fi
cc -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
    -Iregress/openbsd/emu -o regress/openbsd/emu/test_emu \
    regress/openbsd/emu/test_emu.c regress/openbsd/emu/emu.o
make -s -j2 CHROOTDIR="$chroot" SCFILTER= \
    EMU_CFLAGS="-DPOPD_EMU_OPENBSD -include $dir/regress/openbsd/emu/emu.h" \
    EMU_LDFLAGS="$dir/regress/openbsd/emu/emu.o" all regress/mkhash
[ "$build_only" = 0 ] || exit 0
regress/openbsd/emu/test_emu
POPDTEST_CHROOT="$chroot" python3 regress/run.py $tests
