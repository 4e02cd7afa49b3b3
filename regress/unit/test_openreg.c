/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * open_regular() (common/util.c, compat_open_regular): root opens no
 * file but a regular one, not even when whoever owns the directory
 * swaps a FIFO in between the look at the name and the open.  The race
 * is made certain here: this program's own stat() and open(), which
 * util.o and compat.o call, rename a FIFO over the name right after
 * the look (a stat, or an O_PATH open), and count every open (but
 * O_PATH's, which opens nothing) of a FIFO or a device.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "unit.h"

static const char	*target;	/* the name swapped */
static int		 armed;		/* a FIFO replaces it at the look */
static int		 special;	/* opens of FIFOs and devices */

int	stat(const char *, struct stat *);
int	open(const char *, int, ...);

static void
swap(const char *path)
{
	if (!armed || target == NULL || strcmp(path, target) != 0)
		return;
	armed = 0;
	if (mkfifo("fifo.tmp", 0600) == -1 || rename("fifo.tmp", target) ==
	    -1) {
		perror("swap");
		exit(2);
	}
}

int
stat(const char *path, struct stat *st)
{
	int	r;

	r = fstatat(AT_FDCWD, path, st, 0);
	swap(path);
	return r;
}

int
open(const char *path, int flags, ...)
{
	struct stat	 st;
	va_list		 ap;
	mode_t		 mode = 0;
	int		 fd;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (!(flags & O_PATH) && fstatat(AT_FDCWD, path, &st,
	    flags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
	    S_ISBLK(st.st_mode)))
		special++;
	fd = syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	if (flags & O_PATH)
		swap(path);
	return fd;
}

static void
put(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(2);
	}
}

int
main(void)
{
	const char	*errstr;
	char		 buf[16], dir[] = "/tmp/test_openreg.XXXXXX";
	ssize_t		 n;
	int		 fd, p[2];

	/* A directory of its own: run.py runs it in the tree's top. */
	if (mkdtemp(dir) == NULL || chdir(dir) == -1) {
		perror(dir);
		return 2;
	}

	/* A regular file, swapped for a FIFO just after the look. */
	put("cert.pem", "regular\n");
	target = "cert.pem";
	armed = 1;
	errstr = NULL;
	fd = open_regular("cert.pem", &errstr);
	CHECK(armed == 0, "the FIFO was swapped in");
	CHECK_INT(special, 0);
	if (fd != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		CHECK_STR(buf, "regular\n");
		close(fd);
	} else
		CHECK_STR(errstr, "not a regular file");

	/* The FIFO there: refused, never opened. */
	special = 0;
	errstr = NULL;
	CHECK_INT(open_regular("cert.pem", &errstr), -1);
	CHECK_STR(errstr, "not a regular file");
	CHECK_INT(special, 0);

	/* A device: refused, never opened. */
	errstr = NULL;
	CHECK_INT(open_regular("/dev/null", &errstr), -1);
	CHECK_STR(errstr, "not a regular file");
	CHECK_INT(special, 0);

	/* A symbolic link to a regular file (certbot's live/): read. */
	put("real.pem", "real\n");
	if (symlink("real.pem", "link.pem") == -1 && errno != EEXIST) {
		perror("symlink");
		return 2;
	}
	CHECK((fd = open_regular("link.pem", &errstr)) != -1,
	    "a link to a regular file: %s", fd == -1 ? errstr : "");
	if (fd != -1) {
		/* Blocking again, as the caller reads it. */
		CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "O_NONBLOCK cleared");
		close(fd);
	}
	/* ... refused with O_NOFOLLOW (the app passwords' state file). */
	errno = 0;
	CHECK_INT(compat_open_regular("link.pem", O_RDONLY | O_NOFOLLOW), -1);
	CHECK_INT(errno, EFTYPE);
	CHECK_INT(compat_open_regular("missing", O_RDONLY), -1);
	CHECK_INT(errno, ENOENT);

	/* "/dev/fd/N" of a pipe: refused as well. */
	if (pipe(p) == -1)
		return 2;
	(void)snprintf(buf, sizeof(buf), "/dev/fd/%d", p[0]);
	CHECK_INT(open_regular(buf, &errstr), -1);
	CHECK_INT(special, 0);
	(void)unlink("cert.pem");
	(void)unlink("real.pem");
	(void)unlink("link.pem");
	(void)rmdir(dir);
	return unit_done();
}
