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

"""kill -9 of each popd process in the middle of a session: nothing is
removed that QUIT did not commit, other sessions go on, and the parent
restarts a dead listener or authpop.

Also forged messages on a child's channel, and a wrkrpop stopped and
continued, then traced when killed: reaped once its tracer lets go of
the zombie."""

import ctypes
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402


def fill(srv, user, n):
    for i in range(n):
        srv.deliver(user, b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i),
                    name="1700000%03d.kill%d" % (i, i))


def names(srv, user):
    return sorted(rel[4:].split(":")[0]
                  for rel in T.message_files(srv.maildir(user)))


def dele_all(p, n):
    for i in range(1, n + 1):
        p.dele(i)


def wait_new(srv, kind, old):
    return T.wait_for(lambda: (lambda x: x if x not in (None, old) else None)
                      (srv.pids()[kind]), what="a new " + kind)


@T.test(allow_crash=True)
def kill_wrkrpop_mid_session(srv):
    fill(srv, "alice", 5)
    fill(srv, "bob", 2)
    before = names(srv, "alice")
    a = srv.pop("alice")
    b = srv.pop("bob")
    a.retr(1)
    dele_all(a, 5)
    pids = srv.pids()["wrkrpop"]
    T.expect(len(pids), 2, "two workers")
    for pid in pids:
        if T.proc_title(pid) == "wrkrpop: alice":
            os.kill(pid, signal.SIGKILL)
    # Bob's session is not affected.
    T.expect(b.stat()[0], 2, "bob's STAT after alice's worker died")
    b.quit()
    T.expect(names(srv, "alice"), before, "nothing removed for alice")
    p = T.wait_for(lambda: T.try_pop(srv, "alice"), what="alice logs in again")
    T.expect(p.stat()[0], 5, "alice's STAT")
    p.quit()


@T.test(allow_crash=True)
def kill_listener_mid_session(srv):
    fill(srv, "alice", 3)
    before = names(srv, "alice")
    old = srv.pids()["listener"]
    a = srv.pop("alice")
    dele_all(a, 3)
    os.kill(old, signal.SIGKILL)
    try:
        a.quit()
    except Exception:
        pass
    wait_new(srv, "listener", old)
    # The worker saw EOF instead of QUIT: nothing was removed.
    T.wait_for(lambda: not srv.pids()["wrkrpop"], what="worker to exit")
    T.expect(names(srv, "alice"), before, "nothing removed")
    p = T.wait_for(lambda: T.try_pop(srv, "alice"), what="login after restart")
    T.expect(p.stat()[0], 3, "STAT after the listener restart")
    p.quit()
    T.expect_true("listener (pid %d) killed by signal 9, restarting" % old
                  in srv.log(), "restart logged", srv.log_tail())


@T.test(allow_crash=True)
def kill_authpop_mid_login(srv):
    fill(srv, "alice", 1)
    old = srv.pids()["authpop"]
    logged = srv.pop("alice")        # already handed to wrkrpop
    pre = srv.raw()
    T.expect(pre.line()[:3], b"+OK", "greeting")
    T.expect(pre.cmd(b"USER bob")[:3], b"+OK", "USER")
    os.kill(old, signal.SIGKILL)
    T.expect_true(pre.closed(), "pre-login session closed with authpop")
    # Until the new authpop runs (1 s), a new client is told to retry.
    srv.wait_log("authpop (pid %d) killed by signal 9, restarting" % old)
    busy = srv.raw()
    T.expect(busy.line(), b"+OK popd ready", "the listener's greeting")
    T.expect(busy.cmd(b"USER bob"), b"-ERR [SYS/TEMP] server busy, try "
             b"later", "reply while authpop restarts")
    busy.close()
    # A session past login does not depend on authpop.
    T.expect(logged.stat()[0], 1, "STAT in the logged-in session")
    logged.quit()
    wait_new(srv, "authpop", old)
    p = T.wait_for(lambda: T.try_pop(srv, "bob"), what="login after restart")
    p.quit()


