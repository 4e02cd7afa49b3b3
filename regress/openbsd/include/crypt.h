/* OpenBSD stand-in (regress/openbsd/check.sh): Linux or glibc only. */
#error "<crypt.h> does not exist on OpenBSD"
