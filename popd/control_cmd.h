/*
 * control_cmd.h -- the words of popctl's requests (control_cmd.c): one
 * table that the control process parses requests with and popctl checks
 * its command line and prints its usage from.  Pure: no I/O, no state.
 */
#ifndef POPD_CONTROL_CMD_H
#define POPD_CONTROL_CMD_H

#include <stddef.h>

#include "proto.h"

#define CTL_LINEMAX		1024	/* a request, with its LF */
#define CTL_ERRMAX		128	/* ctlcmd_parse's reason */

/* control_cmd.c */
int		 ctlcmd_parse(const char *, size_t, struct msg_ctlreq *, char *,
		    size_t);
const char	*ctlcmd_usage(size_t);
const char	*ctlcmd_verb(uint32_t);

#endif
