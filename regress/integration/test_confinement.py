#!/usr/bin/env python3
# Copyright (c) 2025-2026 The popd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""The confinement of the real daemon, as the kernel reports it.

For each process (parent, listener, authpop, and a wrkrpop with a session
open) /proc shows: the ids (Uid/Gid), the seccomp filter (Seccomp: 2) and
no_new_privs, no capabilities and no core dumps for the unprivileged, the
chroot of the listener and authpop, and the descriptors each one holds
(only the expected ones, all close-on-exec).  A full POP3 session, a
reload (authpop re-exec'd under the parent's sandbox), a listener restart
and an mda delivery must all work with every sandbox on, and no process
may be killed by SIGSYS.  What each sandbox refuses is proved by
regress/sandbox/sbtest; this file proves the sandboxes are in force.

The /proc checks need root (the daemon's processes are not dumpable, so
only root may look at their descriptors); they skip as non-root.
"""

import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

O_CLOEXEC = 0o2000000
SIGSYS = int(signal.SIGSYS)

MSG1 = (b"From: a@example.org\nTo: alice@example.org\nSubject: one\n\n"
        b"first message\n")
MSG2 = (b"From: b@example.org\nTo: alice@example.org\nSubject: two\n\n"
        b"second message\nwith two lines\n")


def landlock_abi():
    """The kernel's Landlock ABI (0 if none), asked through ctypes."""
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        v = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint(1))
        return max(int(v), 0)
    except (OSError, AttributeError):
        return 0


# What a sandbox refusal looks like in a log line (EACCES from Landlock,
# EPERM from seccomp, EXDEV from Landlock refusing a rename).
REFUSALS = ("Permission denied", "Operation not permitted",
            "Invalid cross-device link")


def no_sigsys(srv):
    """No process of the daemon died of a seccomp violation, and none
    logged a refusal by its sandbox."""
    bad = [ln for ln in srv.log().splitlines()
           if re.search(r"signal %d\b" % SIGSYS, ln) or "SIGSYS" in ln or
           any(r in ln for r in REFUSALS)]
    T.expect(bad, [], "log lines about SIGSYS kills or refusals")


def session_pids(srv, user="alice"):
    """Log in, leave the session open; returns (client, pids)."""
    p = srv.pop(user)
    p.stat()
    pids = T.wait_for(lambda: (lambda d: d if d["wrkrpop"] and
                                d["listener"] and d["authpop"] and
                                d["control"] and d["keypop"] else None)
                      (srv.pids()), what="all six processes")
    return p, pids


def status(pid):
    return T.proc_status(pid)


def core_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for ln in f:
            if ln.startswith("Max core file size"):
                return ln.split()[4:6]
    return None


# --- descriptors ----------------------------------------------------------

def socket_table():
    """inode -> ("tcp", state) or ("unix", type), for every socket."""
    out = {}
    for fam in ("tcp", "tcp6"):
        try:
            with open("/proc/net/" + fam) as f:
                next(f)
                for ln in f:
                    x = ln.split()
                    out[x[9]] = ("tcp", x[3])
        except OSError:
            pass
    with open("/proc/net/unix") as f:
        next(f)
        for ln in f:
            x = ln.split()
            out[x[6]] = ("unix", int(x[4], 16))
    return out


def descriptors(pid):
    """[(fd, kind, detail, cloexec)]: kind is file, dir, tcp, unix,
    pipe, epoll, pidfd, dev or other."""
    socks = socket_table()
    out = []
    for name in sorted(os.listdir("/proc/%d/fd" % pid), key=int):
        fd = int(name)
        try:
            target = os.readlink("/proc/%d/fd/%d" % (pid, fd))
            with open("/proc/%d/fdinfo/%d" % (pid, fd)) as f:
                flags = int(re.search(r"flags:\s+(\d+)", f.read()).group(1),
                            8)
        except OSError:
            continue		# closed meanwhile
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            kind, detail = socks.get(m.group(1), ("other", target))
        elif target.startswith("pipe:"):
            kind, detail = "pipe", target
        elif "eventpoll" in target:
            kind, detail = "epoll", target
        elif target == "anon_inode:[pidfd]":
            kind, detail = "pidfd", target
        elif target.startswith("/dev/"):
            kind, detail = "dev", target
        elif target.startswith("/"):
            try:
                isdir = os.path.isdir("/proc/%d/fd/%d" % (pid, fd))
            except OSError:
                isdir = False
            kind, detail = ("dir" if isdir else "file"), target
        else:
            kind, detail = "other", target
        out.append((fd, kind, detail, bool(flags & O_CLOEXEC)))
    return out


