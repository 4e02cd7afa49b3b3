/*
 * settings.c -- the defaults and ranges of popd.conf's settings,
 * declared once: the grammar (popd/parse.y) checks what it reads against
 * them, popd -n -v prints from them, and every child checks the
 * configuration it receives with them.
 */
#include <sys/types.h>

#include <stddef.h>
#include <string.h>
#include <tls.h>

#include "compat.h"
#include "oldids.h"
#include "settings.h"

/*
 * Every default, in one place; popd.conf(5) lists each one next to its
 * keyword. 
 */
const struct conf_settings settings_defaults = {
	.authtab = "/etc/mail/authtab",
	.usertab = "/etc/mail/usertab",
	.maildir = "",
	.tls_protocols = "tlsv1.3",
	.protocols = TLS_PROTOCOL_TLSv1_3,
	.timeout = {
		.handshake = 60,
		.login = 600,
		.idle = 600,
		.send = 600,
		.close = 60,
	},
	.limit = {
		.handshakes = 1024,
		.sessions = 4096,
		.logged_in = 10000,
		.failures = 3,
		.bad_commands = 10,
	},
	.per_address = {
		.handshakes = 16,
		.sessions = 32,
		.logged_in = 64,
		.ipv4_prefix = 32,
		.ipv6_prefix = 64,
	},
	.failure_delay = {
		.first = 1,
		.max = 15,
	},
	.expire = -1,
	.uidl_format = OLDIDS_DEFAULT_FORMAT,
	.login_delay = 0,
	.last = 0,
};

#define T(f)	offsetof(struct conf_settings, timeout.f)
#define L(f)	offsetof(struct conf_settings, limit.f)
#define A(f)	offsetof(struct conf_settings, per_address.f)
#define O(f)	offsetof(struct conf_settings, f)
static const struct conf_knob knobs[] = {
	{ KNOB_TIMEOUT, "handshake",	T(handshake),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "login",	T(login),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "idle",		T(idle),	CONF_MIN_IDLE, 86400,
	    "RFC 1939 asks for at least 10m" },
	{ KNOB_TIMEOUT, "send",		T(send),	1, 86400, NULL },
	{ KNOB_TIMEOUT, "close",	T(close),	1, 3600, NULL },
	{ KNOB_LIMIT,	"handshakes",	L(handshakes),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"sessions",	L(sessions),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"logged-in",	L(logged_in),	1, 1000000, NULL },
	{ KNOB_LIMIT,	"failures",	L(failures),	1, 1000, NULL },
	{ KNOB_LIMIT,	"bad-commands",	L(bad_commands), 1, 1000000, NULL },
	{ KNOB_PERADDR,	"handshakes",	A(handshakes),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"sessions",	A(sessions),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"logged-in",	A(logged_in),	1, 1000000, NULL },
	{ KNOB_PERADDR,	"ipv4-prefix",	A(ipv4_prefix),	8, 32, NULL },
	{ KNOB_PERADDR,	"ipv6-prefix",	A(ipv6_prefix),	16, 128, NULL },
	{ KNOB_OTHER,	"failure-delay", O(failure_delay.first), 0, 3600,
	    NULL },
	{ KNOB_OTHER,	"failure-delay", O(failure_delay.max), 0, 3600,
	    NULL },
	{ KNOB_OTHER,	"expire",	O(expire),	-1, 36500, NULL },
	{ KNOB_OTHER,	"login-delay",	O(login_delay),	0, 86400, NULL },
	{ KNOB_OTHER,	"last",		O(last),	0, 1, NULL },
};
#undef T
#undef L
#undef A
#undef O

const struct conf_knob *
conf_knob(enum conf_knob_kind kind, const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(knobs); i++)
		if (knobs[i].kind == kind && strcmp(knobs[i].name, name) == 0)
			return &knobs[i];
	return NULL;
}

/* The whole table, for printing. */
const struct conf_knob *
conf_knobs(size_t *n)
{
	*n = nitems(knobs);
	return knobs;
}

/*
 * What is wrong with a configuration a child received, or NULL: every
 * string ends inside its buffer and every number is in the range the
 * grammar allows.  The parent built it from a checked popd.conf, so this
 * fails only when the parent is broken or not ours.  The
 * uidl-format is checked where it is used (wrkrpop).
 */
const char *
settings_check(const struct conf_settings *set)
{
	size_t	 i;
	int	 v;

	if (memchr(set->authtab, '\0', sizeof(set->authtab)) == NULL ||
	    memchr(set->usertab, '\0', sizeof(set->usertab)) == NULL ||
	    memchr(set->maildir, '\0', sizeof(set->maildir)) == NULL ||
	    memchr(set->tls_protocols, '\0',
	    sizeof(set->tls_protocols)) == NULL ||
	    memchr(set->uidl_format, '\0', sizeof(set->uidl_format)) == NULL)
		return "unterminated string";
	for (i = 0; i < nitems(knobs); i++) {
		memcpy(&v, (const char *)set + knobs[i].off, sizeof(v));
		if (v < knobs[i].min || v > knobs[i].max)
			return knobs[i].name;
	}
	if (set->failure_delay.max < set->failure_delay.first)
		return "failure-delay";
	return NULL;
}

