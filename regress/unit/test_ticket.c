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
 * test_ticket -- the tickets a router's authpop makes for a backend's
 * (authpop/loginticket.c): a ticket checks for the user and the backend
 * address it was made for, and yields its nonce and expiry; its MAC is
 * HMAC-SHA256 of "popd2.EXPIRY.NONCE" NUL user NUL server as the file's
 * comment says (recomputed here with libmd's SHA-256, the HMAC itself
 * checked against RFC 4231), so that tickets of any expiry can be made
 * here to test expiry and the clock check; another user, another
 * address (IPv4, IPv6, written another way, IPv4-mapped) or another key
 * fails; every single byte changed, every truncation, extra bytes,
 * another prefix fail, with the reasons ticket_check gives; ticket_like
 * tells a ticket's shape only with a key; ticket_init takes keys of 32
 * to 4,096 bytes of any content and nothing else; ticket_check alone,
 * without a key, takes nothing.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "../../authpop/auth.h"
#include "unit.h"

#define TAG		"popd2."
#define LIFE		60	/* loginticket.c's TICKET_LIFE */
#define R_MALFORMED	"malformed"
#define R_MAC		"not made for this user at this address with our key"
#define R_EXPIRED	"expired"
#define R_FUTURE	"from the future: are the clocks apart?"
#define R_NOADDR	"no address of ours to check it against"

static char		 dir[] = "/tmp/test_ticket.XXXXXX";
static char		 logged[512];

/* The key loginticket.c was last given, for the HMAC recomputed here. */
static unsigned char	 curkey[5000];
static size_t		 curkeylen;

/* ---- HMAC-SHA256 (RFC 2104) of our own, with libmd's SHA-256 ---- */

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
hmac(const unsigned char *key, size_t keylen, const void *msg, size_t len,
    char out[65])
{
	unsigned char	 k[64], pad[64], d[SHA256_DIGEST_LENGTH];
	SHA2_CTX	 ctx;
	size_t		 i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k)) {
		SHA256Init(&ctx);
		SHA256Update(&ctx, key, keylen);
		SHA256Final(k, &ctx);
	} else
		memcpy(k, key, keylen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	SHA256Init(&ctx);
	SHA256Update(&ctx, pad, sizeof(pad));
	SHA256Update(&ctx, msg, len);
	SHA256Final(d, &ctx);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256Init(&ctx);
	SHA256Update(&ctx, pad, sizeof(pad));
	SHA256Update(&ctx, d, sizeof(d));
	SHA256Final(d, &ctx);
	hex(d, sizeof(d), out);
}

/* "popd2.EXP.NONCE." and its MAC for user at server, as the spec says. */
static void
craft(const char *exp, const char *nonce, const char *user,
    const char *server, char *out, size_t size)
{
	char	msg[512], mac[65];
	int	n, len;

	n = snprintf(out, size, TAG "%s.%s.", exp, nonce);
	len = snprintf(msg, sizeof(msg), "%.*s", n - 1, out);
	memcpy(msg + len + 1, user, strlen(user) + 1);
	len += 1 + strlen(user);
	memcpy(msg + len + 1, server, strlen(server));
	len += 1 + strlen(server);
	hmac(curkey, curkeylen, msg, len, mac);
	(void)snprintf(out + n, size - n, "%s", mac);
}

static void
craft_exp(long long exp, const char *user, const char *server, char *out,
    size_t size)
{
	char	num[32];

	(void)snprintf(num, sizeof(num), "%lld", exp);
	craft(num, "0123456789abcdef", user, server, out, size);
}

/* ---- helpers ---- */

/* A key file of n bytes from buf; its path in path. */
static void
keyfile(const char *name, const unsigned char *buf, size_t n, char *path,
    size_t size)
{
	int	fd;

	(void)snprintf(path, size, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, buf, n) != (ssize_t)n || close(fd) == -1) {
		perror(path);
		exit(2);
	}
}

