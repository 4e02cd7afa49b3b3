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
 * apppass.c -- app passwords: Crockford base32 secrets, read as a person types
 * them (any case, dashes optional, "o" for 0, "i" or "l" for 1).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apppass.h"
#include "log.h"
#include "util.h"

#define HMAC_BLOCK	64
#define TIMEFMT		"%Y-%m-%dT%H:%M:%SZ"

static const char	symbols[] = "0123456789abcdefghjkmnpqrstvwxyz";

static int __attribute__((__format__ (printf, 3, 4)))
refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1, or 0 if pass is no app password's form. */
int
apppass_shaped(const char *pass, char *norm)
{
	size_t		 n = 0;
	const char	*p;
	int		 c;

	for (p = pass; *p != '\0'; p++) {
		c = tolower((unsigned char)*p);
		if (c == '-' || c == ' ')
			continue;
		if (c == 'o')
			c = '0';
		else if (c == 'i' || c == 'l')
			c = '1';
		if (strchr(symbols, c) == NULL || c == '\0' ||
		    n >= APP_SECRETLEN)
			break;
		norm[n++] = c;
	}
	norm[n] = '\0';
	if (*p != '\0' || n != APP_SECRETLEN) {
		explicit_bzero(norm, APP_SECRETLEN + 1);
		return 0;
	}
	return 1;
}

void
apppass_secret(char *norm, char *shown)
{
	size_t	i, j = 0;

	for (i = 0; i < APP_SECRETLEN; i++) {
		norm[i] = symbols[arc4random_uniform(sizeof(symbols) - 1)];
		if (i > 0 && i % 4 == 0)
			shown[j++] = '-';
		shown[j++] = norm[i];
	}
	norm[i] = '\0';
	shown[j] = '\0';
}

/*
 * The same for every hash under one key, app passwords' and routers' tickets'.
 */
void
hmac_pads(const unsigned char *key, size_t len, SHA2_CTX *in, SHA2_CTX *out)
{
	unsigned char	 k[HMAC_BLOCK], pad[HMAC_BLOCK];
	size_t		 i;

	memset(k, 0, sizeof(k));
	if (len > HMAC_BLOCK) {
		SHA256Init(in);
		SHA256Update(in, key, len);
		SHA256Final(k, in);
	} else
		memcpy(k, key, len);
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256Init(in);
	SHA256Update(in, pad, sizeof(pad));
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256Init(out);
	SHA256Update(out, pad, sizeof(pad));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
}

/* The user is hashed in: a record copied to another user is worth nothing. */
void
apppass_mac(const struct appkey *key, const char *user, const char *norm,
    char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	SHA2_CTX		 in, outer;
	unsigned char		 inner[SHA256_DIGEST_LENGTH];
	unsigned char		 mac[SHA256_DIGEST_LENGTH];
	char			*p;
	size_t			 i;

	if (key->padded) {
		in = key->ipad;
		outer = key->opad;
	} else
		hmac_pads(key->k, key->len, &in, &outer);
	SHA256Update(&in, (const unsigned char *)user, strlen(user) + 1);
	SHA256Update(&in, (const unsigned char *)norm, strlen(norm));
	SHA256Final(inner, &in);
	SHA256Update(&outer, inner, sizeof(inner));
	SHA256Final(mac, &outer);
	p = out;
	memcpy(p, APP_HASHPFX, sizeof(APP_HASHPFX) - 1);
	p += sizeof(APP_HASHPFX) - 1;
	for (i = 0; i < sizeof(mac); i++) {
		*p++ = hex[mac[i] >> 4];
		*p++ = hex[mac[i] & 0x0f];
	}
	*p = '\0';
	explicit_bzero(inner, sizeof(inner));
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&outer, sizeof(outer));
}

int
apppass_key(const char *path, struct appkey *key, char *why, size_t len)
{
	const char	*errstr;
	int		 fd, r;

	memset(key, 0, sizeof(*key));
	if ((fd = open_regular(path, &errstr)) == -1)
		return refuse(why, len, "%s", errstr);
	r = apppass_keyfd(fd, key, why, len);
	close(fd);
	return r;
}

