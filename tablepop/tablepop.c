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
 * tablepop.c -- OpenSMTPD's table programs for popd.conf's database tables,
 * run as POPD_TABLE_USER, as smtpd's lka does for smtpd.  The parent speaks
 * only popd's declared messages to it and checks each answer again: tablepop
 * names hashes and userinfo, the parent decides.
 */
#include <sys/types.h>

#include <event.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "proc.h"
#include "sandbox.h"
#include "table.h"
#include "tablepop.h"

static struct chan		 parent;
static struct conf_settings	 set;
static struct event	 ev_sigchld, ev_sigterm;

/*
 * Opened by root and parsed here, never by a root process: their answers are
 * strings for the parent to check, as a database's are.
 */
#define FILE_TABLES	3
static struct filetab {
	char		 name[TABLE_NAMELEN];
	int		 kind;
	int		 fd;		/* until loaded */
	int		 loaded;
	struct table	 t;
} files[FILE_TABLES];
static size_t		nfiles;

static void
tablepop_answer(uint64_t id, int status, const char *value)
{
	struct msg_tabans	*m;

	if (ask_answer(id, status, value))
		return;
	/* 16 KB: not on the stack of every caller. */
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	m->id = id;
	m->status = status;
	if (status == TABANS_FOUND && strlcpy(m->value, value,
	    sizeof(m->value)) >= sizeof(m->value)) {
		m->status = TABANS_TEMP;
		m->value[0] = '\0';
	}
	chan_send(&parent, MSG_TABLE_ANSWER, -1, m, sizeof(*m));
	explicit_bzero(m, sizeof(*m));
	free(m);
}

static void
tablepop_parent_lookup(struct chan *c, const void *data, int fd)
{
	const struct msg_lookup	*m = data;
	const char		*v;
	size_t			 i;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, m->table) == 0)
			break;
	if (i == nfiles) {
		tables_lookup(m->id, m->table, m->service, m->key);
		return;
	}
	/* A file's answer at once: the line's value, as table.c keeps it. */
	if (!files[i].loaded)
		tablepop_answer(m->id, TABANS_TEMP, NULL);
	else if ((v = table_get(&files[i].t, m->key)) == NULL)
		tablepop_answer(m->id, TABANS_NONE, NULL);
	else
		tablepop_answer(m->id, TABANS_FOUND, v);
}

static void
tablepop_parent_file(struct chan *c, const void *data, int fd)
{
	const struct msg_tabfile	*m = data;

	if (fd == -1)
		fatalx("table %s: no descriptor", m->name);
	if (nfiles == FILE_TABLES)
		fatalx("table %s: too many file tables", m->name);
	(void)strlcpy(files[nfiles].name, m->name, sizeof(files[0].name));
	files[nfiles].kind = m->kind;
	files[nfiles++].fd = fd;
}

static void
tablepop_parent_eof(struct chan *c)
{
	tables_shutdown();
}

static void
tablepop_signal(int sig, short ev, void *arg)
{
	if (sig == SIGCHLD)
		tables_reap();
	else
		tables_shutdown();
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_TABLE, tables_add },
	{ MSG_PARENT_CONF_ENV,	tables_env },
	{ MSG_PARENT_CONF_FILE,	tablepop_parent_file },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_LOOKUP,	tablepop_parent_lookup },
	{ MSG_PARENT_DRAIN,	tables_drain },
	{ MSG_PARENT_TABLEPEER,	ask_peer },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

static void
tablepop_load(struct proc_setup *ps)
{
	struct passwd	*pw;

	tables_home(geteuid() == 0 && (pw = getpwnam(POPD_TABLE_USER)) !=
	    NULL ? pw->pw_dir : "/");
}

static void
tablepop_open(void *arg)
{
	char	path[32];
	size_t	i;

	/* Quiet: authcheck named the bad lines for the parent already. */
	for (i = 0; i < nfiles; i++) {
		(void)snprintf(path, sizeof(path), "/dev/fd/%d", files[i].fd);
		files[i].loaded = table_load(path, files[i].kind | TABLE_QUIET,
		    NULL, NULL, &files[i].t) == 0;
		if (!files[i].loaded)
			log_warnx("table %s: not loaded: its lookups fail",
			    files[i].name);
		close(files[i].fd);
		files[i].fd = -1;
	}
	/* As smtpd's table programs. */
	if (chdir("/") == -1)
		fatal("chdir /");
	event_init();
	ask_start(&set);
}

/* sandbox.c says what else the programs may do. */
static void
tablepop_sandbox(void *arg)
{
	const char	**exec = tables_exec();

	sandbox_tablepop(exec);
	free(exec);
}

static void
tablepop_run(void)
{
	signal_set(&ev_sigchld, SIGCHLD, tablepop_signal, NULL);
	signal_set(&ev_sigterm, SIGTERM, tablepop_signal, NULL);
	if (signal_add(&ev_sigchld, NULL) == -1 ||
	    signal_add(&ev_sigterm, NULL) == -1)
		fatal("signal_add");
	tables_start(&set, tablepop_answer);
	chan_start(&parent);
	/* After a reload, our predecessor answers until it reads this. */
	chan_send(&parent, MSG_TABLE_READY, -1, NULL, 0);
	log_debug("ready");
	if (event_dispatch() == -1)
		fatal("event_dispatch");
	fatalx("event loop ended");
}

/*
 * No chroot: the table programs read their configuration and databases where
 * smtpd.conf says.
 */
static const struct proc_role tablepop_role = {
	.setup = {
		.role = "tablepop",
		.title = "tables",
		.user = POPD_TABLE_USER,
		.chroot = 0,
		.nohup = 1,
		.open = tablepop_open,
		.sandbox = tablepop_sandbox,
	},
	.self = PROC_TABLE,
	.chan = &parent,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = tablepop_parent_eof,
	.load = tablepop_load,
	.run = tablepop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&tablepop_role, argc, argv);
}
