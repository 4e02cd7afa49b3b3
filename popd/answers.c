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
 * answers.c -- the parent's answers to popctl requests, sent as records that
 * the control process prints: root formats no answer.  If the control process
 * dies meanwhile, the answer goes nowhere and is freed at its end.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "popd.h"
#include "parent.h"

/* Answers a control process may have pending; more are refused. */
#define CTL_MAXPENDING	64

struct ctlans {
	TAILQ_ENTRY(ctlans)	 entry;
	struct proc		*p;	/* NULL: the control process died */
	uint64_t		 req;
	uid_t			 uid;
};

static TAILQ_HEAD(, ctlans)	answers = TAILQ_HEAD_INITIALIZER(answers);

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

void
ctlans_error(struct proc *p, uint64_t req, const char *why)
{
	ans_send(p, req, ANS_ERROR, why, strlen(why));
}

struct ctlans *
ctlans_new(struct proc *p, uint64_t req, uid_t uid)
{
	struct ctlans	*a;
	int		 n = 0;

	TAILQ_FOREACH(a, &answers, entry)
		if (a->p == p)
			n++;
	if (n >= CTL_MAXPENDING || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->p = p;
	a->req = req;
	a->uid = uid;
	TAILQ_INSERT_TAIL(&answers, a, entry);
	return a;
}

void
ctlans_rec(struct ctlans *a, uint32_t type, int fd, void *rec, size_t len)
{
	if (a->p == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	memcpy(rec, &a->req, sizeof(a->req));
	chan_send(&a->p->chan, type, fd, rec, len);
}

void
ctlans_count(struct ctlans *a, uint32_t n)
{
	struct msg_count	m;

	memset(&m, 0, sizeof(m));
	m.n = n;
	ctlans_rec(a, MSG_PARENT_CTLCOUNT, -1, &m, sizeof(m));
	ctlans_end(a, NULL);
}

void
ctlans_end(struct ctlans *a, const char *why)
{
	char	line[256];
	size_t	n;

	if (a->p != NULL && why == NULL)
		ans_send(a->p, a->req, ANS_OK, "", 0);
	else if (a->p != NULL) {
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

void
ctlans_gone(struct proc *p)
{
	struct ctlans	*a;

	TAILQ_FOREACH(a, &answers, entry)
		if (a->p == p)
			a->p = NULL;
}