int
apppass_keyfd(int fd, struct appkey *key, char *why, size_t len)
{
	ssize_t	n;

	memset(key, 0, sizeof(*key));
	if ((n = key_read(fd, key->k, sizeof(key->k))) == -1)
		(void)snprintf(why, len, "%s", strerror(errno));
	else if (n < APP_KEYMIN || n > APP_KEYMAX)
		(void)snprintf(why, len, "%zd bytes: a key is %d to %d bytes "
		    "(popdpass -A makes one)", n, APP_KEYMIN, APP_KEYMAX);
	else {
		key->len = n;
		hmac_pads(key->k, key->len, &key->ipad, &key->opad);
		key->padded = 1;
		return 0;
	}
	explicit_bzero(key, sizeof(*key));
	return -1;
}

int
apppass_valid_label(const char *s)
{
	size_t	n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= APP_LABELMAX && s[n] == '\0' &&
	    strcmp(s, "main") != 0;
}

const char *
apppass_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, TIMEFMT, &tm) == 0)
		(void)strlcpy(buf, "never", len);
	return buf;
}

static int
parse_from(char *s, struct apprec *r, char *why, size_t len)
{
	const char	*errstr;
	char		*net;

	r->nnets = 0;
	if (strcmp(s, "any") == 0)
		return 0;
	while ((net = strsep(&s, ";")) != NULL) {
		if (r->nnets == APP_MAXNETS)
			return refuse(why, len, "more than %d networks",
			    APP_MAXNETS);
		if (net_parse(net, &r->nets[r->nnets], &errstr) == -1)
			return refuse(why, len, "network \"%s\": %s", net,
			    errstr);
		r->nnets++;
	}
	return 0;
}

