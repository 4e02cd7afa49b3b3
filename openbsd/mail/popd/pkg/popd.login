# popd's login class (login.conf(5)): rc.d(8) starts popd in the class
# named as its script, and every process of popd inherits its limits.
# The package's users name it too.  Sized for 4,000 sessions at once
# (pkg-readmes/popd says how to size it for more):
# openfiles: a listener holds 2 descriptors a session besides 80 of its
#	own; popd starts another listener when one is full, up to 8.
# maxproc: one wrkrpop a session; fork(2) applies maxproc to users but
#	root, and root forks each wrkrpop: kern.maxproc bounds them.
popd:\
	:openfiles=8192:\
	:maxproc=infinity:\
	:tc=daemon:
