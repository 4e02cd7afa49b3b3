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
 * The Linux helpers of sandbox.c: no_new_privs, the seccomp lists every
 * role starts from, exec_only.  The roles' own rules stay in sandbox.c.
 */
#if !defined(__OpenBSD__) && !defined(POPD_EMU_OPENBSD)
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"
#include "landlock.h"
#include "sandbox_linux.h"

static char	sandbox_desc[128];

/* Lets an unprivileged process install Landlock and seccomp. */
void
sb_nnp(const char *role)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: prctl(PR_SET_NO_NEW_PRIVS)", role);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("%s: no_new_privs did not stick", role);
}

/*
 * Anything off a role's allow-list kills the process, so a violation is
 * loud.  A few calls fail softly where libraries try them and cope:
 * socket/connect (syslog() reconnecting to /dev/log), open in roles with
 * no filesystem, PROT_EXEC mappings (W^X), and clone3 (glibc falls back
 * to clone(2), whose flags seccomp can inspect).
 */
#define SB_SOFT_ERRNO	EPERM

void
sc_check(int rc, const char *role, const char *what)
{
	if (rc < 0)
		fatalx("%s: seccomp %s: %s", role, what, strerror(-rc));
}

void
sc_allow(scmp_filter_ctx ctx, const char *role, const int *nrs, size_t n)
{
	size_t	i;
	char	*name;

	for (i = 0; i < n; i++) {
		if (nrs[i] < 0)
			continue;	/* pseudo syscall absent on this arch */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nrs[i], 0) < 0) {
			name = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nrs[i]);
			fatalx("%s: seccomp allow %s", role,
			    name != NULL ? name : "?");
		}
	}
}

static const int sc_common[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3),
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(shutdown),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(epoll_ctl), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	/* Log lines carry the pid; libtls/libcrypt ask for entropy. */
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getrandom),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	/* qsort(3) asks sysconf(_SC_PHYS_PAGES) before sorting big arrays. */
	SCMP_SYS(sysinfo),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

#ifdef __SANITIZE_ADDRESS__
/*
 * make sanitize only: ASan's alternate signal stacks and its readlink of
 * /proc/self/exe; LeakSanitizer (ptrace) is off.
 */
static const int sc_sanitizer[] = {
	SCMP_SYS(sigaltstack), SCMP_SYS(readlink),
};
#endif

scmp_filter_ctx
sc_init(const char *role, uint32_t defaction)
{
	scmp_filter_ctx	ctx;

	if ((ctx = seccomp_init(defaction)) == NULL)
		fatalx("%s: seccomp_init failed", role);
	/* A syscall of a foreign ABI (x32, i386 on amd64) kills too. */
	sc_check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS), role, "badarch");
	/* Every thread, including ones started before the sandbox. */
	sc_check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1), role,
	    "tsync");
	/* A binary tree: a few comparisons per syscall of a RETR. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0)
		log_debug("%s: seccomp: no binary tree filter", role);
	return ctx;
}

void
sc_child_base(scmp_filter_ctx ctx, const char *role, int tcp, pid_t pid)
{
	sc_allow(ctx, role, sc_common, sizeof(sc_common) / sizeof(int));
#ifdef __SANITIZE_ADDRESS__
	sc_allow(ctx, role, sc_sanitizer, nitems(sc_sanitizer));
#endif

	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)), role, "mmap");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC,
	    PROT_EXEC)), role, "mmap exec");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
	    1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)), role, "mprotect");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC,
	    PROT_EXEC)), role, "mprotect exec");

	/* tcp: Landlock names the port; a syslog reconnect fails softly. */
	if (tcp) {
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET)), role,
		    "socket inet");
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET6)), role,
		    "socket inet6");
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(SB_SOFT_ERRNO),
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), role,
		    "socket unix");
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(connect), 0), role, "connect");
	} else {
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(SB_SOFT_ERRNO),
		    SCMP_SYS(socket), 0), role, "socket");
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(SB_SOFT_ERRNO),
		    SCMP_SYS(connect), 0), role, "connect");
	}

	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid)), role, "kill");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid)), role, "tgkill");

	/* isatty(3) on stderr (-d) and FIONBIO/FIONREAD on our sockets. */
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS)), role, "ioctl TCGETS");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONBIO)), role, "ioctl FIONBIO");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONREAD)), role, "ioctl FIONREAD");
}

void
sb_describe(int abi, const char *role)
{
	/* A newer kernel: we handle the rights of the ABIs we know. */
	if (abi > LL_ABI_KNOWN)
		abi = LL_ABI_KNOWN;
	if (abi > 0)
		(void)snprintf(sandbox_desc, sizeof(sandbox_desc),
		    "seccomp+landlock(abi %d)+no_new_privs", abi);
	else
		(void)snprintf(sandbox_desc, sizeof(sandbox_desc),
		    "seccomp+no_new_privs (no landlock%s%s)",
		    role != NULL ? " for " : "", role != NULL ? role : "");
}

void
sc_load(scmp_filter_ctx ctx, const char *role, int abi)
{
	sc_check(seccomp_load(ctx), role, "load");
	seccomp_release(ctx);
	sb_describe(abi, role);
}

