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
 * verify.c -- a password's way through authpop, the same for a POP3
 * client (session.c) and for httppop's auth_http requests (nginx.c,
 * which says the verdict to httppop): the stored
 * hash (authtab, a reload's change, or the parent's database answer),
 * the queue of its address (host.c), the check (check.c), and the time
 * its answer is due.  What the answer looks like is the session kind's
 * (struct session_ops): this file never writes to a client.
 *
 * The stages, in order; each is entered by one function and left by
 * the next one's or by verify_end, the one way out before the check:
 *   ticket        auth_start: a router's ticket (nginx.c) logs in;
 *   app password  apps_begin (apps.c): the user's log in, fail like a
 *                 wrong password, or bar the main password;
 *   hash          auth_main: the stored hash, from authtab or from
 *                 tablepop's answer (verify_cred);
 *   cache         auth_enqueue: the same password against the same
 *                 hash lately (logincache.c) logs in without a check;
 *   check         host.c's queue, check.c's workers, then auth_result.
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

/* A reload's authtab, not read yet (tables_read). */
static int		 newtab_fd = -1;

/*
 * The users whose login with a weak hash was logged, and when: a fixed
 * table of WEAK_SLOTS (16 KiB), a user's place chosen by a keyed hash
 * of its name.  Two users in one place push each other out, and each
 * is then logged at each login: more lines, never fewer.
 */
static struct {
	uint64_t	 key;
	double		 at;		/* auth_now(), 0 for none */
}			 weak_said[WEAK_SLOTS];
static uint64_t		 weak_key[2];

/*
 * Configured: authtab is read, and the checks timed, as root before
 * the prologue; the keys were read as they came (verify_key): authpop
 * opens no file.  The parent has checked authtab against usertab
 * already.  The parent keeps usertab: a user it does not know is
 * refused there.  authtab comes as the image of it that authcheck
 * wrote when it checked it (a file's, or the system's accounts'), on
 * POPD_CONF_FD: mapped and checked (tabimage.c), never parsed here; a
 * database table is asked through the parent for each login
 * (MSG_AUTHPOP_LOOKUP).  A file of app passwords comes as authtab
 * does, as an image, sent before the settings (verify_table).
 */
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

/*
 * MSG_PARENT_TABLE: a reload's image of authtab (kind TABLE_AUTH and
 * its flags) or of the app passwords (kind 0), for this authpop, which
 * the reload did not replace (or the app passwords' with our settings):
 * kept unread until a check needs it (tables_read, verify_load), so
 * that an authpop that drains next and hands every session on
 * (session.c session_handback) never maps it, and one that keeps
 * sessions maps it before their next check.
 */
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

/*
 * MSG_PARENT_AUTHKEY: a key file the settings name (kind AUTHKEY_*),
 * which the parent opened and sent after the settings.
 */
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

/*
 * The reload's tables verify_table kept, read whole before a check
 * (or popctl's question) that follows it: the sessions this authpop
 * still has check against the new passwords, the revoked ones gone.
 * What it cannot read ends it: the sessions it has end with it, and no
 * revoked password is checked.
 */
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