def _steal_channel(pid):
    """A copy of fd 3 (the channel to the parent) of process pid, taken
    with pidfd_getfd(2) (root): what a compromised child would write."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        fd = libc.syscall(438, pidfd, 3, 0)     # SYS_pidfd_getfd
    finally:
        os.close(pidfd)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "pidfd_getfd")
    return fd


@T.test(allow_crash=True)
def bad_message_from_authpop(srv):
    """A malformed message from authpop (as if it were compromised) ends
    authpop, not the root parent: it is restarted, logins work again."""
    T.need_root()
    import struct
    fill(srv, "alice", 1)
    logged = srv.pop("alice")
    old = srv.pids()["authpop"]
    fd = _steal_channel(old)
    try:
        # AUTHPOP_CLOSED with a 3-byte payload instead of 8.
        os.write(fd, struct.pack("=IIII", 4, 2, 3, 0) + b"abc")
    finally:
        os.close(fd)
    srv.wait_log("authpop is compromised or broken, ending it")
    wait_new(srv, "authpop", old)
    T.expect_true(srv.proc.poll() is None, "parent still running",
                  srv.log_tail())
    T.expect(logged.stat()[0], 1, "STAT in the logged-in session")
    logged.quit()
    p = T.wait_for(lambda: T.try_pop(srv, "bob"), what="login after restart")
    p.quit()


@T.test(allow_crash=True)
def bad_message_from_listener(srv):
    """The same for the listener: an unexpected message type."""
    T.need_root()
    import struct
    old = srv.pids()["listener"]
    fd = _steal_channel(old)
    try:
        os.write(fd, struct.pack("=IIII", 99, 2, 0, 0))
    finally:
        os.close(fd)
    srv.wait_log("listener is compromised or broken, ending it")
    wait_new(srv, "listener", old)
    T.expect_true(srv.proc.poll() is None, "parent still running",
                  srv.log_tail())
    p = T.wait_for(lambda: T.try_pop(srv, "alice"), what="login after restart")
    p.quit()


@T.test(allow_crash=True)
def peer_message_to_the_parent(srv):
    """A message of the channels between two children (peers.c), sent
    to the parent by a compromised listener: the parent, built without
    their declarations, knows no such type (its log names none) and
    ends the listener, not itself."""
    T.need_root()
    import struct
    version, sign = T.msg_numbers("MSG_LISTENER_SIGN")
    old = srv.pids()["listener"]
    fd = _steal_channel(old)
    try:
        os.write(fd, struct.pack("=IIII", sign, version, 0, 0))
    finally:
        os.close(fd)
    srv.wait_log("listener is compromised or broken, ending it")
    T.expect_true("unexpected UNKNOWN (%d)" % sign in srv.log(),
                  "the parent holds no declaration of it", srv.log_tail())
    wait_new(srv, "listener", old)
    T.expect_true(srv.proc.poll() is None, "parent still running",
                  srv.log_tail())
    p = T.wait_for(lambda: T.try_pop(srv, "alice"), what="login after restart")
    p.quit()


# --- reaping: process descriptors, and SIGCHLD past them ------------------

def parent_fds(srv):
    """{fd: target} of the parent's descriptors."""
    d = "/proc/%d/fd" % srv.proc.pid
    out = {}
    for f in os.listdir(d):
        try:
            out[int(f)] = os.readlink(os.path.join(d, f))
        except OSError:
            pass
    return out


def pidfds(srv):
    return sorted(fd for fd, t in parent_fds(srv).items()
                  if t == "anon_inode:[pidfd]")


@T.test(allow_crash=True)
def sessions_reaped_through_process_descriptors(srv):
    """Issue 41: on Linux the parent reaps each wrkrpop through a process
    descriptor of its own (waitid on it: one step, whatever the number
    of sessions; waitpid(-1) walks every child), kept above its other
    descriptors so that the next spawn copies none of them.  A worker
    killed with SIGKILL is reaped and logged; none is left behind."""
    T.need_root()
    a = srv.pop("alice")
    b = srv.pop("bob")
    held = pidfds(srv)
    T.expect(len(held), 2, "a process descriptor for each session")
    others = [fd for fd, t in parent_fds(srv).items()
              if t != "anon_inode:[pidfd]"]
    T.expect_true(min(held) > max(others), "above every other descriptor",
                  (held, others))
    ws = srv.pids()["wrkrpop"]
    victim = [w for w in ws if T.proc_title(w) == "wrkrpop: alice"][0]
    os.kill(victim, signal.SIGKILL)
    srv.wait_log("wrkrpop %d killed by signal 9" % victim)
    T.wait_for(lambda: len(pidfds(srv)) == 1, 10, "alice's descriptor "
               "closed")
    T.expect(b.stat()[0], 0, "bob's session goes on")
    b.quit()
    a.sock.close()
    T.wait_for(lambda: not pidfds(srv), 10, "no process descriptor left")
    T.wait_for(lambda: not T.zombies(srv.proc.pid), 10, "no zombie left")
    rc, out, _ = srv.popctl("show", "sessions")
    T.expect_true(rc == 0 and "alice" not in out and "bob" not in out,
                  "popctl show sessions: none", out)