/* No filesystem at all: libc may still try, and gets EACCES. */
void
sc_nofs(scmp_filter_ctx ctx, const char *role)
{
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(openat), 0), role, "openat");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(open), 0), role, "open");
}

/*
 * ld.so, which execve(2) opens for execution too; the helpers share it,
 * being built by the same toolchain.  None for a static binary.
 */
static int
elf_interp_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char	**interp = arg;
	int		  i;

	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_INTERP)
			*interp = (const char *)(info->dlpi_addr +
			    info->dlpi_phdr[i].p_vaddr);
	return 1;	/* the first object is the program itself */
}

scmp_filter_ctx
sc_nofile(const char *role, const int *allow, size_t n, int *abi)
{
	scmp_filter_ctx	ctx;

	sb_nnp(role);
	*abi = ll_restrict(role, LL_FS_ALL, 1, NULL, 0, 1, 0);
	ctx = sc_init(role, SCMP_ACT_KILL_PROCESS);
	sc_child_base(ctx, role, 0, getpid());
	sc_nofs(ctx, role);
	sc_allow(ctx, role, allow, n);
	return ctx;
}

/*
 * For processes that run programs they do not know: only what would turn
 * a compromise into a kernel one kills.
 */
void
sc_deny(scmp_filter_ctx ctx, const char *role)
{
	static const int deny[] = {
		/* Reaching into other processes. */
		SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_getfd),
		SCMP_SYS(kcmp),
		/* Kernel code and kernel state. */
		SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
		SCMP_SYS(init_module), SCMP_SYS(finit_module),
		SCMP_SYS(delete_module), SCMP_SYS(bpf),
		SCMP_SYS(perf_event_open), SCMP_SYS(iopl), SCMP_SYS(ioperm),
		SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff),
		SCMP_SYS(acct), SCMP_SYS(syslog), SCMP_SYS(quotactl),
		SCMP_SYS(settimeofday), SCMP_SYS(clock_settime),
		SCMP_SYS(adjtimex), SCMP_SYS(clock_adjtime),
		SCMP_SYS(sethostname), SCMP_SYS(setdomainname),
		SCMP_SYS(vhangup), SCMP_SYS(uselib), SCMP_SYS(userfaultfd),
		SCMP_SYS(lookup_dcookie), SCMP_SYS(personality),
		SCMP_SYS(modify_ldt),
		/* Keys, mounts and namespaces: container-style escapes. */
		SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
		SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
		SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(fsopen),
		SCMP_SYS(fsconfig), SCMP_SYS(fsmount), SCMP_SYS(fspick),
		SCMP_SYS(mount_setattr), SCMP_SYS(setns), SCMP_SYS(unshare),
		SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
		SCMP_SYS(fanotify_init), SCMP_SYS(mknod), SCMP_SYS(mknodat),
		/* io_uring performs I/O that seccomp never sees. */
		SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register),
		/* exec only by path, through execve (Landlock vets it). */
		SCMP_SYS(execveat),
	};
	static const uint64_t nsflags[] = {
		CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
		CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP,
	};
	size_t	i;

	for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		if (deny[i] < 0)
			continue;
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
		    deny[i], 0), role, "deny");
	}
	/* No new namespaces through clone(2) either; clone3: see above. */
	for (i = 0; i < sizeof(nsflags) / sizeof(nsflags[0]); i++)
		sc_check(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
		    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ,
		    nsflags[i], nsflags[i])), role, "clone");
	sc_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0), role, "clone3");
}

/* The parent's and tablepop's rules; their table programs inherit them. */
void
exec_only(const char *role, const char *const exec[], int tcp)
{
	struct ll_path	 paths[48];
	const char	*interp = NULL;
	scmp_filter_ctx	 ctx;
	size_t		 i, n = 0;
	int		 abi;

	for (i = 0; exec != NULL && exec[i] != NULL; i++) {
		if (n >= sizeof(paths) / sizeof(paths[0]) - 2)
			fatalx("%s: too many programs to run", role);
		paths[n].path = exec[i];
		paths[n++].access = LL_FS_EXECUTE;
	}
	(void)dl_iterate_phdr(elf_interp_cb, &interp);
	if (interp != NULL) {
		paths[n].path = interp;
		paths[n++].access = LL_FS_EXECUTE;
	}
	paths[n].path = "/";
	paths[n++].access = LL_FS_REFER;
	abi = ll_restrict(role, LL_FS_EXECUTE | LL_FS_MAKE_CHAR |
	    LL_FS_MAKE_BLOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SOCK |
	    LL_FS_MAKE_SYM | LL_FS_IOCTL_DEV | LL_FS_REFER, tcp ? LL_NOBIND : 1,
	    paths, n, 2, 0);

	ctx = sc_init(role, SCMP_ACT_ALLOW);
	sc_deny(ctx, role);
	sc_load(ctx, role, abi);
}

const char *
sandbox_describe(void)
{
	if (sandbox_desc[0] == '\0')
		sb_describe(ll_abi(), NULL);
	return sandbox_desc;
}
#endif /* Linux */