def check_cloexec(role, fds):
    """Every descriptor past stdio is close-on-exec."""
    leaky = [(fd, kind, d) for fd, kind, d, ce in fds if fd > 2 and not ce]
    T.expect(leaky, [], "%s: descriptors without FD_CLOEXEC" % role)


def beyond_stdio(fds, *kinds):
    return [(fd, kind, d) for fd, kind, d, _ in fds
            if fd > 2 and kind in kinds]


# --- tests ------------------------------------------------------------------

@T.test
def confinement_logged(srv):
    """The parent names the confinement in force at startup."""
    log = srv.wait_log("confinement: ")
    line = [ln for ln in log.splitlines() if "confinement: " in ln][0]
    abi = landlock_abi()
    if abi > 0:
        T.expect_true("seccomp+landlock(abi " in line and
                      "no_new_privs" in line,
                      "startup line names seccomp, landlock and "
                      "no_new_privs", line)
    else:
        T.expect_true("seccomp" in line and "no landlock" in line,
                      "startup line admits there is no landlock", line)
        T.expect_true("sandbox degraded" in log,
                      "the missing Landlock is logged as a degradation")
    T.expect_true("sandbox degraded" not in log or abi == 0,
                  "no degradation logged on a Landlock kernel", log)


@T.test
def session_with_every_sandbox(srv):
    """A whole POP3 session (TRANSACTION and UPDATE) under the sandboxes:
    STAT, LIST, UIDL, TOP, RETR, DELE, QUIT, then the next session sees
    the result and the read message moved to cur/."""
    n1 = srv.deliver("alice", MSG1)
    n2 = srv.deliver("alice", MSG2)
    p = srv.pop("alice")
    T.expect(p.stat()[0], 2, "STAT count")
    T.expect(len(p.list()[1]), 2, "LIST lines")
    T.expect(len(p.uidl()[1]), 2, "UIDL lines")
    T.expect(p.top(2, 0)[0][:3], b"+OK", "TOP 2 0")
    for i in (1, 2):
        body = b"\r\n".join(p.retr(i)[1])
        T.expect_true(b"message" in body, "RETR %d returns a message" % i,
                      body)
    uidls = {ln.split()[0]: ln.split()[1] for ln in p.uidl()[1]}
    p.dele(1)
    p.quit()
    md = srv.maildir("alice")
    # UPDATE: one message deleted, the other read one moved to cur/.
    T.expect(os.listdir(os.path.join(md, "new")), [], "new/ after QUIT")
    cur = os.listdir(os.path.join(md, "cur"))
    T.expect(len(cur), 1, "messages in cur/ after RETR, DELE, QUIT")
    T.expect_true(cur[0].startswith((n1, n2)), "cur/ holds a delivered "
                  "message", cur)
    p = srv.pop("alice")
    T.expect(p.stat()[0], 1, "STAT in the next session")
    T.expect_true(p.uidl()[1][0].split()[1] in uidls.values(),
                  "the UIDL survives the move to cur/")
    p.quit()
    no_sigsys(srv)


