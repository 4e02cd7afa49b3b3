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
 * requests.c -- the parent's side of popctl.  The parent reads the peer's
 * credentials and the request line from the client's socket itself, and goes
 * on only if the line is the request control sent, in canonical words: a
 * socket without it is a forgery, and control is ended.  What root's socket
 * carries is only what root sent.
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

static void	(*reload_hook)(struct ctlans *);

void
ctl_init(void (*reload)(struct ctlans *))
{
	reload_hook = reload;
}

static int
ctl_access(struct proc *p, const struct msg_ctlreq *r, uid_t uid, gid_t gid)
{
	struct msg_ctldenied	 m;
	const char		*verb = ctlcmd_verb(r->cmd);
	int			 member = 0;
	size_t			 i;

	/* popctl.8: "report ..." is anyone's, "show ..." the group's. */
	if (uid == 0 || strcmp(verb, "report") == 0)
		return 0;
	if (conf->ctlgroup[0] != '\0') {
		member = gid == conf->ctlgid;
		for (i = 0; !member && i < conf->nctluids; i++)
			member = uid == conf->ctluids[i];
	}
	if (member && strcmp(verb, "show") == 0)
		return 0;
	log_info("control: %s refused to uid %u", verb, (unsigned)uid);
	memset(&m, 0, sizeof(m));
	m.req = r->req;
	m.uid = uid;
	m.cmd = r->cmd;
	(void)strlcpy(m.group, conf->ctlgroup, sizeof(m.group));
	chan_send(&p->chan, MSG_PARENT_CTLDENIED, -1, &m, sizeof(m));
	return -1;
}

/*
 * The parent parses no line: it writes m in its canonical words and compares.
 */
static const char *
ctl_sent(int fd, const struct msg_ctlreq *m)
{
	char		 line[CTL_LINEMAX], canon[CTL_LINEMAX];
	const char	*lf;
	ssize_t		 n;

	n = recv(fd, line, sizeof(line), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0 || (lf = memchr(line, '\n', n)) == NULL)
		return "no request line on its client's socket";
	n = lf - line + 1;
	if (recv(fd, line, n, MSG_DONTWAIT) != n)
		return "the request line went away";
	if (ctlcmd_line(m, canon, sizeof(canon)) == -1 ||
	    strlen(canon) != (size_t)n - 1 || memcmp(canon, line, n - 1) != 0)
		return "not the request its client sent";
	return NULL;
}

static void
ctl_log(const struct msg_ctlreq *m, uid_t uid)
{
	if (m->cmd == CTL_RELOAD)
		log_info("control: reload by uid %u", (unsigned)uid);
	else if (m->cmd == CTL_LOG_VERBOSE || m->cmd == CTL_LOG_BRIEF)
		log_info("control: log %s by uid %u", m->cmd == CTL_LOG_BRIEF ?
		    "brief" : "verbose", (unsigned)uid);
	else if (m->cmd == CTL_UNDELETE)
		log_info("control: undelete %s %s%s by uid %u", m->user,
		    m->since != 0 ? "since a time" : m->find[0] != '\0' ?
		    "message " : "all", m->find, (unsigned)uid);
}

void
parent_control_request(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlreq	*m = data;
	struct proc		*p = c->arg;
	struct msg_verbose	 mv;
	struct ctlans		*a;
	const char		*forged;
	uid_t			 uid;
	gid_t			 gid;
	int			 type;
	socklen_t		 len = sizeof(type);

	if (fd == -1) {
		ctlans_error(p, m->req, "popd is short of descriptors, "
		    "try again");
		return;
	}
	/* A connected unix stream socket, whose peer the kernel names. */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM || compat_peerid(fd, &uid, &gid) == -1) {
		close(fd);
		chan_bad(c, "%s from control: not a client's socket",
		    msg_type_str(MSG_CONTROL_REQUEST));
		return;
	}
	forged = ctl_sent(fd, m);
	close(fd);
	if (forged != NULL) {
		chan_bad(c, "%s from control: %s", msg_type_str(
		    MSG_CONTROL_REQUEST), forged);
		return;
	}
	if (ctl_access(p, m, uid, gid) == -1)
		return;
	if ((a = ctlans_new(p, m->req, uid)) == NULL) {
		ctlans_error(p, m->req, "busy, try again");
		return;
	}
	ctl_log(m, uid);

	switch (m->cmd) {
	case CTL_SHOW_SESSIONS:
		ctl_show_sessions(a, m);
		break;
	case CTL_SHOW_STATS:
	case CTL_SHOW_METRICS:
		ctl_show_stats(a, m);
		break;
	case CTL_SHOW_PENALTIES:
	case CTL_KICK_ADDRESS:
	case CTL_UNPENALIZE:
	case CTL_SHOW_BACKENDS:
		/* Allowed: control asks authpop, the listeners or tablepop. */
		ctlans_end(a, NULL);
		break;
	case CTL_KICK_USER:
		ctl_kick_user(a, m);
		break;
	case CTL_SHOW_QUOTA:
	case CTL_SHOW_USER:
	case CTL_UNDELETE:
		ctl_mdjob(a, m);
		break;
	case CTL_SHOW_APPS:
		ctl_show_apps(a, m);
		break;
	case CTL_SHOW_CERTS:
		ctl_show_certificates(a, m);
		break;
	case CTL_DRAIN:
	case CTL_UNDRAIN:
		ctl_drain(a, m);
		break;
	case CTL_RELOAD:
		reload_hook(a);
		break;
	case CTL_LOG_VERBOSE:
	case CTL_LOG_BRIEF:
		verbose = m->cmd == CTL_LOG_BRIEF ? 0 : verbose > 0 ? verbose :
		    1;
		log_setverbose(verbose);
		mv.level = verbose > VERBOSE_MAX ? VERBOSE_MAX : verbose;
		TAILQ_FOREACH(p, &procs, entry)
			if (p->chan.fd != -1)
				chan_send(&p->chan, MSG_PARENT_VERBOSE, -1,
				    &mv, sizeof(mv));
		ctlans_end(a, NULL);	/* control prints "log ..." */
		break;
	default:	/* CTL_MDA_*: valid_ctlreq knows no others */
		ctl_mda_report(a, m);
		break;
	}
}
