/*
 * ctltmp.h -- TEMPORARY: the control interface of CTL-SPEC.md that the
 * ctl-plumbing branch provides (proto.h, parent.h), so that this branch
 * builds until it is merged.  Removed at the merge.
 */
#ifndef POPD_CTLTMP_H
#define POPD_CTLTMP_H

#define CTL_SHOW_SESSIONS	1
#define CTL_SHOW_STATS		2
#define CTL_SHOW_PENALTIES	3
#define CTL_SHOW_METRICS	4
#define CTL_KICK_USER		5
#define CTL_KICK_ADDRESS	6
#define CTL_UNPENALIZE		7
#define CTL_RELOAD		8
#define CTL_LOG_VERBOSE		9
#define CTL_LOG_BRIEF		10
#define CTL_MDA_DELIVERED	11
#define CTL_MDA_DEFERRED	12
struct msg_ctlreq {
	uint64_t	req;
	uint32_t	cmd;
	uint32_t	pad;
	char		user[POPD_MAXUSER + 1];
	struct netaddr	net;
};

struct ctlans;
void	ctlans_printf(struct ctlans *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	ctlans_end(struct ctlans *, const char *);
uid_t	ctlans_uid(const struct ctlans *);
void	ctl_show_sessions(struct ctlans *, const struct msg_ctlreq *);
void	ctl_show_stats(struct ctlans *, const struct msg_ctlreq *);
void	ctl_show_penalties(struct ctlans *, const struct msg_ctlreq *);
void	ctl_show_metrics(struct ctlans *, const struct msg_ctlreq *);
void	ctl_kick_user(struct ctlans *, const struct msg_ctlreq *);
void	ctl_kick_address(struct ctlans *, const struct msg_ctlreq *);
void	ctl_unpenalize(struct ctlans *, const struct msg_ctlreq *);
void	ctl_mda_report(struct ctlans *, const struct msg_ctlreq *);

#endif
