"""kill -9 of each popd process in the middle of a session: nothing is
removed that QUIT did not commit, other sessions go on, and the parent
restarts a dead listener or authpop."""

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
    T.expect(busy.line(), b"-ERR [SYS/TEMP] server busy, try later",
             "reply while authpop restarts")
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


if __name__ == "__main__":
    T.main()
