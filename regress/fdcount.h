/*
 * fdcount.h -- how many descriptors this process has open, for the tests
 * and fuzz targets that prove nothing leaks.
 */
#ifndef POPD_FDCOUNT_H
#define POPD_FDCOUNT_H

#include <dirent.h>
#include <stdlib.h>

static inline int
open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#endif
