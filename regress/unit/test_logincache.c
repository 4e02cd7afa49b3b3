/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * test_logincache -- authpop's login cache (authpop/logincache.c) where
 * the integration test cannot look: what logincache_mac leaves in the
 * memory it ran in.  It sees the user name, the password and the stored
 * hash; with the cache off it must not copy them anywhere, and with it
 * on the copy it hashes must be wiped before it returns.  The stack
 * below this test's frames is zeroed, the function called, and that
 * dead stack then searched for the password and the hash: a copy a
 * function left there is what a later bug (a read of uninitialised
 * memory, a core dump) would show.  And the MAC itself: the same for
 * the same triple, another for another password or hash.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "../../authpop/auth.h"
#include "unit.h"

/* How far below the caller's frame a callee's copies are looked for. */
#define STACK_SCAN	16384

/* Static, never on the stack: only a copy can be found there. */
static const char	user[] = "stackscan-user";
static const char	pass[] = "Zq9-needle-of-a-password-7f3a9c1e";
static const char	hash[] =
    "$2b$10$needleneedleneedleneedOHnEk1UP5lVYwpYxKv3lqSb6sAeFmtq";

/* Zero the stack below the caller's frame. */
static void __attribute__((noinline))
clear_stack(void)
{
	unsigned char	buf[STACK_SCAN + 1024];

	explicit_bzero(buf, sizeof(buf));
}

/*
 * Whether needle is in the dead stack below this function's frame,
 * where the function the caller called last had its own.  Read byte by
 * byte, with no call: a call's frame would write over what is read.
 */
static int __attribute__((noinline))
on_stack(const char *needle, size_t n)
{
	const volatile unsigned char	*hi, *lo, *p;
	size_t				 i;

	hi = (const volatile unsigned char *)__builtin_frame_address(0);
	lo = hi - STACK_SCAN;
	for (p = lo; p + n <= hi; p++) {
		for (i = 0; i < n && p[i] == (unsigned char)needle[i]; i++)
			continue;
		if (i == n)
			return 1;
	}
	return 0;
}

/*
 * A copy left on purpose, in a frame as deep as logincache_mac's, as it
 * would make one: whole, for a function to read (the empty asm, which
 * the compiler cannot see into).
 */
static void __attribute__((noinline))
leave_copy(const char *p)
{
	char	buf[POPD_MAXUSER + AUTH_MAXPASS + 3];

	(void)strlcpy(buf, p, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

/* logincache_mac on a zeroed stack: what it returned, what it left. */
static int
mac_and_scan(const char *p, uint64_t mac[2], int *leftpass, int *lefthash)
{
	int	r;

	clear_stack();
	r = logincache_mac(user, p, hash, mac);
	*leftpass = on_stack(p, strlen(p));
	/* The first scan's frame is where the second's is: nothing lost. */
	*lefthash = on_stack(hash, sizeof(hash) - 1);
	return r;
}

int
main(void)
{
	uint64_t	mac[2], again[2], other[2];
	int		leftpass, lefthash;

	log_init(1, LOG_MAIL);
	log_procinit("test_logincache");

	/* The probe sees a copy where there is one, and only there. */
	clear_stack();
	CHECK(!on_stack(pass, sizeof(pass) - 1), "the password on a zeroed "
	    "stack: the scan sees what is not there");
	clear_stack();
	leave_copy(pass);
	CHECK(on_stack(pass, sizeof(pass) - 1), "a copy left on the stack "
	    "not found: the scan cannot fail");

	/* Off: no MAC, nothing copied. */
	logincache_init(0, 0);
	mac[0] = mac[1] = 42;
	CHECK_INT(mac_and_scan(pass, mac, &leftpass, &lefthash), 0);
	CHECK(mac[0] == 42 && mac[1] == 42, "cache off: a MAC was made");
	CHECK(!leftpass, "cache off: the password copied to the stack and "
	    "left there");
	CHECK(!lefthash, "cache off: the hash copied to the stack and left "
	    "there");

	/* On: a MAC, its copy wiped. */
	logincache_init(60, 16);
	CHECK_INT(mac_and_scan(pass, mac, &leftpass, &lefthash), 1);
	CHECK(!leftpass, "cache on: the password left on the stack");
	CHECK(!lefthash, "cache on: the hash left on the stack");
	CHECK_INT(logincache_mac(user, pass, hash, again), 1);
	CHECK(mac[0] == again[0] && mac[1] == again[1],
	    "the same triple, another MAC");
	CHECK_INT(logincache_mac(user, "another password", hash, other), 1);
	CHECK(mac[0] != other[0] || mac[1] != other[1],
	    "another password, the same MAC");
	CHECK_INT(logincache_mac(user, pass, hash + 1, other), 1);
	CHECK(mac[0] != other[0] || mac[1] != other[1],
	    "another hash, the same MAC");
	/* The parts are kept apart: "ab"+"c" is not "a"+"bc". */
	CHECK_INT(logincache_mac("ab", "c", hash, mac), 1);
	CHECK_INT(logincache_mac("a", "bc", hash, other), 1);
	CHECK(mac[0] != other[0] || mac[1] != other[1],
	    "user \"ab\" pass \"c\" has the MAC of \"a\" \"bc\"");
	return unit_done();
}
