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
 * verify.c -- a password's way for POP3 and auth_http alike: ticket, app
 * password, stored hash, login cache, then host.c's queue and check.c's
 * workers.  verify_end is the one way out before the check; this file never
 * writes to a client.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "proto.h"
#include "pwscheme.h"
#include "stats.h"
#include "table.h"
#include "util.h"
#include "auth.h"

#define LOAD_HALF		60.0	/* seconds: a slowdown forgotten by half */
#define WEAK_DAY		86400.0	/* a weak-hash login: said once a day */
#define WEAK_SLOTS		1024	/* users remembered for that */

static struct table	 authtab;
static double		 fail_floor;	/* no failure reply sooner: seconds */
static double		 slowest;	/* the slowest check at start */
static double		 load, load_at;	/* how much slower checks run now */

static int		 newtab_fd = -1;

/* Weak-hash logins logged; a collision means more lines, never fewer. */
static struct {
	uint64_t	 key;
	double		 at;		/* auth_now(), 0 for none */
}			 weak_said[WEAK_SLOTS];
static uint64_t		 weak_key[2];

/* authtab is authcheck's image, never parsed here. */
void
verify_load(void)
{
	if (auth_set.authsrc == TABSRC_SYSTEM ||
	    auth_set.authsrc == TABSRC_FILE ||
	    auth_set.authsrc == TABSRC_PASSWD) {
		if (table_image_map(POPD_CONF_FD, "authtab", &authtab) == -1)
			exit(1);
		close(POPD_CONF_FD);
	}

	opts_load();
	tables_read();

	logincache_init(auth_set.login_cache, auth_set.limit.login_cache);
	arc4random_buf(weak_key, sizeof(weak_key));
	/* libargon2's threads end with pthread_exit: glibc's libgcc_s. */
	if (pwscheme_init() == -1)
		fatal("a thread before the chroot");
	/* Before the chroot: these read /dev/urandom and /sys. */
	jobs_budget();
	dummy_init(&authtab);
	slowest = slowest_check(&authtab);
	fail_floor = 2 * slowest + 0.05;
	log_debug("failure replies after %.3f s at least", fail_floor);
}

/* Unread until a check needs it: a draining authpop never maps it. */
void
verify_table(struct chan *c, const void *data, int fd)
{
	const struct msg_newtab	*mt = data;

	if (fd == -1)
		fatalx("%s from parent: its descriptor was lost",
		    msg_type_str(MSG_PARENT_TABLE));
	if (mt->kind == 0) {
		apps_image(fd);
		return;
	}
	if (newtab_fd != -1)
		close(newtab_fd);
	newtab_fd = fd;
}

void
verify_key(struct chan *c, const void *data, int fd)
{
	const struct msg_authkey	*mk = data;

	if (fd == -1)
		fatalx("%s from parent: its descriptor was lost",
		    msg_type_str(MSG_PARENT_AUTHKEY));
	if (mk->kind == AUTHKEY_TICKET &&
	    ticket_init(fd, auth_set.ticket_key) == -1)
		exit(1);
	if (mk->kind == AUTHKEY_APPS)
		apps_key(fd);
	close(fd);
}

/* What it cannot read ends authpop: no revoked password is checked. */
void
tables_read(void)
{
	if (newtab_fd != -1) {
		table_image_free(&authtab);
		if (table_image_map(newtab_fd, "authtab", &authtab) == -1)
			fatalx("reload: the new authtab cannot be read");
		log_debug("reload: the new authtab, %zu users", authtab.n);
		close(newtab_fd);
		newtab_fd = -1;
	}
	apps_read();
}

