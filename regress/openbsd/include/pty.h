/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<pty.h> does not exist on OpenBSD"
