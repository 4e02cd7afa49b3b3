/*
 * ctl.c -- the parent's side of popctl.  The control process sends each
 * request typed (MSG_CONTROL_REQUEST), with the client's socket; the
 * parent reads the peer's credentials from that socket itself, takes
 * the request line from it (the control process only looked at it) and
 * goes on only if that line parses to the request it was sent, closes
 * it, decides whether that uid may do this, and runs the command's
 * handler, which answers through a struct ctlans: text in
 * MSG_PARENT_ANSWER pieces, then ok or an error.  A socket without a
 * line, or a line that says something else, is a forgery: the control
 * process is ended.  What root's socket carries is only what root sent.
 *
 * Who may do what (popctl.8):
 *	uid 0				everything
 *	control group members		show ...
 *	anyone				report mda ... (mda's reports)
 * Every command that is not a show is logged with the uid that asked.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"
#include "control_cmd.h"

/* Answers a control process may have pending; more are refused. */
#define CTL_MAXPENDING	64

struct ctlans {
	TAILQ_ENTRY(ctlans)	 entry;
	struct proc		*p;	/* NULL: the control process died */
	uint64_t		 req;
	uint32_t		 cmd;
	uid_t			 uid;
	size_t			 len;
	char			 text[CTL_CHUNK];
};

static TAILQ_HEAD(, ctlans)	answers = TAILQ_HEAD_INITIALIZER(answers);

static void	ans_send(struct proc *, uint64_t, uint32_t, const char *,
		    size_t);
static int	ctl_access(uid_t, gid_t, uint32_t, char *, size_t);
static const char *ctl_sent(int, const struct msg_ctlreq *);
static void	ctl_log(struct ctlans *, const struct msg_ctlreq *);

/* One piece of an answer; an error's text is one line. */
static void
ans_send(struct proc *p, uint64_t req, uint32_t status, const char *text,
    size_t len)
{
	struct msg_ctlans	m;

	memset(&m, 0, sizeof(m));
	m.req = req;
	m.status = status;
	m.len = len;
	memcpy(m.text, text, len);
	chan_send(&p->chan, MSG_PARENT_ANSWER, -1, &m, sizeof(m));
}

/*
 * May the peer (uid, egid gid) run cmd?  0, or -1 and the refusal,
 * which says who may.
 */
static int
ctl_access(uid_t uid, gid_t gid, uint32_t cmd, char *why, size_t len)
{
	const char	*verb = ctlcmd_verb(cmd);
	const char	*grp = conf->ctlgroup;
	int		 show, member = 0;
	size_t		 i;

	if (uid == 0 || cmd == CTL_MDA_DELIVERED || cmd == CTL_MDA_DEFERRED)
		return 0;
	show = cmd == CTL_SHOW_SESSIONS || cmd == CTL_SHOW_STATS ||
	    cmd == CTL_SHOW_PENALTIES || cmd == CTL_SHOW_METRICS;
	if (grp[0] != '\0') {
		member = gid == conf->ctlgid;
		for (i = 0; !member && i < conf->nctluids; i++)
			member = uid == conf->ctluids[i];
	}
	if (show && member)
		return 0;
	if (grp[0] == '\0')
		(void)snprintf(why, len, "permission denied: uid %u may not "
		    "%s (root may; no control group is configured)",
		    (unsigned)uid, verb);
	else if (show)
		(void)snprintf(why, len, "permission denied: uid %u may not "
		    "%s (root and members of group %s may)", (unsigned)uid,
		    verb, grp);
	else
		(void)snprintf(why, len, "permission denied: uid %u may not "
		    "%s (root may; members of group %s may use show)",
		    (unsigned)uid, verb, grp);
	return -1;
}

