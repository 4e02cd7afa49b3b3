/*
 * fuzz_pop3 -- libFuzzer target for what authpop and wrkrpop parse from
 * the network: POP3 command lines (pop3_parse) and AUTH PLAIN responses
 * (pop3_sasl_plain).  Aborts when a result breaks the parser's promises.
 *
 *	make fuzz && regress/fuzz/fuzz_pop3 -max_total_time=60
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "popd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_line(const uint8_t *data, size_t size)
{
	struct pop3_line	l;
	int			r, i;

	r = pop3_parse(&l, (const char *)data, size);
	if (r != POP3_OK && r != POP3_ETOOLONG && r != POP3_EBADCHAR &&
	    r != POP3_EARG)
		abort();
	if (r != POP3_OK)
		return;
	if (size > POP3_MAXLINE - 2 || l.nargs < 0 || l.nargs > 2)
		abort();
	if (strlen(l.name) > 4)
		abort();
	for (i = 0; i < l.nargs; i++) {
		/* Arguments point into the copy, NUL-terminated there. */
		if (l.args[i] < l.buf || l.args[i] >= l.buf + sizeof(l.buf))
			abort();
		if (l.args[i] + strlen(l.args[i]) >= l.buf + sizeof(l.buf))
			abort();
		if (l.cmd != CMD_PASS && strchr(l.args[i], ' ') != NULL)
			abort();
	}
	if (l.cmd == CMD_PASS && l.nargs == 1 &&
	    memcmp(l.args[0], data + 5, size - 5) != 0)
		abort();
}

static void
check_plain(const uint8_t *data, size_t size)
{
	char	*s, user[POPD_MAXUSER + 1], pass[512];

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (pop3_sasl_plain(s, user, sizeof(user), pass, sizeof(pass)) == 0) {
		if (user[0] == '\0' || pass[0] == '\0' ||
		    strlen(user) >= sizeof(user) || strlen(pass) >= sizeof(pass))
			abort();
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_line(data, size);
	check_plain(data, size);
	return 0;
}