/*
 * ticket_init on the file opened as the parent opens it (-1 if it
 * cannot be), with its log captured (and kept off stderr).
 */
static int
init_quiet(const char *path)
{
	int	saved, null, fd, r;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	(void)dup2(null, STDERR_FILENO);
	close(null);
	log_capture(logged, sizeof(logged));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	r = ticket_init(fd, path);
	if (fd != -1)
		close(fd);
	log_capture(NULL, 0);
	(void)dup2(saved, STDERR_FILENO);
	close(saved);
	return r;
}

/* A key of n bytes (pattern seed), written and given to ticket_init. */
static int
usekey(const char *name, size_t n, unsigned seed, size_t flip)
{
	unsigned char	buf[5000];
	char		path[256];
	size_t		i;
	int		r;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(seed + i * 7);
	if (flip < n)
		buf[flip] ^= 0x01;
	keyfile(name, buf, n, path, sizeof(path));
	if ((r = init_quiet(path)) == 0) {
		memcpy(curkey, buf, n);
		curkeylen = n;
	}
	return r;
}

static struct peeraddr
peer(const char *ip, unsigned port)
{
	struct peeraddr	p;
	char		buf[64];

	if (strchr(ip, ':') != NULL)
		(void)snprintf(buf, sizeof(buf), "[%s]:%u", ip, port);
	else
		(void)snprintf(buf, sizeof(buf), "%s:%u", ip, port);
	if (peer_parse(buf, &p) == -1) {
		printf("bad address %s in the test\n", ip);
		exit(2);
	}
	return p;
}

static uint64_t		 got_nonce;
static int64_t		 got_expiry;
static const char	*got_why;

/* ticket_check of pass for user at local address ip (port 110). */
static int
check_at(const char *user, const char *pass, const char *ip)
{
	struct peeraddr	l = peer(ip, 110);

	got_nonce = 0xdeadbeef;
	got_expiry = -7;
	got_why = "(unset)";
	return ticket_check(user, pass, &l, &got_nonce, &got_expiry,
	    &got_why);
}

static int
make(const char *user, const char *server, char *buf)
{
	memset(buf, 'Z', TICKET_MAX);
	return ticket_make(user, server, buf, TICKET_MAX);
}

