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
 * authtab and the other file tables read for the parent, which reads no
 * password hash itself and parses no table as root: it opens the file
 * and runs this on it as _pop3auth in the empty chroot, confined.  The
 * modes and the lines each writes for the parent: authcheck(8).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "apppass.h"
#include "log.h"
#include "proc.h"
#include "pwscheme.h"
#include "sandbox.h"
#include "stats.h"
#include "table.h"
#include "version.h"
#include "authcheck.h"

#define AUTHTAB_FD	"/dev/fd/0"
#define OTHER_FD	"/dev/fd/3"
#define IMAGE_FD	3

struct count {
	FILE			*weakfp;	/* kinds: name the weak ones */
	FILE			*namefp;	/* passwords: name who never */
	struct stats_kinds	 all, ok, weak, plain, reset, costly;
	uint64_t		 users, nok, nweak, nnever, unknown;
};

static long long	xuid[3];
static const char	*xname[3];
static long long	ygid[32];
static const char	*ywhat[32];
static int		yuser[32];	/* -z: refuse groups, the user alone */
static int		ny;
static int		xbad;
static struct {
	const char	*mode;
	const char	*group;		/* -g */
	unsigned	 range[2];	/* -r MIN-MAX */
	int		 kind;		/* table.h's kind of authtab */
	int		 weakok;	/* -w */
	int		 other;		/* -t: mode table's kind */
	int		 authkind;	/* -A: authtab's, on fd 3 */
	int		 hashes;	/* -H */
	int		 nx;		/* how many -x */
} opt;

__dead static void
usage(void)
{
	fprintf(stderr, "usage: authcheck -m apps|check|kinds|passwords [-psw] "
	    "< authtab [3<> image]\n"
	    "       authcheck -m table -t kind [-A kind] [-x uid:name ...] "
	    "[-y gid:what ...] [-z gid:what ...] < table [3< authtab]\n"
	    "       authcheck -m system -r min-max [-H] [-g group] "
	    "[-x uid:name ...] [-y gid:what ...] [-z gid:what ...]\n"
	    "                 <> usertab [3<> authtab]\n"
	    "       authcheck -V\n");
	exit(1);
}

static void
parse_range(char *arg)
{
	const char	*errstr;
	char		*dash;

	if ((dash = strchr(arg, '-')) == NULL)
		usage();
	*dash++ = '\0';
	opt.range[0] = strtonum(arg, 1, UINT32_MAX, &errstr);
	if (errstr == NULL)
		opt.range[1] = strtonum(dash, opt.range[0], UINT32_MAX,
		    &errstr);
	if (errstr != NULL)
		usage();
}

static void
parse_id(char *arg, long long *ids, const char **names, int *n, int max)
{
	const char	*errstr;

	if (*n == max || (names[*n] = strchr(arg, ':')) == NULL)
		usage();
	*(char *)names[*n]++ = '\0';
	ids[(*n)++] = strtonum(arg, 0, UINT32_MAX, &errstr);
	if (errstr != NULL)
		usage();
}

