/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/sendfile.h> does not exist on OpenBSD"
