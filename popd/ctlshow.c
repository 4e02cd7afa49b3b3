/*
 * ctlshow.c -- the parent's handlers of popctl's show, kick, unpenalize
 * and mda report commands (ctl.c judges who asks and calls them).  Each
 * answers through its struct ctlans and ends it, at once or once the
 * listener or authpop has answered.
 *
 * Not built yet: each answers an error.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include "popd.h"
#include "parent.h"

#define NOT_YET		"not built yet"

void
ctl_show_sessions(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_show_stats(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_show_penalties(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_show_metrics(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_kick_user(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_kick_address(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_unpenalize(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}

void
ctl_mda_report(struct ctlans *a, const struct msg_ctlreq *m)
{
	ctlans_end(a, NOT_YET);
}