static void
parse_args(int argc, char *argv[])
{
	const char	*errstr;
	int		 ch;

	opt.kind = TABLE_AUTH;
	while ((ch = getopt(argc, argv, "A:g:Hm:pr:st:Vwx:y:z:")) != -1) {
		switch (ch) {
		case 'g':
			opt.group = optarg;
			break;
		case 'H':
			opt.hashes = 1;
			break;
		case 'r':
			parse_range(optarg);
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 'p':
			opt.kind |= TABLE_PASSWD;
			break;
		case 's':
			/* The users left out: table_nologin's, no more. */
			opt.kind |= TABLE_SKIP | TABLE_QUIET;
			break;
		case 't':
			opt.other = strtonum(optarg, 1, INT32_MAX, &errstr);
			if (errstr != NULL)
				usage();
			break;
		case 'A':
			opt.authkind = strtonum(optarg, 1, INT32_MAX, &errstr);
			if (errstr != NULL)
				usage();
			break;
		case 'x':
			parse_id(optarg, xuid, xname, &opt.nx, nitems(xuid));
			break;
		case 'y':
			parse_id(optarg, ygid, ywhat, &ny, nitems(ygid));
			break;
		case 'z':
			parse_id(optarg, ygid, ywhat, &ny, nitems(ygid));
			yuser[ny - 1] = 1;
			break;
		case 'V':
			printf("authcheck (popd) %s\n", POPD_VERSION);
			exit(0);
		case 'w':
			opt.weakok = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.mode == NULL)
		usage();
}

static int
missing_line(void *arg, char *name, char *hash, size_t line)
{
	if (table_find(arg, name) == -1)
		printf("=user %zu %s\n", line, name);
	return 0;
}

/* The file is good all the same; LINE 0: a system account's, left out. */
static void
nologin_record(const char *file, size_t line, const char *name,
    const char *why)
{
	printf("=nologin %zu %s %s\n", line, name, why);
}

static int
uid_line(void *arg, char *name, char *info, size_t line)
{
	static int	first;
	unsigned long	uid, gid;
	char		*p, why[128];
	int		i, nx = *(int *)arg;

	/* A line refused at load (table.h): no ids to judge. */
	if (info[0] == TABLE_NOLOGIN)
		return 0;
	/* The first maildir: on a network store, the parent probes it. */
	if (!first && (p = strchr(info, ':')) != NULL &&
	    (p = strchr(p + 1, ':')) != NULL && p[1] == '/') {
		printf("=first %s %s\n", name, p + 1);
		first = 1;
	}
	uid = strtoul(info, &p, 10);
	gid = strtoul(p + 1, NULL, 10);
	for (i = 0; i < nx; i++)
		if ((long long)uid == xuid[i]) {
			log_warnx("%s:%zu: user %s: uid %lu is the uid of %s: "
			    "give mail users uids of their own", AUTHTAB_FD,
			    line, name, uid, xname[i]);
			xbad = 1;
		}
	/* -z's user alone is refused: the parent's login check says so. */
	for (i = 0; i < ny; i++)
		if ((long long)gid == ygid[i] && yuser[i]) {
			(void)snprintf(why, sizeof(why), "gid %lu, %s", gid,
			    ywhat[i]);
			nologin_record(NULL, line, name, why);
			return 0;
		} else if ((long long)gid == ygid[i]) {
			log_warnx("%s:%zu: user %s: gid %lu is %s: give mail "
			    "users groups of their own", AUTHTAB_FD, line,
			    name, gid, ywhat[i]);
			xbad = 1;
			return 0;
		}
	if (gid < FIRST_GID) {
		(void)snprintf(why, sizeof(why), "gid %lu, a system group's "
		    "(below %d)", gid, FIRST_GID);
		nologin_record(NULL, line, name, why);
	}
	return 0;
}

static void
authtab_sandbox(void *arg)
{
	sandbox_authcheck();
}

static void
never(struct count *c, const char *name, const char *hash, size_t line)
{
	char	why[384];

	if (pwscheme_allowed(hash, opt.weakok, NULL, why, sizeof(why)) == 0)
		return;
	fprintf(c->namefp, "passwords: %s (line %zu) cannot log in: %s\n",
	    name, line, why);
}

static int
count_line(void *arg, char *name, char *hash, size_t line)
{
	struct count		*c = arg;
	struct stats_kinds	*to;
	struct pwhash		 ph;
	const char		*kind;
	int			 weak;

	/* A user who cannot log in (table.h): said already, not a kind. */
	if (hash[0] == TABLE_NOLOGIN) {
		if (c->weakfp != NULL)
			fprintf(c->weakfp, "# authtab: %s cannot log in: its "
			    "stored password%s%s%s cannot be used\n", name,
			    hash[1] != '\0' ? " (" : "", hash + 1,
			    hash[1] != '\0' ? ")" : "");
		else
			c->users++;
		return 0;
	}
	if (pwscheme_parse(hash, &ph) == -1) {
		c->users++;
		c->unknown++;
		c->nnever++;
		if (c->namefp != NULL)
			never(c, name, hash, line);
		return 0;
	}
	kind = pwscheme_hname(&ph);
	weak = (ph.flags & PWS_WEAK) != 0;
	explicit_bzero(ph.raw, sizeof(ph.raw));
	if (c->weakfp != NULL) {
		if (weak)
			fprintf(c->weakfp, "# authtab: %s has a weak %s hash\n",
			    name, kind);
		return 0;
	}
	c->users++;
	stats_kind_add(&c->all, kind, weak);
	/* Its one verdict: never read (reset, plain, costly), weak or ok. */
	to = ph.flags & PWS_RESET ? &c->reset : ph.flags & PWS_PLAIN ?
	    &c->plain : ph.flags & PWS_COSTLY ? &c->costly : weak ? &c->weak :
	    &c->ok;
	stats_kind_add(to, kind, to == &c->weak);
	if (to == &c->weak)
		c->nweak++;
	else if (to == &c->ok)
		c->nok++;
	else
		c->nnever++;
	if (c->namefp != NULL && (ph.flags & (PWS_RESET | PWS_PLAIN |
	    PWS_COSTLY) || (weak && !opt.weakok)))
		never(c, name, hash, line);
	else if (c->namefp != NULL && weak)
		fprintf(c->namefp, "passwords: %s (line %zu) logs in with a "
		    "weak %s%s%s hash: give the user a new password "
		    "(popdpass)\n", name, line, hash[0] == '{' ? "{" : "",
		    kind, hash[0] == '{' ? "}" : "");
	return 0;
}

static void
print_kinds(const struct stats_kinds *k, const char *what)
{
	size_t	i;

	for (i = 0; i < k->nkinds; i++) {
		if (what == NULL)
			printf("=kind %llu %d %s\n",
			    (unsigned long long)k->n[i], k->weak[i],
			    k->name[i]);
		else if (strcmp(what, "# authtab: ") == 0)
			printf("# authtab: %llu %s%s\n",
			    (unsigned long long)k->n[i], k->name[i],
			    k->weak[i] ? " (weak)" : "");
		else
			printf("passwords: %llu %s: %s\n",
			    (unsigned long long)k->n[i], k->name[i], what);
	}
}

static void
table_rec(const void *arg, size_t i, const char **name, const char **value)
{
	*name = table_name(arg, i);
	*value = table_value(arg, i);
}

static void
app_rec(const void *arg, size_t i, const char **name, const char **value)
{
	const struct appfile	*af = arg;

	*name = af->v[i].user;
	*value = af->v[i].recs;
}

static void
mode_system(void)
{
	if (opt.range[1] == 0)
		usage();
	system_become(opt.hashes);
	if (system_write(opt.range[0], opt.range[1], opt.group, xuid, opt.nx,
	    ygid, ywhat, ny, opt.hashes) == -1)
		exit(1);
	printf("=ok\n");
}

static void
mode_table(void)
{
	struct table	 t;

	if (table_load(AUTHTAB_FD, opt.other | TABLE_NAMES,
	    (opt.other & 0xf) == TABLE_USERS ? uid_line : NULL, &opt.nx,
	    &t) == -1 || xbad)
		exit(1);
	/* The parent's check of authtab, running meanwhile, logs bad lines. */
	if (opt.authkind != 0 && table_scan(OTHER_FD, opt.authkind |
	    TABLE_ANYHASH | TABLE_QUIET, missing_line, &t) == -1)
		exit(1);
	table_free(&t);
	printf("=ok\n");
}

static void
mode_check(void)
{
	struct count	 c = { 0 };
	struct table	 t;

	if (opt.weakok)
		opt.kind |= TABLE_WEAK;
	table_nologin = nologin_record;
	if (table_load(AUTHTAB_FD, opt.kind, count_line, &c, &t) == -1 ||
	    table_image_write(IMAGE_FD, t.n, table_rec, &t) == -1)
		exit(1);
	table_free(&t);
	print_kinds(&c.all, NULL);
	printf("=ok\n");
}

static void
mode_kinds(void)
{
	struct count	 c = { 0 };

	(void)table_scan(AUTHTAB_FD, opt.kind | TABLE_WEAK | TABLE_QUIET,
	    count_line, &c);
	printf("# authtab: %llu user%s\n", (unsigned long long)c.users,
	    c.users == 1 ? "" : "s");
	print_kinds(&c.all, "# authtab: ");
	c.weakfp = stdout;
	(void)table_scan(AUTHTAB_FD, opt.kind | TABLE_WEAK | TABLE_QUIET,
	    count_line, &c);
}

static void
mode_passwords(void)
{
	struct count	 c = { 0 };
	int		 kind = opt.kind, weakok = opt.weakok, refused;

	if (table_scan(AUTHTAB_FD, kind | TABLE_QUIET | TABLE_ANYHASH,
	    count_line, &c) == -1 && c.users == 0) {
		printf("passwords: authtab not read: see below\n");
		exit(0);
	}
	printf("passwords: %llu user%s: %llu will work%s, %llu %s, "
	    "%llu never\n", (unsigned long long)c.users,
	    c.users == 1 ? "" : "s", (unsigned long long)c.nok,
	    weakok ? " with strong hashes" : "", (unsigned long long)c.nweak,
	    weakok ? "with weak ones (weak-hashes yes is set)" : "only with "
	    "weak-hashes yes (not set)", (unsigned long long)c.nnever);
	print_kinds(&c.ok, "checked");
	print_kinds(&c.weak, weakok ? "weak, checked as weak-hashes "
	    "is yes: give these users new passwords" : "weak, refused "
	    "without weak-hashes yes");
	print_kinds(&c.plain, "in clear, never read: \"popdpass -P\" "
	    "turns them into bcrypt hashes");
	print_kinds(&c.reset, "never read, and no hash can be made "
	    "from it: reset these users' passwords (popdpass)");
	print_kinds(&c.costly, "over popd's ceiling for the kind "
	    "(authtab(5)), never checked: reset these users' "
	    "passwords (popdpass)");
	if (c.unknown > 0)
		printf("passwords: %llu of no kind popd reads: reset "
		    "these users' passwords (popdpass)\n",
		    (unsigned long long)c.unknown);
	if (c.nnever > 0 || c.nweak > 0) {
		refused = c.nnever > 0 || !weakok;
		memset(&c, 0, sizeof(c));
		c.namefp = stdout;
		(void)table_scan(AUTHTAB_FD, kind | TABLE_QUIET |
		    TABLE_ANYHASH, count_line, &c);
		if (refused)
			printf("passwords: popd loads authtab all the "
			    "same: the users named above cannot log "
			    "in (\"[SYS/PERM]\"), the others can\n");
	}
}

/* Split as authpop splits them, so that the parent refuses a bad file. */
static void
mode_apps(void)
{
	struct appfile	 af;
	struct apprec	*v;
	char		 why[160];
	size_t		 i;

	if (appfile_load(AUTHTAB_FD, &af) == -1)
		exit(1);
	if ((v = calloc(APP_MAXPERUSER, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < af.n; i++)
		if (apppass_split(af.v[i].recs, v, APP_MAXPERUSER, why,
		    sizeof(why)) == -1)
			fatalx("the app passwords of %s: %s", af.v[i].user, why);
	freezero(v, APP_MAXPERUSER * sizeof(*v));
	if (table_image_write(IMAGE_FD, af.n, app_rec, &af) == -1)
		exit(1);
	appfile_free(&af);
	printf("=ok\n");
}

static const struct proc_setup	check_setup = {
	.role = "authcheck",
	.title = "authcheck",
	.user = POPD_AUTH_USER,
	.chroot = 1,
	.sandbox = authtab_sandbox,
};

int
main(int argc, char *argv[])
{
	table_hash_allowed = pwscheme_allowed;
	parse_args(argc, argv);
	log_init(1, LOG_MAIL);
	log_procinit("");
	/* But system, which becomes _pop3auth unchrooted (system.c). */
	if (strcmp(opt.mode, "system") != 0)
		proc_prologue(&check_setup);

	if (strcmp(opt.mode, "system") == 0)
		mode_system();
	else if (strcmp(opt.mode, "table") == 0 && opt.other != 0)
		mode_table();
	else if (strcmp(opt.mode, "check") == 0)
		mode_check();
	else if (strcmp(opt.mode, "apps") == 0)
		mode_apps();
	else if (strcmp(opt.mode, "kinds") == 0)
		mode_kinds();
	else if (strcmp(opt.mode, "passwords") == 0)
		mode_passwords();
	else
		usage();
	if (fflush(stdout) == EOF || ferror(stdout))
		exit(1);
	exit(0);
}