@T.test
def process_status(srv):
    """Seccomp: 2 and NoNewPrivs: 1 everywhere (every authpop thread
    too); the ids of each role; no capabilities and no core dumps for
    the unprivileged ones."""
    T.need_root()
    import pwd
    pop3d = pwd.getpwnam("_pop3d")
    pop3auth = pwd.getpwnam("_pop3auth")
    T.expect_true(pop3d.pw_uid != pop3auth.pw_uid,
                  "_pop3d and _pop3auth are different users")
    client, pids = session_pids(srv)
    try:
        want = {
            "parent": (0, 0),
            "listener": (pop3d.pw_uid, pop3d.pw_gid),
            "control": (pop3d.pw_uid, pop3d.pw_gid),
            # The listener's user: not dumpable, below (keypop.8).
            "keypop": (pop3d.pw_uid, pop3d.pw_gid),
            "authpop": (pop3auth.pw_uid, pop3auth.pw_gid),
            "wrkrpop": (srv.uid("alice"), srv.gid("alice")),
        }
        for role, (uid, gid) in want.items():
            pid = pids[role][0] if role == "wrkrpop" else pids[role]
            st = status(pid)
            T.expect(st["Uid"], [uid] * 4, "%s Uid" % role)
            T.expect(st["Gid"], [gid] * 4, "%s Gid" % role)
            T.expect(st["Seccomp"], "2", "%s Seccomp" % role)
            T.expect(st["NoNewPrivs"], "1", "%s NoNewPrivs" % role)
            T.expect(core_limit(pid), ["0", "0"], "%s core size limit" %
                     role)
            if role == "parent":
                continue
            T.expect(st["Groups"], [gid], "%s supplementary groups" % role)
            # Spawned in the parent's memory (child.c): none of its
            # signal mask; ignored, only what the role ignores itself
            # (and glibc's own 32 and 33, which sigaction(2) cannot
            # reach and glibc takes back when it needs them).
            T.expect(int(st["SigBlk"], 16), 0, "%s SigBlk" % role)
            T.expect(int(st["SigIgn"], 16) & ~(1 << (signal.SIGPIPE - 1) |
                     1 << (signal.SIGHUP - 1) | 3 << 31), 0,
                     "%s SigIgn: SIGPIPE and SIGHUP only" % role)
            for cap in ("CapPrm", "CapEff", "CapAmb"):
                T.expect(int(st[cap], 16), 0, "%s %s" % (role, cap))
            # Not dumpable: /proc/PID/* then belong to root, not to uid.
            T.expect(os.stat("/proc/%d/status" % pid).st_uid, 0,
                     "%s /proc owner (not dumpable)" % role)
        # A worker: the parent's filter and its own.
        st = status(pids["wrkrpop"][0])
        T.expect_true(int(st.get("Seccomp_filters", "2")) >= 2,
                      "wrkrpop stacks its filter on the parent's",
                      st.get("Seccomp_filters"))
        # Every thread of authpop (the bcrypt workers) is filtered.
        apid = pids["authpop"]
        tids = os.listdir("/proc/%d/task" % apid)
        T.expect_true(len(tids) >= 2, "authpop runs worker threads", tids)
        for tid in tids:
            with open("/proc/%d/task/%s/status" % (apid, tid)) as f:
                tst = dict(ln.split(":", 1) for ln in f if ":" in ln)
            T.expect(tst["Seccomp"].strip(), "2",
                     "authpop thread %s Seccomp" % tid)
            T.expect(tst["NoNewPrivs"].strip(), "1",
                     "authpop thread %s NoNewPrivs" % tid)
    finally:
        client.quit()
    no_sigsys(srv)


@T.test
def chroots(srv):
    """The listener, authpop, control and keypop live in the empty
    chroot."""
    T.need_root()
    pids = T.wait_for(lambda: (lambda d: d if d["listener"] and
                               d["authpop"] and d["control"] and
                               d["keypop"] else None)(srv.pids()),
                      what="listener, authpop, control and keypop")
    for role in ("listener", "authpop", "control", "keypop"):
        pid = pids[role]
        T.expect(os.readlink("/proc/%d/root" % pid), T.CHROOTDIR,
                 "%s root directory" % role)
        T.expect(os.readlink("/proc/%d/cwd" % pid), T.CHROOTDIR,
                 "%s working directory" % role)
    T.expect(os.listdir(T.CHROOTDIR), [], "%s is empty" % T.CHROOTDIR)


