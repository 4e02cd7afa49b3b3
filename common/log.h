/*
 * log.h -- logging shared by every popd process.
 */
#ifndef POPD_LOG_H
#define POPD_LOG_H

#include <stdarg.h>

#include "compat.h"

#define LOG_RELAY_MAX	1200	/* a relayed line, "<pri>pid message" */

#include <time.h>

/* A rate-limited kind of log line (log_rate). */
struct lograte {
	time_t		last;
	unsigned int	skipped;
};

void	log_init(int, int);
void	log_procinit(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_setfatalstatus(int);
void	log_capture(char *, size_t);
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_rate(struct lograte *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__dead void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif
