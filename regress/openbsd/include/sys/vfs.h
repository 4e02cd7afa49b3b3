/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/vfs.h> does not exist on OpenBSD"