@T.test
def descriptors_held(srv):
    """Each process holds only what it needs, all close-on-exec: no
    files or directories beyond stdio except the worker's maildir and
    lock; no client TCP connection outside the listener."""
    T.need_root()
    client, pids = session_pids(srv)
    try:
        md = os.path.realpath(srv.maildir("alice"))

        fds = descriptors(pids["parent"])
        check_cloexec("parent", fds)
        # The pair it checked (certs.c): the certificate for each
        # listener it starts, the key for its keypop.
        pki = [(fd, kind, d) for fd, kind, d in beyond_stdio(fds, "file")
               if d == "/memfd:popd pki (deleted)"]
        T.expect(len(pki), 2, "parent: the two sealed files of the one pki")
        # For tablepop, which serves the tables (a restarted one gets
        # them again): usertab, opened as root; for the authpops (a
        # reload's, a restarted one): the image of authtab that
        # authcheck wrote, never read by the parent.  No router's page:
        # no route, no routepop.
        tabs = [(fd, kind, d) for fd, kind, d in beyond_stdio(fds, "file")
                if d in (os.path.realpath(srv.usertab),
                         "/memfd:authtab-image (deleted)",
                         "/memfd:popd-backends (deleted)")]
        T.expect(sorted(d for _, _, d in tabs),
                 sorted([os.path.realpath(srv.usertab),
                         "/memfd:authtab-image (deleted)"]),
                 "parent: usertab, for tablepop, and authtab's image, "
                 "for the authpops")
        T.expect([x for x in beyond_stdio(fds, "file", "dir", "dev",
                                          "other")
                  if x not in pki and x not in tabs], [],
                 "parent: files, directories or unknown descriptors")
        tcp = [d for fd, kind, d, _ in fds if kind == "tcp"]
        T.expect(tcp, ["0A"], "parent: TCP sockets (one listening, "
                 "no client connection)")
        T.expect(len(beyond_stdio(fds, "pidfd")), len(pids["wrkrpop"]),
                 "parent: a process descriptor per session's wrkrpop")

        fds = descriptors(pids["listener"])
        check_cloexec("listener", fds)
        T.expect(beyond_stdio(fds, "file", "dir", "dev", "other", "pidfd"),
                 [], "listener: files, directories or unknown descriptors")

        # keypop: its two channels, no socket of a client, no file.
        fds = descriptors(pids["keypop"])
        check_cloexec("keypop", fds)
        T.expect(beyond_stdio(fds, "file", "dir", "dev", "other", "tcp",
                              "pidfd"),
                 [], "keypop: files, directories, TCP sockets")
        T.expect(len(beyond_stdio(fds, "unix")), 2,
                 "keypop: its two channels")

        fds = descriptors(pids["control"])
        check_cloexec("control", fds)
        T.expect(beyond_stdio(fds, "file", "dir", "dev", "other", "tcp",
                              "pidfd"),
                 [], "control: files, directories, TCP sockets")

        fds = descriptors(pids["authpop"])
        check_cloexec("authpop", fds)
        T.expect(beyond_stdio(fds, "file", "dir", "dev", "other", "tcp",
                              "pidfd"),
                 [], "authpop: files, directories, TCP sockets")

        wpid = pids["wrkrpop"][0]
        fds = descriptors(wpid)
        check_cloexec("wrkrpop", fds)
        extra = [(fd, kind, d) for fd, kind, d, _ in fds if fd > 2]
        have = sorted((kind, d) for fd, kind, d in extra if fd != 3)
        fd3 = [(kind, d) for fd, kind, d in extra if fd == 3]
        T.expect(fd3, [("unix", 1)], "wrkrpop fd 3 (the session socket, "
                 "SOCK_STREAM)")
        T.expect(have, sorted([("dir", md),
                               ("file", os.path.join(md, "popd.lock"))]),
                 "wrkrpop descriptors besides stdio and fd 3")
    finally:
        client.quit()
    no_sigsys(srv)