/* A user name as sent by a client, safe for one log line. */
const char *
logname(const char *user)
{
	static char	 buf[POPD_MAXUSER * 4 + 4];
	unsigned char	 c;
	size_t		 i, n = 0;

	/*
	 * Printable, and unambiguous inside the quotes of a log line:
	 * '"' and '\\' escaped, other bytes as \xNN (fail2ban relies on it).
	 */
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

/*
 * A password for s->user: a router's ticket is taken at once; else its
 * check is queued with the user's stored hash, from authtab, or from
 * the database once tablepop has asked it (verify_cred).
 */
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

/*
 * The user's main password: its hash from authtab, or from the
 * database once tablepop has asked it (verify_cred).
 */
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

/*
 * The one way out of the stages before the check (the check's own
 * verdict is auth_result's): the job, with its copy of the password,
 * wiped, then the session kind's answer.  why: V_GOOD's says how, for
 * the log; V_TEMP's and V_PERM's are the client's text.
 */
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

/*
 * Queue a password check against hash behind the others of the same
 * address.  A user missing from either table (hash NULL) is checked
 * against the dummy hash, so that the reply and its timing are those
 * of a wrong password.
 */
void
auth_enqueue(struct session *s, const char *hash)
{
	struct job	*j = s->job;

	if (hash != NULL &&
	    strlcpy(j->hash, hash, sizeof(j->hash)) < sizeof(j->hash))
		j->known = 1;
	else
		(void)strlcpy(j->hash, dummy_hash, sizeof(j->hash));
	/*
	 * The same password against the same stored hash passed lately
	 * (logincache.c): no check.  Only a right password gets here.
	 */
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
	/*
	 * Not here: dispatching may close a session whose client has gone,
	 * and the caller, reading this one, still holds it.
	 */
	jobs_kick();
}

/*
 * authtab's database answered for a session, through tablepop: the
 * user's hash, no such user (the dummy hash: a wrong password to the
 * client), or no answer at all (CRED_TEMP, or mc NULL: the caller
 * logged why), or a hash of a refused kind, which are never passed off
 * as a wrong password.
 */
void
verify_cred(struct session *s, const struct msg_cred *mc)
{
	struct pwhash	ph;
	char		why[256];

	lookup_counted(s, mc != NULL ? mc->status : CRED_TEMP);
	/*
	 * A hash of a kind this authpop may check (a weak one only with
	 * weak-hashes yes, none over its kind's ceiling, which tablepop
	 * lets through for us to count), checked here, where hashes are.
	 */
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

/*
 * s's user logged in with a weak hash of kind (weak-hashes yes): said
 * at most once a day for a user (weak_said), so that the admin learns
 * who still needs a new password without a line per poll.
 */
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
 * How long after its check started a failure is answered: fail_floor,
 * or longer while checks run slower than they did at start (a busy
 * machine), so that no check, of whatever hash, ends after its reply
 * would be due.  load is the most a check of a costly kind (a quarter of
 * the slowest or more) was slowed down lately, forgotten smoothly: by
 * half after LOAD_HALF seconds, so that checks a few seconds apart see
 * about the same floor.
 */
static double
failure_floor(double took, double expected, double t)
{
	double	f;

	if (t > load_at)
		load *= LOAD_HALF / (LOAD_HALF + (t - load_at));
	load_at = t;
	/*
	 * Only checks of the costlier kinds tell the load: a cheap one is
	 * mostly the time the loop took to see it, not the hash's.
	 */
	if (expected >= slowest / 4 && expected > 0 && took / expected > load)
		load = took / expected;
	f = (load > 1 ? load : 1) * slowest * 1.5 + 0.05;
	return f > fail_floor ? f : fail_floor;
}

/*
 * A check is back (session.c's auth_checked).  A good password goes on
 * at once.  A wrong one is answered at a time that does not depend on
 * the stored hash or on whether the user exists (fail_floor, longer
 * than the slowest check in authtab, after the check started) nor
 * sooner than the address's failure delay; meanwhile the session reads
 * nothing.
 */
void
auth_result(struct session *s, struct job *j)
{
	char		 addr[PEER_STRLEN];
	double		 t = auth_now(), at, wait, floor, most;

	/* Its user's next check may skip the queue now (host.c). */
	host_dequeue(s);
	/* A database's hash of a kind not seen before: now it is. */
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

/*
 * A database's answer to tablepop_ask, or none: counted in our page as
 * the parent counts its own lookups (popctl's lookups_*).  s leaves
 * S_LOOKUP next.
 */
void
lookup_counted(struct session *s, int status)
{
	STAT_INC(status == CRED_FOUND ? STAT_LOOKUP_FOUND :
	    status == CRED_NONE ? STAT_LOOKUP_NONE : STAT_LOOKUP_TEMP);
	stats_lookup_time(auth_now() - s->tabasked);
	session_deadline(s);	/* its own, instead of the lookup's */
}

/*
 * Any session's user's app passwords (apps), or its password hash,
 * asked of tablepop, which asks the database: -1 if none runs.  The
 * answer comes to nginx.c, which has tablepop's handlers.
 */
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
	/* A stuck tablepop: verify_unanswered, if the session lasts. */
	left = s->deadline - s->tabasked;
	timer_in(&s->tmo, left < auth_set.timeout.lookup + LOOKUP_SLACK ? left :
	    auth_set.timeout.lookup + LOOKUP_SLACK);
	return 0;
}

/*
 * No answer from tablepop by timeout lookup and a second (its own
 * bound: it is stuck): a temporary failure, as for a database that does
 * not answer.  Its answer may still come, and would be another
 * question's: the session asks nothing more until it came (verify_late)
 * or that tablepop is gone.
 */
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

/*
 * An answer on tablepop's channel c for s, which is not waiting for
 * one: 1 if it is the one verify_unanswered gave up on (the session may
 * ask again), 0 if it is no answer of s's at all.
 */
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
		/* Its late answer will not come: it may ask again. */
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

/* A tablepop gone, or broken: what it was asked is a temporary failure. */
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

/* authtab's database's answer (verify.c's question): the user's hash. */
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

/*
 * tablepop's channel (MSG_PARENT_TABLECHAN): a database's password
 * hashes and app passwords (MSG_AUTHPOP_LOOKUP, _APPS: tablepop_ask,
 * and for popctl's show app-passwords under SID_CTL ids).  While no
 * tablepop runs, and when one dies with our questions, they are
 * temporary failures.  All tablepop may send us:
 */
static const struct msg_handler from_table[] = {
	{ MSG_TABLE_APPS,	apps_table },
	{ MSG_TABLE_CRED,	table_cred },
};

/* MSG_PARENT_TABLECHAN: the current tablepop's, the last one's kept. */
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
	/* Its end, whatever it did: chan_bad closes it, and then this. */
	tabchan[i].bad = tablepop_eof;
	chan_start(&tabchan[i]);
	tabcur = i;
}
