/*
 * fuzz_table -- libFuzzer target for the authtab/usertab parser
 * (common/table.c): each input is parsed as both tables, then the two
 * are cross-checked.  The log functions are stubs that still format
 * every message, so bad format arguments show up under the sanitizers.
 *
 *	make fuzz && regress/fuzz/fuzz_table -max_total_time=60
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_tree(struct usertree *t, int auth)
{
	struct userent	*u;

	RB_FOREACH(u, usertree, t) {
		if (!valid_username(u->name) || u->lineno == 0)
			abort();
		if (auth && (u->hash == NULL || u->hash[0] != '$'))
			abort();
		if (!auth && (u->uid == 0 || u->gid == 0 || u->path[0] != '/' ||
		    strstr(u->path, "/../") != NULL))
			abort();
		if (table_lookup(t, u->name) != u)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 fd = -1;
	static char	 path[64];
	struct usertree	 auth, users;
	int		 ra, ru;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz_table", 0)) == -1)
			abort();
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	ra = table_load_auth(path, &auth);
	ru = table_load_users(path, &users);
	if (ra == 0)
		check_tree(&auth, 1);
	if (ru == 0)
		check_tree(&users, 0);
	if (ra == 0 && ru == 0) {
		(void)table_crosscheck(path, &auth, path, &users);
		table_free(&auth);
		table_free(&users);
	} else {
		if (ra == 0)
			table_free(&auth);
		if (ru == 0)
			table_free(&users);
	}
	return 0;
}