def proc_state(pid):
    """The state letter of /proc/PID/stat (R, S, T, Z...), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2]


def ptrace_seize(pid):
    """Trace pid as root's strace -p or gdb would (PTRACE_SEIZE: it
    goes on running); the caller becomes the one its exit goes to."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                            ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    if libc.ptrace(0x4206, pid, None, None) == -1:     # PTRACE_SEIZE
        e = ctypes.get_errno()
        raise OSError(e, "ptrace(PTRACE_SEIZE, %d): %s" % (pid,
                                                          os.strerror(e)))


def metric(srv, name):
    rc, out, err = srv.popctl("show", "metrics")
    T.expect(rc, 0, "popctl show metrics: %s" % err)
    for ln in out.splitlines():
        if ln.startswith(name + " "):
            return int(ln.split()[1])
    raise AssertionError("no %s in show metrics" % name)


@T.test(allow_crash=True, conf_extra="limit per-address logged-in 1\n")
def traced_worker_reaped_when_its_tracer_lets_go(srv):
    """Issue 51: the parent reaps a wrkrpop through its process
    descriptor, whose event is not persistent.  A stop and a continue
    do not make the descriptor readable: the session goes on.  A worker
    traced when it exits (root's strace -p or gdb) is a zombie only its
    tracer sees: the descriptor reads, and waitid on it finds nothing to
    reap.  Once the tracer reaps it the kernel gives it back to the
    parent with SIGCHLD, and the parent must reap it then: no zombie,
    no session left in show sessions and show metrics, and the user
    logs in again (limit per-address logged-in 1: a worker the parent
    lost would hold the place for ever)."""
    T.need_root()
    a = srv.pop("alice")
    victim = [w for w in srv.pids()["wrkrpop"]
              if T.proc_title(w) == "wrkrpop: alice"][0]
    os.kill(victim, signal.SIGSTOP)
    T.wait_for(lambda: proc_state(victim) == "T", 10, "the worker stopped")
    os.kill(victim, signal.SIGCONT)
    T.expect(a.stat()[0], 0, "STAT after a stop and a continue")
    ptrace_seize(victim)
    os.kill(victim, signal.SIGKILL)
    T.wait_for(lambda: proc_state(victim) == "Z", 10, "the worker a zombie")
    # A round trip through the parent's loop: it has seen the descriptor.
    rc, out, _ = srv.popctl("show", "sessions")
    T.expect_true(rc == 0 and "alice" in out, "the session is not gone "
                  "before the tracer lets go of it", out)
    T.expect(os.waitpid(victim, 0), (victim, signal.SIGKILL),
             "the tracer's wait")
    srv.wait_log("wrkrpop %d killed by signal 9" % victim)
    T.wait_for(lambda: not T.zombies(srv.proc.pid), 10, "no zombie left")
    rc, out, _ = srv.popctl("show", "sessions")
    T.expect_true(rc == 0 and "alice" not in out,
                  "popctl show sessions: alice's gone", out)
    T.expect(metric(srv, 'popd_sessions{state="transaction"}'), 0,
             "sessions in TRANSACTION")
    a.sock.close()
    T.expect(pidfds(srv), [], "no process descriptor left")
    p = T.pop_when_free(srv, "alice")
    T.expect(p.stat()[0], 0, "alice's STAT in a new session")
    p.quit()


USERS = [("r%02d" % i, "Pw-r%02d-x" % i) for i in range(24)]


@T.test(start=False, users=USERS, conf_extra="limit per-address "
        "logged-in 64\nlimit per-address sessions 64\n")
def sessions_past_the_descriptors_reaped_on_sigchld(srv):
    """With few descriptors (RLIMIT_NOFILE 90: 24 for sessions, 18 of
    them for process descriptors), the sessions past that share start
    as before and are reaped on SIGCHLD by pid: all 24 serve, and when
    they end every one is reaped, counted and gone."""
    T.need_root()
    srv.nofile = 90
    srv.start()
    sessions = [srv.pop(u, pw) for u, pw in USERS]
    held = pidfds(srv)
    T.expect_true(0 < len(held) < len(USERS), "some sessions, not all, "
                  "with a process descriptor", held)
    T.expect(len(srv.pids()["wrkrpop"]), len(USERS), "every wrkrpop")
    for p in sessions:
        T.expect(p.stat()[0], 0, "STAT")
        p.quit()
    T.wait_for(lambda: not srv.pids()["wrkrpop"], 10, "every wrkrpop gone")
    T.wait_for(lambda: not T.zombies(srv.proc.pid), 10, "no zombie left")
    T.expect(pidfds(srv), [], "no process descriptor left")
    rc, out, _ = srv.popctl("show", "sessions")
    T.expect_true(rc == 0 and not any(u in out for u, _ in USERS),
                  "popctl show sessions: none", out)
    # And the next logins still find room.
    srv.pop(USERS[0][0], USERS[0][1]).quit()


if __name__ == "__main__":
    T.main()
