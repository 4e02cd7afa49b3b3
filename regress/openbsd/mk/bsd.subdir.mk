# Stand-in for OpenBSD's bsd.subdir.mk (regress/openbsd/check.py): runs
# make in each SUBDIR, as the real one does, with the target given.

.MAIN: all
all:
	@for entry in ${SUBDIR}; do \
		echo "===> $${entry}"; \
		(cd ${.CURDIR}/$${entry} && exec ${MAKE} all) || exit 1; \
	done