/* A request from the control process, with the client's socket. */
void
parent_control_request(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlreq	*m = data;
	struct proc		*p = c->arg;
	struct ctlans		*a;
	const char		*forged;
	char			 why[256];
	uid_t			 uid;
	gid_t			 gid;
	int			 n = 0, type, error;
	socklen_t		 len = sizeof(type);

	if (fd == -1) {
		/* Our own shortage of descriptors (msg.c logged it). */
		(void)snprintf(why, sizeof(why), "popd is short of "
		    "descriptors, try again");
		ans_send(p, m->req, ANS_ERROR, why, strlen(why));
		return;
	}
	/* A connected unix stream socket, whose peer the kernel names. */
	error = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM || compat_peerid(fd, &uid, &gid) == -1;
	if (error) {
		close(fd);
		chan_bad(c, "%s from control: not a client's socket",
		    msg_type_str(MSG_CONTROL_REQUEST));
		return;
	}
	/* The request as its client sent it, once. */
	forged = ctl_sent(fd, m);
	close(fd);
	if (forged != NULL) {
		chan_bad(c, "%s from control: %s", msg_type_str(
		    MSG_CONTROL_REQUEST), forged);
		return;
	}
	if (ctl_access(uid, gid, m->cmd, why, sizeof(why)) == -1) {
		log_info("control: %s refused to uid %u",
		    ctlcmd_verb(m->cmd), (unsigned)uid);
		ans_send(p, m->req, ANS_ERROR, why, strlen(why));
		return;
	}
	TAILQ_FOREACH(a, &answers, entry)
		if (a->p == p)
			n++;
	if (n >= CTL_MAXPENDING || (a = calloc(1, sizeof(*a))) == NULL) {
		(void)snprintf(why, sizeof(why), "busy, try again");
		ans_send(p, m->req, ANS_ERROR, why, strlen(why));
		return;
	}
	a->p = p;
	a->req = m->req;
	a->cmd = m->cmd;
	a->uid = uid;
	TAILQ_INSERT_TAIL(&answers, a, entry);
	ctl_log(a, m);

	switch (m->cmd) {
	case CTL_SHOW_SESSIONS:
		ctl_show_sessions(a, m);
		break;
	case CTL_SHOW_STATS:
		ctl_show_stats(a, m);
		break;
	case CTL_SHOW_PENALTIES:
		ctl_show_penalties(a, m);
		break;
	case CTL_SHOW_METRICS:
		ctl_show_metrics(a, m);
		break;
	case CTL_KICK_USER:
		ctl_kick_user(a, m);
		break;
	case CTL_KICK_ADDRESS:
		ctl_kick_address(a, m);
		break;
	case CTL_UNPENALIZE:
		ctl_unpenalize(a, m);
		break;
	case CTL_RELOAD:
		reload_control(a);
		break;
	case CTL_LOG_VERBOSE:
	case CTL_LOG_BRIEF:
		verbose = m->cmd == CTL_LOG_BRIEF ? 0 : verbose > 0 ? verbose :
		    1;
		log_setverbose(verbose);
		TAILQ_FOREACH(p, &procs, entry) {
			struct msg_verbose	mv;

			if (p->chan.fd == -1)
				continue;
			mv.level = verbose > VERBOSE_MAX ? VERBOSE_MAX :
			    verbose;
			chan_send(&p->chan, MSG_PARENT_VERBOSE, -1, &mv,
			    sizeof(mv));
		}
		ctlans_printf(a, "log %s\n", verbose ? "verbose" : "brief");
		ctlans_end(a, NULL);
		break;
	default:	/* CTL_MDA_*: valid_ctlreq knows no others */
		ctl_mda_report(a, m);
		break;
	}
}

/*
 * Take the client's request line from its socket, which the control
 * process must have left there whole; NULL if it is m, or what is wrong.
 * The line is parsed as the control process parsed it (control_cmd.c, the
 * same pure code), only to compare.
 */
static const char *
ctl_sent(int fd, const struct msg_ctlreq *m)
{
	struct msg_ctlreq	 sent;
	char			 line[CTL_LINEMAX], err[CTL_ERRMAX];
	const char		*lf;
	ssize_t			 n;

	n = recv(fd, line, sizeof(line), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0 || (lf = memchr(line, '\n', n)) == NULL)
		return "no request line on its client's socket";
	n = lf - line + 1;
	if (recv(fd, line, n, MSG_DONTWAIT) != n)
		return "the request line went away";
	if (ctlcmd_parse(line, n - 1, &sent, err, sizeof(err)) == -1 ||
	    sent.cmd != m->cmd || strcmp(sent.user, m->user) != 0 ||
	    memcmp(&sent.net, &m->net, sizeof(sent.net)) != 0)
		return "not the request its client sent";
	return NULL;
}

/* The commands that change something, with who asked. */
static void
ctl_log(struct ctlans *a, const struct msg_ctlreq *m)
{
	if (m->cmd == CTL_RELOAD)
		log_info("control: reload by uid %u", (unsigned)a->uid);
	else if (m->cmd == CTL_LOG_VERBOSE || m->cmd == CTL_LOG_BRIEF)
		log_info("control: log %s by uid %u", m->cmd == CTL_LOG_BRIEF ?
		    "brief" : "verbose", (unsigned)a->uid);
}

/* Append text; full chunks go out as ANS_MORE. */
void
ctlans_printf(struct ctlans *a, const char *fmt, ...)
{
	va_list		 ap;
	char		*s, *t;
	int		 n;
	size_t		 len, k;

	if (a->p == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1) {
		log_warn("%s", __func__);
		return;
	}
	/* The answer is text: a NUL would end it early. */
	len = strlen(s);
	for (t = s; len > 0; t += k, len -= k) {
		if (a->len == sizeof(a->text)) {
			ans_send(a->p, a->req, ANS_MORE, a->text, a->len);
			a->len = 0;
		}
		k = sizeof(a->text) - a->len;
		if (k > len)
			k = len;
		memcpy(a->text + a->len, t, k);
		a->len += k;
	}
	free(s);
}

/* The end: ok (why NULL) or "error: why".  Frees a. */
void
ctlans_end(struct ctlans *a, const char *why)
{
	char	line[256];
	size_t	n;

	if (a->p != NULL && why == NULL)
		ans_send(a->p, a->req, ANS_OK, a->text, a->len);
	else if (a->p != NULL) {
		if (a->len > 0)
			ans_send(a->p, a->req, ANS_MORE, a->text, a->len);
		/* One line, not empty: valid_ctlans checks it. */
		(void)strlcpy(line, why, sizeof(line));
		line[strcspn(line, "\n")] = '\0';
		if ((n = strlen(line)) == 0)
			n = strlcpy(line, "failed", sizeof(line));
		ans_send(a->p, a->req, ANS_ERROR, line, n);
	}
	TAILQ_REMOVE(&answers, a, entry);
	free(a);
}

uid_t
ctlans_uid(const struct ctlans *a)
{
	return a->uid;
}

/* The control process p died: its pending answers go nowhere. */
void
ctl_gone(struct proc *p)
{
	struct ctlans	*a;

	TAILQ_FOREACH(a, &answers, entry)
		if (a->p == p)
			a->p = NULL;
}
