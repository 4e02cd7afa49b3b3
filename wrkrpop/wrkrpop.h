/*
 * wrkrpop.h -- what wrkrpop's files share: popd -m's report of one
 * maildir (report.c), run instead of a session when the parent asks.
 */
#ifndef POPD_WRKRPOP_H
#define POPD_WRKRPOP_H

/* report.c */
__dead void	report_main(const char *, const char *, const char *);

#endif
