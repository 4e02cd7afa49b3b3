/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<sys/inotify.h> does not exist on OpenBSD"