@T.test(start=False)
def state_file_only_in_control(srv):
    """With app passwords, the control process holds their state file
    (app-passwords last), which the parent opened as root, read-write
    and close-on-exec, and no other file; the parent holds it no more
    once it is passed, nor does any other process.  A use of an app
    password is written there under the sandbox when popd stops."""
    T.need_root()
    import test_apppasswords as A
    phone, rec = A.make_app(srv, "alice", "phone")
    A.configure(srv, ["alice " + rec])
    srv.start()
    T.expect(A.answer(srv, "alice", phone)[:3], b"+OK", "the phone")
    client, pids = session_pids(srv)
    try:
        state = os.path.realpath(srv.applast)
        fds = descriptors(pids["control"])
        check_cloexec("control", fds)
        held = beyond_stdio(fds, "file", "dir", "dev", "other", "tcp",
                            "pidfd")
        T.expect([(kind, d) for fd, kind, d in held], [("file", state)],
                 "control: the state file, and no other file")
        fd = held[0][0]
        with open("/proc/%d/fdinfo/%d" % (pids["control"], fd)) as f:
            flags = int(re.search(r"flags:\s+(\d+)", f.read()).group(1), 8)
        T.expect(flags & os.O_ACCMODE, os.O_RDWR, "read-write")
        for role in ("parent", "listener", "authpop", "keypop"):
            T.expect([d for fd, kind, d, _ in descriptors(pids[role])
                      if d == state], [], "%s: the state file" % role)
    finally:
        client.quit()
    srv.stop()
    with open(srv.applast) as f:
        T.expect_true(re.match(r"alice phone \d+ 127\.0\.0\.1\n$",
                               f.read()), "the use written at stop")
    no_sigsys(srv)


@T.test
def reload_reexecs_under_sandbox(srv):
    """SIGHUP: the parent, confined, rereads its tables and re-execs
    authpop (Landlock lets it exec the helpers only); logins still work
    and the new authpop carries the parent's filter under its own."""
    old = T.wait_for(lambda: srv.pids()["authpop"], what="authpop")
    srv.reload()
    new = T.wait_for(lambda: (lambda p: p if p and p != old else None)
                     (srv.pids()["authpop"]), what="a new authpop")
    p = T.wait_for(lambda: T.try_pop(srv), what="a login after reload")
    p.quit()
    if T.is_root:
        st = status(new)
        T.expect(st["Seccomp"], "2", "new authpop Seccomp")
        T.expect_true(int(st.get("Seccomp_filters", "2")) >= 2,
                      "new authpop stacks its filter on the parent's",
                      st.get("Seccomp_filters"))
    no_sigsys(srv)


@T.test
def listener_restart_under_sandbox(srv):
    """A listener that dies is re-exec'd by the confined parent, and
    the new one serves."""
    T.need_root()
    old = T.wait_for(lambda: srv.pids()["listener"], what="listener")
    os.kill(old, signal.SIGKILL)
    T.wait_for(lambda: (lambda p: p if p and p != old else None)
               (srv.pids()["listener"]), what="a new listener")
    p = T.wait_for(lambda: T.try_pop(srv), what="a login after restart")
    T.expect(p.stat()[0], 0, "STAT after the restart")
    p.quit()
    no_sigsys(srv)


@T.test
def mda_delivery_under_sandbox(srv):
    """mda confines itself to the target maildir once it is open, and
    the delivery it makes is then served."""
    T.expect_true(os.access(T.MDA, os.X_OK), "mda/mda is built", T.MDA)
    md = srv.maildir("alice")
    r = T.run_mda(srv, "alice", MSG1, args=[md])
    out = (r.stdout + r.stderr).decode(errors="replace")
    T.expect_true(r.returncode == 0, "mda exits 0", (r.returncode, out))
    T.expect_true(r.returncode != -SIGSYS, "mda not killed by SIGSYS", out)
    T.expect(len(T.files(md, "new")), 1,
             "messages in new/ after mda")
    p = srv.pop("alice")
    T.expect(p.stat()[0], 1, "STAT after the delivery")
    T.expect_true(b"first message" in b"\n".join(p.retr(1)[1]),
                  "RETR returns the delivered message")
    p.quit()
    no_sigsys(srv)


if __name__ == "__main__":
    T.main()
