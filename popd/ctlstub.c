/*
 * ctlstub.c -- TEMPORARY: the answer API of CTL-SPEC.md, which the
 * ctl-plumbing branch implements (popd/ctl.c), so that this branch
 * links until it is merged.  Nothing calls it before then: there is no
 * control socket.  Removed at the merge.
 */
#include <sys/types.h>

#include <stdint.h>

#include "popd.h"
#include "ctltmp.h"

void
ctlans_printf(struct ctlans *a, const char *fmt, ...)
{
}

void
ctlans_end(struct ctlans *a, const char *why)
{
}

uid_t
ctlans_uid(const struct ctlans *a)
{
	return 0;
}