/* The fields of a ticket: EXPIRY, NONCE, MAC (lengths checked). */
static int
fields(const char *t, long long *exp, char nonce[17], char mac[65])
{
	const char	*p, *d1, *d2;

	if (strncmp(t, TAG, strlen(TAG)) != 0)
		return -1;
	p = t + strlen(TAG);
	if ((d1 = strchr(p, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) ==
	    NULL || d2 - d1 != 17 || strlen(d2 + 1) != 64)
		return -1;
	*exp = strtoll(p, NULL, 10);
	memcpy(nonce, d1 + 1, 16);
	nonce[16] = '\0';
	memcpy(mac, d2 + 1, 65);
	return 0;
}

/* ---- the tests ---- */

/* Our HMAC is RFC 4231's, so that it may stand for the spec. */
static void
test_hmac(void)
{
	static const char	 jefe_data[] = "what do ya want for nothing?";
	static const char	 big_data[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	unsigned char		 big[131];
	char			 out[65];

	hmac((const unsigned char *)"Jefe", 4, jefe_data, strlen(jefe_data),
	    out);
	CHECK_STR(out, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	memset(big, 0xaa, sizeof(big));
	hmac(big, sizeof(big), big_data, strlen(big_data), out);
	CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
}

/* No key yet: nothing is made, nothing looks like a ticket. */
static void
test_nokey(void)
{
	char	buf[TICKET_MAX], path[256];

	CHECK_INT(make("alice", "192.0.2.1", buf), -1);
	CHECK_INT(ticket_like(TAG "1.0123456789abcdef."), 0);
	CHECK_INT(ticket_like(TAG), 0);
	/* A key refused leaves us without one. */
	keyfile("short0", (const unsigned char *)"short", 5, path,
	    sizeof(path));
	CHECK_INT(init_quiet(path), -1);
	CHECK_INT(make("alice", "192.0.2.1", buf), -1);
	CHECK_INT(ticket_like(TAG "1.0123456789abcdef."), 0);
	/*
	 * ticket_check itself, without a key, whoever calls it: a ticket
	 * forged with the pads as they would be (all zero) is refused, not
	 * taken.  (Before, only ticket_like, which its caller asked first,
	 * checked for a key.)
	 */
	{
		unsigned char	 zero[64], d[SHA256_DIGEST_LENGTH];
		char		 msg[256], t[TICKET_MAX];
		SHA2_CTX	 ctx;
		int		 n;

		memset(zero, 0, sizeof(zero));
		n = snprintf(t, sizeof(t), TAG "%lld.0123456789abcdef.",
		    (long long)time(NULL) + 30);
		memcpy(msg, t, n - 1);
		memcpy(msg + n, "alice", 6);
		memcpy(msg + n + 6, "192.0.2.1", 9);
		msg[n - 1] = '\0';
		SHA256Init(&ctx);
		SHA256Update(&ctx, zero, sizeof(zero));
		SHA256Update(&ctx, (unsigned char *)msg, n - 1 + 1 + 5 + 1 + 9);
		SHA256Final(d, &ctx);
		SHA256Init(&ctx);
		SHA256Update(&ctx, zero, sizeof(zero));
		SHA256Update(&ctx, d, sizeof(d));
		SHA256Final(d, &ctx);
		hex(d, sizeof(d), t + n);
		CHECK(check_at("alice", t, "192.0.2.1") == 0,
		    "no key, a ticket forged with zero pads taken: %s", t);
	}
}

/* What ticket_init takes: 32 to 4,096 bytes, of anything. */
static void
test_init(void)
{
	unsigned char	 zeros[64];
	char		 path[256], want[512];

	CHECK_INT(usekey("k31", 31, 1, (size_t)-1), -1);
	(void)snprintf(want, sizeof(want), "ticket key %s/k31: must hold "
	    "32 to 4096 bytes", dir);
	CHECK_STR(logged, want);
	CHECK_INT(usekey("k0", 0, 1, (size_t)-1), -1);
	(void)snprintf(want, sizeof(want), "ticket key %s/k0: must hold "
	    "32 to 4096 bytes", dir);
	CHECK_STR(logged, want);
	CHECK_INT(usekey("k4097", 4097, 1, (size_t)-1), -1);
	CHECK(strstr(logged, "must hold 32 to 4096 bytes") != NULL,
	    "4097 bytes: logged \"%s\"", logged);
	CHECK_INT(usekey("k5000", 5000, 1, (size_t)-1), -1);
	CHECK(strstr(logged, "must hold 32 to 4096 bytes") != NULL,
	    "5000 bytes: logged \"%s\"", logged);

	(void)snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(init_quiet(path), -1);
	/* No descriptor: the parent could not open it. */
	(void)snprintf(want, sizeof(want), "ticket key %s/missing: Bad file "
	    "descriptor", dir);
	CHECK_STR(logged, want);
	/* A directory opens but does not read. */
	CHECK_INT(init_quiet(dir), -1);
	(void)snprintf(want, sizeof(want), "ticket key %s: Is a directory",
	    dir);
	CHECK_STR(logged, want);

	CHECK_INT(usekey("k32", 32, 1, (size_t)-1), 0);
	CHECK_STR(logged, "");
	CHECK_INT(usekey("k4096", 4096, 1, (size_t)-1), 0);
	CHECK_STR(logged, "");
	/* Any bytes: all NULs is a key. */
	memset(zeros, 0, sizeof(zeros));
	keyfile("kzero", zeros, 32, path, sizeof(path));
	CHECK_INT(init_quiet(path), 0);
}

/* A ticket as made: its shape, its MAC as the spec says, its check. */
static void
test_good(void)
{
	char		 t[TICKET_MAX], t2[TICKET_MAX], nonce[17], mac[65];
	char		 msg[256], want[65];
	long long	 exp;
	time_t		 before, after;
	size_t		 i;
	int		 len;

	CHECK_INT(usekey("good", 48, 3, (size_t)-1), 0);
	before = time(NULL);
	CHECK_INT(make("alice", "192.0.2.1", t), 0);
	after = time(NULL);
	CHECK(strlen(t) < TICKET_MAX, "ticket of %zu bytes", strlen(t));
	CHECK_INT(fields(t, &exp, nonce, mac), 0);
	CHECK(exp >= before + LIFE && exp <= after + LIFE,
	    "expiry %lld, made between %lld and %lld", exp,
	    (long long)before, (long long)after);
	CHECK_INT(strspn(nonce, "0123456789abcdef"), 16);
	CHECK_INT(strspn(mac, "0123456789abcdef"), 64);
	CHECK_INT(ticket_like(t), 1);

	/* HMAC-SHA256 of "popd2.EXP.NONCE" NUL "alice" NUL "192.0.2.1". */
	len = snprintf(msg, sizeof(msg), TAG "%lld.%s", exp, nonce);
	memcpy(msg + len + 1, "alice", 6);
	memcpy(msg + len + 7, "192.0.2.1", 9);
	hmac(curkey, curkeylen, msg, len + 16, want);
	CHECK_STR(mac, want);

	CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);
	CHECK(got_why == NULL, "why \"%s\" for a good ticket", got_why);
	CHECK(got_nonce == strtoull(nonce, NULL, 16), "nonce %016llx, "
	    "ticket's %s", (unsigned long long)got_nonce, nonce);
	CHECK_INT(got_expiry, exp);
	/* The port we were reached on is not part of it. */
	{
		struct peeraddr	l = peer("192.0.2.1", 995);

		CHECK_INT(ticket_check("alice", t, &l, &got_nonce,
		    &got_expiry, &got_why), 1);
	}

	/* Each ticket its own nonce. */
	CHECK_INT(make("alice", "192.0.2.1", t2), 0);
	CHECK(strcmp(t, t2) != 0, "two tickets alike: %s", t);
	CHECK_INT(check_at("alice", t2, "192.0.2.1"), 1);
	CHECK(got_nonce != strtoull(nonce, NULL, 16), "nonce %s twice",
	    nonce);

	/* Nothing but NUL-terminated: the buffer's rest is not touched. */
	for (i = strlen(t) + 1; i < TICKET_MAX; i++)
		if (t[i] != 'Z')
			break;
	CHECK_INT(i, TICKET_MAX);

	/* Too small a buffer, a server that is not an address. */
	CHECK_INT(ticket_make("alice", "192.0.2.1", t, TICKET_MAX - 1), -1);
	CHECK_INT(make("alice", "backend.example", t), -1);
	CHECK_INT(make("alice", "192.0.2.1:110", t), -1);
	CHECK_INT(make("alice", "[2001:db8::1]", t), -1);
	CHECK_INT(make("alice", "", t), -1);
}

/* Made for one user at one address: nothing to another. */
static void
test_other(void)
{
	char	t[TICKET_MAX], t6[TICKET_MAX], tm[TICKET_MAX];

	CHECK_INT(usekey("other", 40, 5, (size_t)-1), 0);
	CHECK_INT(make("alice", "192.0.2.1", t), 0);

	CHECK_INT(check_at("bob", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("Alice", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice ", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t, "192.0.2.2"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t, "192.0.2.10"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t, "::ffff:192.0.2.2"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t, "2001:db8::1"), 0);
	CHECK_STR(got_why, R_MAC);
	/* The same IPv4 address reached as IPv4-mapped IPv6 is the same. */
	CHECK_INT(check_at("alice", t, "::ffff:192.0.2.1"), 1);
	/* Not the IPv4-compatible or NAT64 forms of it. */
	CHECK_INT(check_at("alice", t, "::192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t, "64:ff9b::192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);

	/* IPv6, made and checked in any spelling of the address. */
	CHECK_INT(make("alice", "2001:DB8:0:0::1", t6), 0);
	CHECK_INT(check_at("alice", t6, "2001:db8::1"), 1);
	CHECK_INT(check_at("alice", t6, "2001:0db8:0000::0001"), 1);
	CHECK_INT(check_at("alice", t6, "2001:db8::2"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t6, "2001:db8:0:1::1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("alice", t6, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
	CHECK_INT(check_at("bob", t6, "2001:db8::1"), 0);
	CHECK_STR(got_why, R_MAC);

	/* Made for an IPv4-mapped address: the IPv4 one. */
	CHECK_INT(make("alice", "::ffff:192.0.2.7", tm), 0);
	CHECK_INT(check_at("alice", tm, "192.0.2.7"), 1);
	CHECK_INT(check_at("alice", tm, "::ffff:192.0.2.7"), 1);
	CHECK_INT(check_at("alice", tm, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);

	/* No address of ours to compare. */
	{
		struct peeraddr	none;

		memset(&none, 0, sizeof(none));
		got_why = "(unset)";
		CHECK_INT(ticket_check("alice", t, &none, &got_nonce,
		    &got_expiry, &got_why), 0);
		CHECK_STR(got_why, R_NOADDR);
	}
}

/* Another key, even one bit apart, takes none of these tickets. */
static void
test_keys(void)
{
	static const struct {
		size_t	 len;
		size_t	 flip;		/* the byte the other key differs in */
	} k[] = {
		{ 32, 0 }, { 32, 31 }, { 64, 63 }, { 65, 64 }, { 131, 130 },
		{ 4096, 0 }, { 4096, 4095 }
	};
	char		t[TICKET_MAX], t2[TICKET_MAX], nonce[17], mac[65];
	char		msg[256], want[65];
	long long	exp;
	size_t		i;
	int		len;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		CHECK_INT(usekey("ka", k[i].len, 9, (size_t)-1), 0);
		CHECK_INT(make("alice", "192.0.2.1", t), 0);
		/* The whole key counts, as HMAC takes it. */
		CHECK_INT(fields(t, &exp, nonce, mac), 0);
		len = snprintf(msg, sizeof(msg), TAG "%lld.%s", exp, nonce);
		memcpy(msg + len + 1, "alice", 6);
		memcpy(msg + len + 7, "192.0.2.1", 9);
		hmac(curkey, curkeylen, msg, len + 16, want);
		CHECK(strcmp(mac, want) == 0, "key of %zu bytes: MAC %s, "
		    "want %s", k[i].len, mac, want);
		CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);

		CHECK_INT(usekey("kb", k[i].len, 9, k[i].flip), 0);
		CHECK_INT(check_at("alice", t, "192.0.2.1"), 0);
		CHECK(got_why != NULL && strcmp(got_why, R_MAC) == 0,
		    "key of %zu bytes, byte %zu flipped: \"%s\"", k[i].len,
		    k[i].flip, got_why ? got_why : "(null)");
		CHECK_INT(make("alice", "192.0.2.1", t2), 0);
		CHECK_INT(check_at("alice", t2, "192.0.2.1"), 1);

		CHECK_INT(usekey("ka", k[i].len, 9, (size_t)-1), 0);
		CHECK_INT(check_at("alice", t2, "192.0.2.1"), 0);
		CHECK_STR(got_why, R_MAC);
		CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);
	}
	/* A key refused keeps the one we had. */
	CHECK_INT(usekey("kbad", 20, 9, (size_t)-1), -1);
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);
	CHECK_INT(ticket_like(t), 1);
	CHECK_INT(make("alice", "192.0.2.1", t2), 0);
	CHECK_INT(check_at("alice", t2, "192.0.2.1"), 1);
}

/* Every single byte changed, every truncation, more bytes: refused. */
static void
test_tamper(void)
{
	static const char hexdig[] = "0123456789abcdef";
	char		 t[TICKET_MAX], bad[TICKET_MAX + 8];
	size_t		 len, i, head, dot1, dot2;
	int		 nmac, nmal;

	CHECK_INT(usekey("tamper", 32, 11, (size_t)-1), 0);
	CHECK_INT(make("alice", "192.0.2.1", t), 0);
	len = strlen(t);
	dot1 = strchr(t + strlen(TAG), '.') - t;
	dot2 = dot1 + 17;
	head = strlen(TAG);

	/*
	 * The same class of byte (a digit, a hex digit) gets through the
	 * form to the MAC, which refuses it; another class, or any change
	 * in the tag, is malformed.
	 */
	nmac = nmal = 0;
	for (i = 0; i < len; i++) {
		memcpy(bad, t, len + 1);
		if (i < head)
			bad[i] = t[i] == 'p' ? 'q' : t[i] == '.' ? ',' :
			    t[i] == '2' ? '3' : 'p';
		else if (i == dot1 || i == dot2)
			bad[i] = '0';
		else
			bad[i] = hexdig[(strchr(hexdig, t[i]) - hexdig + 1) %
			    (i < dot1 ? 10 : 16)];
		CHECK(bad[i] != t[i], "byte %zu unchanged", i);
		if (check_at("alice", bad, "192.0.2.1") != 0) {
			CHECK(0, "byte %zu changed to '%c': taken: %s", i,
			    bad[i], bad);
			continue;
		}
		if (i < head) {
			CHECK(ticket_like(bad) == 0, "tag byte %zu changed: "
			    "looks like a ticket: %s", i, bad);
			CHECK(strcmp(got_why, R_MALFORMED) == 0, "byte %zu: "
			    "\"%s\"", i, got_why);
		} else if (i == dot1 || i == dot2) {
			CHECK(strcmp(got_why, R_MALFORMED) == 0,
			    "dot %zu: \"%s\"", i, got_why);
			nmal++;
		} else {
			CHECK(strcmp(got_why, R_MAC) == 0, "byte %zu changed "
			    "to '%c': \"%s\"", i, bad[i], got_why);
			nmac++;
		}
		CHECK(got_nonce == 0xdeadbeef && got_expiry == -7,
		    "byte %zu: nonce or expiry written on a refusal", i);
	}
	CHECK_INT(nmac, len - head - 2);
	CHECK_INT(nmal, 2);

	/* Bytes that are no digit there: malformed, past the tag. */
	for (i = head; i < len; i++) {
		static const char	repl[] = "XG.-+ A";
		size_t			r;

		for (r = 0; repl[r] != '\0'; r++) {
			memcpy(bad, t, len + 1);
			if (t[i] == repl[r])
				continue;
			bad[i] = repl[r];
			CHECK(check_at("alice", bad, "192.0.2.1") == 0 &&
			    strcmp(got_why, R_MALFORMED) == 0,
			    "byte %zu as '%c': \"%s\"", i, repl[r], got_why);
		}
	}

	/* Upper-case hex is not what ticket_make writes. */
	memcpy(bad, t, len + 1);
	for (i = dot2 + 1; i < len; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			break;
	if (i < len) {
		bad[i] -= 'a' - 'A';
		CHECK_INT(check_at("alice", bad, "192.0.2.1"), 0);
		CHECK_STR(got_why, R_MALFORMED);
	}

	/* Truncated: not a ticket short of its tag, malformed after. */
	for (i = 0; i < len; i++) {
		memcpy(bad, t, i);
		bad[i] = '\0';
		if (i < head) {
			CHECK(ticket_like(bad) == 0, "truncated to %zu: "
			    "looks like a ticket", i);
			continue;
		}
		CHECK(ticket_like(bad) == 1, "truncated to %zu: not like a "
		    "ticket", i);
		CHECK(check_at("alice", bad, "192.0.2.1") == 0 &&
		    strcmp(got_why, R_MALFORMED) == 0,
		    "truncated to %zu: \"%s\"", i, got_why);
	}

	/* More bytes after it. */
	{
		static const char *more[] = { "0", "a", ".", " ", "\r", "\n",
		    "\t", "00", ".0123" };

		for (i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
			(void)snprintf(bad, sizeof(bad), "%s%s", t, more[i]);
			CHECK(check_at("alice", bad, "192.0.2.1") == 0 &&
			    strcmp(got_why, R_MALFORMED) == 0,
			    "with \"%s\" after: \"%s\"", more[i], got_why);
		}
		/* And before it. */
		(void)snprintf(bad, sizeof(bad), " %s", t);
		CHECK_INT(ticket_like(bad), 0);
	}

	/* Empty, other versions and other strings. */
	CHECK_INT(ticket_like(""), 0);
	CHECK_INT(ticket_like("popd2"), 0);
	CHECK_INT(ticket_like("popd1."), 0);
	CHECK_INT(ticket_like("popd3.1.2.3"), 0);
	CHECK_INT(ticket_like("POPD2.1.2.3"), 0);
	CHECK_INT(ticket_like("secret"), 0);
	CHECK_INT(ticket_like("popd2.x"), 1);
	CHECK_INT(ticket_like("popd2."), 1);
	memcpy(bad, t, len + 1);
	bad[4] = '1';
	CHECK_INT(ticket_like(bad), 0);
	CHECK_INT(ticket_like(t), 1);

	/* Checked as made: still good after all that. */
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);
}

/* Malformed forms, whatever their MAC. */
static void
test_forms(void)
{
	static const struct {
		const char	*exp, *nonce;
	} f[] = {
		{ "", "0123456789abcdef" },		/* no expiry */
		{ "12a", "0123456789abcdef" },
		{ "-1", "0123456789abcdef" },
		{ "+1700000000", "0123456789abcdef" },
		{ " 1700000000", "0123456789abcdef" },
		{ "123456789012345678901234", "0123456789abcdef" }, /* 24 */
		{ "1700000000", "0123456789abcde" },	/* 15 hex digits */
		{ "1700000000", "0123456789abcdef0" },	/* 17 */
		{ "1700000000", "0123456789ABCDEF" },
		{ "1700000000", "" },
	};
	char	 t[TICKET_MAX * 2];
	size_t	 i;

	CHECK_INT(usekey("forms", 32, 13, (size_t)-1), 0);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		craft(f[i].exp, f[i].nonce, "alice", "192.0.2.1", t,
		    sizeof(t));
		CHECK(check_at("alice", t, "192.0.2.1") == 0 &&
		    strcmp(got_why, R_MALFORMED) == 0,
		    "\"%s\": \"%s\"", t, got_why);
	}
	/* A short MAC; a MAC of 63 and 65 digits. */
	craft_exp(time(NULL) + 30, "alice", "192.0.2.1", t, sizeof(t));
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);
	t[strlen(t) - 1] = '\0';
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MALFORMED);
	(void)strlcat(t, "00", sizeof(t));
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MALFORMED);
	/* No MAC, no fields. */
	CHECK_INT(check_at("alice", TAG "1700000000.0123456789abcdef.",
	    "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MALFORMED);
	CHECK_INT(check_at("alice", TAG, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MALFORMED);
	CHECK_INT(check_at("alice", TAG "...", "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MALFORMED);
}

/* Tickets made here with the MAC of the spec: expiry and the clocks. */
static void
test_expiry(void)
{
	char		t[TICKET_MAX], nonce[17], mac[65];
	long long	exp, now0, got;
	int		r, tries;

	CHECK_INT(usekey("expiry", 32, 17, (size_t)-1), 0);

	/* A crafted good one: our MAC is the spec's. */
	craft("1", "fedcba9876543210", "alice", "192.0.2.1", t, sizeof(t));
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_EXPIRED);
	craft_exp(time(NULL) + 30, "alice", "192.0.2.1", t, sizeof(t));
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 1);
	CHECK(got_why == NULL, "why \"%s\"", got_why ? got_why : "");
	CHECK_INT(check_at("bob", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);

	/* A ticket of ticket_make's with its expiry moved: the MAC says no. */
	CHECK_INT(make("alice", "192.0.2.1", t), 0);
	CHECK_INT(fields(t, &exp, nonce, mac), 0);
	{
		char	moved[TICKET_MAX];

		(void)snprintf(moved, sizeof(moved), TAG "%lld.%s.%s",
		    exp + 3600, nonce, mac);
		CHECK_INT(check_at("alice", moved, "192.0.2.1"), 0);
		CHECK_STR(got_why, R_MAC);
		(void)snprintf(moved, sizeof(moved), TAG "0%lld.%s.%s", exp,
		    nonce, mac);
		CHECK_INT(check_at("alice", moved, "192.0.2.1"), 0);
		CHECK_STR(got_why, R_MAC);
	}

	/*
	 * The edges: good from now (expiry == now) to 2 * TICKET_LIFE
	 * ahead, retried if the second turns meanwhile.
	 */
#define AT_EDGE(off, want, why_want) do {				\
	for (tries = 0; tries < 5; tries++) {				\
		now0 = time(NULL);					\
		craft_exp(now0 + (off), "alice", "192.0.2.1", t,	\
		    sizeof(t));						\
		r = check_at("alice", t, "192.0.2.1");			\
		got = got_expiry;					\
		if (time(NULL) == now0)					\
			break;						\
	}								\
	CHECK(r == (want), "expiry now%+d: %d, want %d (%s)", (off), r,	\
	    (want), got_why ? got_why : "ok");				\
	CHECK_STR(got_why, (why_want));					\
	if ((want) == 1)						\
		CHECK(got == now0 + (off), "expiry %lld, want %lld",	\
		    got, now0 + (off));					\
} while (0)
	AT_EDGE(-1, 0, R_EXPIRED);
	AT_EDGE(-86400, 0, R_EXPIRED);
	AT_EDGE(0, 1, NULL);
	AT_EDGE(1, 1, NULL);
	AT_EDGE(2 * LIFE, 1, NULL);
	AT_EDGE(2 * LIFE + 1, 0, R_FUTURE);
	AT_EDGE(86400, 0, R_FUTURE);
#undef AT_EDGE
	/* Too many digits for a long long: far in the future. */
	craft("99999999999999999999", "0123456789abcdef", "alice",
	    "192.0.2.1", t, sizeof(t));
	CHECK_INT(check_at("alice", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_FUTURE);
	/* A wrong MAC is told before the time. */
	craft("1", "0123456789abcdef", "alice", "192.0.2.1", t, sizeof(t));
	CHECK_INT(check_at("bob", t, "192.0.2.1"), 0);
	CHECK_STR(got_why, R_MAC);
}

static void
cleanup(void)
{
	static const char	*names[] = { "short0", "k31", "k0", "k4097",
	    "k5000", "k32", "k4096", "kzero", "good", "other", "ka", "kb",
	    "kbad", "tamper", "forms", "expiry" };
	char			 path[256];
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

int
main(void)
{
	log_init(1, LOG_MAIL);
	log_procinit("test_ticket");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_hmac();
	test_nokey();
	test_init();
	test_good();
	test_other();
	test_keys();
	test_tamper();
	test_forms();
	test_expiry();
	cleanup();
	return unit_done();
}
