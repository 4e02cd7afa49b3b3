/*
 * logstub.c -- log.c for the fuzz targets: messages are formatted (so a
 * bad format argument is still caught by the sanitizers) but not
 * printed, and fatal errors abort so that libFuzzer reports them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

static void
vformat(const char *fmt, va_list ap)
{
	char	buf[1024];

	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vformat(fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vformat(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vformat(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vformat(fmt, ap);
	va_end(ap);
}

__dead void
fatal(const char *fmt, ...)
{
	abort();
}

__dead void
fatalx(const char *fmt, ...)
{
	abort();
}