const char *
logname(const char *user)
{
	static char	 buf[POPD_MAXUSER * 4 + 4];
	unsigned char	 c;
	size_t		 i, n = 0;

	/* '"' and '\\' escaped, others as \xNN: fail2ban relies on it. */
	for (i = 0; user[i] != '\0' && i < POPD_MAXUSER; i++) {
		c = user[i];
		if (c == '"' || c == '\\')
			buf[n++] = '\\';
		if (c < 0x20 || c > 0x7e)
			n += snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (user[i] != '\0')
		(void)strlcat(buf, "...", sizeof(buf));
	return buf;
}

void
auth_start(struct session *s, const char *pass, int toolong)
{
	struct job		*j;

	/* A router's ticket (nginx.c): the password was checked there. */
	if (s->ops->pop3 && !toolong && ticket_login(s, pass))
		return;
	tables_read();
	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("%s", __func__);
	j->id = s->id;
	/* crypt(3) takes at most AUTH_MAXPASS: no stored hash can match. */
	if (toolong ||
	    strlcpy(j->pass, pass, sizeof(j->pass)) >= sizeof(j->pass))
		j->toolong = 1;
	j->passmac = passmac(pass);
	(void)strlcpy(j->user, s->user, sizeof(j->user));
	s->job = j;
	/* No such name: the dummy hash.  Else app passwords first (apps.c). */
	if (!valid_username(s->user))
		auth_enqueue(s, NULL);
	else if (auth_set.app_key[0] == '\0')
		auth_main(s);
	else
		apps_begin(s);
}

void
auth_main(struct session *s)
{
	const char	*hash;

	if (auth_set.authsrc == TABSRC_LOOKUP) {
		if (tablepop_ask(s, 0) == -1)
			verify_cred(s, NULL);
		return;
	}
	if ((hash = table_get(&authtab, s->user)) != NULL &&
	    hash[0] == TABLE_NOLOGIN) {
		/* Refused at load (logged there): no check can be made. */
		log_warnx("session %s%llu: %s: login of %s refused: the stored "
		    "password%s%s%s cannot be used (see the load's log line "
		    "for authtab)", SIDP(s->id), s->addr, logname(s->user),
		    hash[1] != '\0' ? " (" : "", hash + 1,
		    hash[1] != '\0' ? ")" : "");
		verify_end(s, V_PERM, "the stored password of this user "
		    "cannot be used");
		return;
	}
	auth_enqueue(s, hash);
}

/* why: V_GOOD's is for the log, the others' are the client's text. */
void
verify_end(struct session *s, int verdict, const char *why)
{
	freezero(s->job, sizeof(*s->job));
	s->job = NULL;
	if (verdict == V_GOOD)
		s->ops->good(s, auth_now(), why);
	else
		s->ops->unchecked(s, verdict == V_PERM, why);
}

/* A missing user gets the dummy hash: reply and timing of a wrong password. */
void
auth_enqueue(struct session *s, const char *hash)
{
	struct job	*j = s->job;

	if (hash != NULL &&
	    strlcpy(j->hash, hash, sizeof(j->hash)) < sizeof(j->hash))
		j->known = 1;
	else
		(void)strlcpy(j->hash, dummy_hash, sizeof(j->hash));
	if (hash != NULL && j->known && !j->toolong &&
	    (j->lcmacked = logincache_mac(s->user, j->pass, j->hash,
	    j->lcmac)) && logincache_hit(s->user, j->lcmac, auth_now())) {
		verify_end(s, V_GOOD, " (login cache)");
		return;
	}
	j->expected = check_expected(j->hash);
	s->state = S_CHECK;
	if (host_enqueue(s) == -1) {
		/* A limit, never a wrong password. */
		log_info("session %s%llu: %s: the check for %s refused: %d "
		    "of its checks wait already", SIDP(s->id), s->addr,
		    logname(s->user), PAIR_WAITING);
		verify_end(s, V_TEMP, "too many logins of this user waiting "
		    "from your address");
		return;
	}
	/* Not here: dispatching may close a session the caller still holds. */
	jobs_kick();
}

/* No answer and a refused kind are never passed off as a wrong password. */
void
verify_cred(struct session *s, const struct msg_cred *mc)
{
	struct pwhash	ph;
	char		why[256];

	lookup_counted(s, mc != NULL ? mc->status : CRED_TEMP);
	/* Weak kinds only with weak-hashes yes; over its ceiling never. */
	if (mc != NULL && mc->status == CRED_FOUND && pwscheme_allowed(mc->hash,
	    auth_set.weak_hashes, NULL, why, sizeof(why)) == -1) {
		log_warnx("table %s: the credentials of \"%s\": %s",
		    auth_set.authtab, logname(s->user), why);
		if (pwscheme_parse(mc->hash, &ph) == 0 &&
		    (ph.flags & PWS_COSTLY))
			STAT_INC(STAT_REFUSED_HASH_COST);
		explicit_bzero(&ph, sizeof(ph));
	} else if (mc != NULL && mc->status == CRED_TEMP) {
		log_warnx("session %s%llu: %s: authtab <%s> could not "
		    "answer for %s", SIDP(s->id), s->addr, auth_set.authtab,
		    logname(s->user));
	} else if (mc != NULL) {
		auth_enqueue(s, mc->status == CRED_FOUND ? mc->hash : NULL);
		return;
	}
	verify_end(s, V_TEMP, "cannot check passwords now");
}

/* At most once a day per user: no line per poll. */
static void
weak_login(struct session *s, const char *kind, double t)
{
	uint64_t	key = siphash(weak_key, s->user, strlen(s->user));
	size_t		i = key % WEAK_SLOTS;

	if (weak_said[i].at > 0 && weak_said[i].key == key &&
	    t - weak_said[i].at < WEAK_DAY)
		return;
	weak_said[i].key = key;
	weak_said[i].at = t;
	log_warnx("session %s%llu: %s logged in with a weak %s hash "
	    "(weak-hashes yes): give the user a new password (popdpass); "
	    "said once a day", SIDP(s->id), logname(s->user), kind);
}

/*
 * Slower checks than at start raise it: no check ends after its reply is due.
 */
static double
failure_floor(double took, double expected, double t)
{
	double	f;

	if (t > load_at)
		load *= LOAD_HALF / (LOAD_HALF + (t - load_at));
	load_at = t;
	/* A cheap check's time is mostly the loop's. */
	if (expected >= slowest / 4 && expected > 0 && took / expected > load)
		load = took / expected;
	f = (load > 1 ? load : 1) * slowest * 1.5 + 0.05;
	return f > fail_floor ? f : fail_floor;
}

/* Timed by neither the hash nor the user's existence, nor before the delay. */
void
auth_result(struct session *s, struct job *j)
{
	char		 addr[PEER_STRLEN];
	double		 t = auth_now(), at, wait, floor, most;

	host_dequeue(s);
	if (j->known && auth_set.authsrc == TABSRC_LOOKUP &&
	    (most = check_learn(j->hash, j->took)) > slowest) {
		slowest = most;
		fail_floor = 2 * slowest + 0.05;
	}
	floor = failure_floor(t - s->started, j->expected, t);
	if (j->ok) {
		if (j->known && j->lcmacked)
			logincache_put(s->user, j->lcmac, t);
		if (j->weak != NULL)
			weak_login(s, j->weak, t);
		s->ops->good(s, t, "");
		return;
	}
	s->state = S_CMD;
	/* RFC 1939: after a failed PASS the client starts over. */
	s->hasuser = 0;
	if (j->err != 0) {
		/* A system error is never passed off as a wrong password. */
		errno = j->err;
		log_warn("session %s%llu: %s: cannot check the password of %s",
		    SIDP(s->id), s->addr, logname(s->user));
		s->ops->unchecked(s, 0, "cannot check passwords now");
		return;
	}
	s->nfail++;
	log_info("session %s%llu: failed login for \"%s\" from %s: %s",
	    SIDP(s->id), logname(s->user), peer_log(&s->peer, addr,
	    sizeof(addr)), j->why[0] != '\0' ? j->why : j->known ?
	    "wrong password" : "unknown user");
	if (s->ops->pop3)
		STAT_INC(STAT_LOGIN_AUTH);
	wait = host_failure(s->host, s->user, j->known, j->passmac, t,
	    s->started);
	explicit_bzero(s->user, sizeof(s->user));
	s->failclose = s->nfail >= auth_set.limit.failures;
	at = s->started + s->ops->fail_at(s, wait, floor);
	if (at <= t) {
		s->ops->failed(s);
		return;
	}
	s->state = S_DELAY;
	timer_in(&s->tmo, at - t);
}

void
lookup_counted(struct session *s, int status)
{
	STAT_INC(status == CRED_FOUND ? STAT_LOOKUP_FOUND :
	    status == CRED_NONE ? STAT_LOOKUP_NONE : STAT_LOOKUP_TEMP);
	stats_lookup_time(auth_now() - s->tabasked);
	session_deadline(s);	/* its own, instead of the lookup's */
}

/* -1 if no tablepop runs; the answer comes to nginx.c. */
int
tablepop_ask(struct session *s, int apps)
{
	struct msg_login	ml;
	double			left;

	s->state = S_LOOKUP;
	s->tabasked = auth_now();
	if (tabcur == -1 || s->tablate) {
		log_warnx("session %s%llu: %s: %s: %s: %s", SIDP(s->id),
		    s->addr, logname(s->user), apps ? "app-passwords" :
		    "authtab", s->tablate ? "tablepop has still to answer "
		    "this session's last question" : "no tablepop runs to ask");
		return -1;
	}
	memset(&ml, 0, sizeof(ml));
	ml.id = s->id;
	(void)strlcpy(ml.user, s->user, sizeof(ml.user));
	s->tabchan = tabcur;
	s->tabapps = apps;
	chan_send(&tabchan[tabcur], apps ? MSG_AUTHPOP_APPS :
	    MSG_AUTHPOP_LOOKUP, -1, &ml, sizeof(ml));
	left = s->deadline - s->tabasked;
	timer_in(&s->tmo, left < auth_set.timeout.lookup + LOOKUP_SLACK ? left :
	    auth_set.timeout.lookup + LOOKUP_SLACK);
	return 0;
}

/* tablepop is stuck; its late answer would pass for another's (verify_late). */
void
verify_unanswered(struct session *s)
{
	log_warnx("session %s%llu: %s: %s: %s: no answer from tablepop "
	    "within %d s", SIDP(s->id), s->addr, logname(s->user),
	    s->tabapps ? "app-passwords" : "authtab",
	    auth_set.timeout.lookup + LOOKUP_SLACK);
	s->tablate = 1;
	if (s->tabapps) {
		s->tabapps = 0;
		verify_apps(s, CRED_TEMP, NULL);
	} else
		verify_cred(s, NULL);
}

/* 1 if it is the one verify_unanswered gave up on, 0 if none of s's. */
int
verify_late(struct session *s, const struct chan *c)
{
	if (!s->tablate || &tabchan[s->tabchan] != c)
		return 0;
	s->tablate = 0;
	return 1;
}

static void
tablepop_lost(struct session *s)
{
	if (s->state != S_LOOKUP) {
		s->tablate = 0;
		return;
	}
	if (s->tabapps) {
		s->tabapps = 0;
		verify_apps(s, CRED_TEMP, NULL);
	} else {
		log_warnx("session %s%llu: %s: table %s: tablepop gone: "
		    "credentials lookup of \"%s\" failed", SIDP(s->id),
		    s->addr, auth_set.authtab, logname(s->user));
		verify_cred(s, NULL);
	}
	session_update(s);
}

static void
tablepop_eof(struct chan *c)
{
	int	i = c == &tabchan[0] ? 0 : 1;

	session_table_lost(i, tablepop_lost);
	if (c->fd != -1)
		chan_close(c);
	c->handlers = NULL;
	if (tabcur == i)
		tabcur = -1;
}

static void
table_cred(struct chan *c, const void *data, int fd)
{
	const struct msg_cred	*mc = data;
	struct session		*s;

	if ((s = session_find(mc->id)) == NULL || s->state != S_LOOKUP ||
	    s->tabapps || &tabchan[s->tabchan] != c) {
		log_debug("session %s%llu: its password hash came %s",
		    SIDP(mc->id), s != NULL && verify_late(s, c) ?
		    "after its bound" : "after the session ended");
		return;
	}
	verify_cred(s, mc);
	session_update(s);
}

/* No tablepop, or a dead one: its questions fail temporarily. */
static const struct msg_handler from_table[] = {
	{ MSG_TABLE_APPS,	apps_table },
	{ MSG_TABLE_CRED,	table_cred },
};

void
table_chan(struct chan *pc, const void *data, int fd)
{
	int	i = tabcur == 0 ? 1 : 0;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (tabchan[i].handlers != NULL)
		tablepop_eof(&tabchan[i]);
	chan_init(&tabchan[i], fd, PROC_AUTHPOP, PROC_TABLE, PH_RUN,
	    from_table, nitems(from_table), tablepop_eof, NULL);
	tabchan[i].bad = tablepop_eof;
	chan_start(&tabchan[i]);
	tabcur = i;
}