int
apppass_parse(const char *text, struct apprec *r, char *why, size_t len)
{
	char	 buf[APP_RECSMAX], *f[6], *p;
	size_t	 n = 0, i;

	memset(r, 0, sizeof(*r));
	if (strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return refuse(why, len, "record too long");
	p = buf;
	while (n < nitems(f)) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		f[n++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	p += strspn(p, " \t");
	if (n == 2 && strcmp(f[0], "main") == 0) {
		if (strcmp(f[1], "barred") != 0)
			return refuse(why, len, "\"main\" is followed by "
			    "\"barred\" or nothing else");
		(void)strlcpy(r->label, "main", sizeof(r->label));
		return 0;
	}
	if (n != 5 || *p != '\0')
		return refuse(why, len, "%s fields, not 5: label hash "
		    "created expires from", n < 5 ? "fewer" : "more");
	if (!apppass_valid_label(f[0]))
		return refuse(why, len, "label \"%.40s\": 1 to %d letters, "
		    "digits, \".\", \"_\" or \"-\", not \"main\"", f[0],
		    APP_LABELMAX);
	(void)strlcpy(r->label, f[0], sizeof(r->label));
	if (strlen(f[1]) != APP_HASHLEN ||
	    strncmp(f[1], APP_HASHPFX, sizeof(APP_HASHPFX) - 1) != 0 ||
	    strspn(f[1] + sizeof(APP_HASHPFX) - 1, "0123456789abcdef") !=
	    2 * APP_MACLEN)
		return refuse(why, len, "app password \"%s\": the hash is "
		    "not %s and %d hex digits", r->label, APP_HASHPFX,
		    2 * APP_MACLEN);
	(void)strlcpy(r->hash, f[1], sizeof(r->hash));
	if (utc_parse(f[2], &r->created) == -1)
		return refuse(why, len, "app password \"%s\": created "
		    "\"%.24s\" is not YYYY-MM-DDTHH:MM:SSZ", r->label, f[2]);
	if (strcmp(f[3], "never") == 0)
		r->expires = 0;
	else if (utc_parse(f[3], &r->expires) == -1)
		return refuse(why, len, "app password \"%s\": expires "
		    "\"%.24s\" is not YYYY-MM-DDTHH:MM:SSZ or never",
		    r->label, f[3]);
	if (parse_from(f[4], r, why, len) == -1) {
		i = strlen(why);
		return refuse(why + i, len - i, " (app password \"%s\")",
		    r->label);
	}
	return 0;
}

/* Two of one label are an error: revoking one would leave the other. */
int
apppass_split(const char *joined, struct apprec *recs, size_t max,
    char *why, size_t len)
{
	char	 buf[APP_RECSMAX], *p, *rec;
	size_t	 n = 0, i;

	if (strlcpy(buf, joined, sizeof(buf)) >= sizeof(buf))
		return refuse(why, len, "records longer than %d bytes",
		    APP_RECSMAX - 1);
	p = buf;
	while ((rec = strsep(&p, ",")) != NULL) {
		rec += strspn(rec, " \t");
		if (*rec == '\0')
			continue;
		if (n == max)
			return refuse(why, len, "more than %zu records", max);
		if (apppass_parse(rec, &recs[n], why, len) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (strcmp(recs[i].label, recs[n].label) == 0)
				return refuse(why, len, "label \"%s\" twice",
				    recs[n].label);
		n++;
	}
	return n;
}

static const char *
nets_str(const struct apprec *r, char *from, size_t len)
{
	char	 net[INET6_ADDRSTRLEN + 5];
	size_t	 i;

	(void)strlcpy(from, r->nnets == 0 ? "any" : "", len);
	for (i = 0; i < r->nnets; i++) {
		if (i > 0)
			(void)strlcat(from, ";", len);
		(void)strlcat(from, net_str(&r->nets[i], net, sizeof(net)),
		    len);
	}
	return from;
}

int
apppass_format(const struct apprec *r, char *buf, size_t len)
{
	char	 c[32], e[32], from[APP_MAXNETS * (INET6_ADDRSTRLEN + 5)];
	int	 n;

	if (strcmp(r->label, "main") == 0)
		n = snprintf(buf, len, "main barred");
	else
		n = snprintf(buf, len, "%s %s %s %s %s", r->label, r->hash,
		    apppass_time(r->created, c, sizeof(c)),
		    apppass_time(r->expires, e, sizeof(e)),
		    nets_str(r, from, sizeof(from)));
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Never its hash; "" for the bar. */
int
apppass_desc(const struct apprec *r, char *buf, size_t len)
{
	char	 c[32], e[32], from[APP_MAXNETS * (INET6_ADDRSTRLEN + 5)];
	int	 n;

	if (strcmp(r->label, "main") == 0)
		n = snprintf(buf, len, "%s", "");
	else
		n = snprintf(buf, len, "created %s expires %s from %s",
		    apppass_time(r->created, c, sizeof(c)),
		    apppass_time(r->expires, e, sizeof(e)),
		    nets_str(r, from, sizeof(from)));
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Every record compared whole, in constant time. */
int
apppass_match(const struct apprec *recs, size_t n, const char *hash)
{
	size_t	i;
	int	found = -1;

	for (i = 0; i < n; i++)
		if (recs[i].hash[0] != '\0' &&
		    timingsafe_bcmp(recs[i].hash, hash, APP_HASHLEN) == 0)
			found = i;
	return found;
}

int
apppass_scan(const char *file, apppass_fn fn, void *arg)
{
	FILE		*fp;
	struct apprec	 r;
	const char	*errstr;
	char		*line = NULL, *user, *rec, *end, why[160];
	size_t		 sz = 0, lineno = 0;
	ssize_t		 len;
	int		 fd, bad = 0;

	if ((fd = open_regular(file, &errstr)) == -1) {
		log_warnx("%s: %s", file, errstr);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("%s", file);
		close(fd);
		return -1;
	}
	while ((len = getline(&line, &sz, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', len) != NULL) {
			log_warnx("%s:%zu: NUL byte", file, lineno);
			bad = 1;
			continue;
		}
		end = line + len;
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		user = line + strspn(line, " \t");
		if (*user == '\0' || *user == '#')
			continue;
		rec = user + strcspn(user, " \t");
		if (*rec != '\0') {
			*rec++ = '\0';
			rec += strspn(rec, " \t");
		}
		if (!valid_username(user)) {
			log_warnx("%s:%zu: invalid user name \"%.64s\"", file,
			    lineno, user);
			bad = 1;
		} else if (strchr(rec, ',') != NULL) {
			log_warnx("%s:%zu: \"%s\": a record has no \",\"",
			    file, lineno, user);
			bad = 1;
		} else if (apppass_parse(rec, &r, why, sizeof(why)) == -1) {
			log_warnx("%s:%zu: \"%s\": %s", file, lineno, user,
			    why);
			bad = 1;
		} else if (fn != NULL && fn(arg, user, rec, lineno) == -1)
			bad = 1;
	}
	if (ferror(fp)) {
		log_warn("%s", file);
		bad = 1;
	}
	free(line);
	fclose(fp);
	return bad ? -1 : 0;
}

struct appline {
	char		*user;
	char		*rec;
	char		 label[APP_LABELMAX + 1];
	size_t		 lineno;
};

struct appscan {
	struct appline	*v;
	size_t		 n, size;
};

static int
appline_add(void *arg, const char *user, const char *rec, size_t lineno)
{
	struct appscan	*a = arg;
	struct appline	*v;
	struct apprec	 r;
	char		 why[160];

	if (a->n == a->size) {
		if ((v = reallocarray(a->v, a->size + 1024,
		    sizeof(*v))) == NULL) {
			log_warn("%s", __func__);
			return -1;
		}
		a->v = v;
		a->size += 1024;
	}
	if ((a->v[a->n].user = strdup(user)) == NULL ||
	    (a->v[a->n].rec = strdup(rec)) == NULL) {
		free(a->v[a->n].user);
		log_warn("%s", __func__);
		return -1;
	}
	(void)apppass_parse(rec, &r, why, sizeof(why));
	(void)strlcpy(a->v[a->n].label, r.label, sizeof(a->v[a->n].label));
	a->v[a->n++].lineno = lineno;
	return 0;
}

static int
appline_cmp(const void *a, const void *b)
{
	const struct appline	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->user, y->user)) != 0)
		return c;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

int
appfile_load(const char *file, struct appfile *af)
{
	struct appscan	 a;
	size_t		 i, j, k, len;
	int		 bad = 0;

	memset(af, 0, sizeof(*af));
	memset(&a, 0, sizeof(a));
	if (apppass_scan(file, appline_add, &a) == -1)
		bad = 1;
	if (a.n > 0)	/* a.v is NULL then, which qsort(3) must not get */
		qsort(a.v, a.n, sizeof(*a.v), appline_cmp);
	if (!bad && a.n > 0 && (af->v = calloc(a.n, sizeof(*af->v))) == NULL) {
		log_warn("%s", __func__);
		bad = 1;
	}
	for (i = 0; i < a.n; i = j) {
		len = 0;
		for (j = i; j < a.n && strcmp(a.v[j].user, a.v[i].user) == 0;
		    j++) {
			len += strlen(a.v[j].rec) + 1;
			for (k = i; k < j; k++)
				if (strcmp(a.v[k].label, a.v[j].label) == 0) {
					log_warnx("%s:%zu: \"%s\": \"%s\" is "
					    "on line %zu already", file,
					    a.v[j].lineno, a.v[j].user,
					    a.v[j].label, a.v[k].lineno);
					bad = 1;
				}
		}
		if (j - i > APP_MAXPERUSER || len >= APP_RECSMAX) {
			log_warnx("%s:%zu: \"%s\": more than %d app passwords "
			    "or %d bytes of them", file, a.v[j - 1].lineno,
			    a.v[i].user, APP_MAXPERUSER, APP_RECSMAX - 1);
			bad = 1;
		}
		if (bad)
			continue;
		if ((af->v[af->n].recs = malloc(len + 1)) == NULL) {
			log_warn("%s", __func__);
			bad = 1;
			continue;
		}
		af->v[af->n].recs[0] = '\0';
		for (k = i; k < j; k++) {
			if (k > i)
				(void)strlcat(af->v[af->n].recs, ",", len + 1);
			(void)strlcat(af->v[af->n].recs, a.v[k].rec, len + 1);
		}
		af->v[af->n].user = a.v[i].user;
		a.v[i].user = NULL;
		af->n++;
	}
	for (i = 0; i < a.n; i++) {
		free(a.v[i].user);
		free(a.v[i].rec);
	}
	free(a.v);
	if (bad) {
		appfile_free(af);
		return -1;
	}
	return 0;
}

void
appfile_free(struct appfile *af)
{
	size_t	i;

	for (i = 0; i < af->n; i++) {
		free(af->v[i].user);
		free(af->v[i].recs);
	}
	free(af->v);
	memset(af, 0, sizeof(*af));
}
