#!/usr/bin/env python3
"""popd as a daemon (no -d) logging through a real syslogd: Debian's
rsyslog, started by the test on its own socket, which popd sees as
/dev/log in a private mount namespace.  Every process's lines arrive,
also after rsyslogd restarts; the per-session and failed-login lines
carry what an admin needs; Debian's fail2ban-regex with the shipped
filter (popd/fail2ban/popd.conf) matches each failed login and nothing
else.  rsyslog and fail2ban are installed with apt-get when missing."""

import base64
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

FILTER = os.path.join(T.REPO, "popd", "fail2ban", "popd.conf")


class Syslogd(T.ForeignDaemon):
    """rsyslogd in the foreground with a private socket (dev/log, in the
    /dev that make_dev fills) and mail logs (maillog: mail.*, infolog:
    mail.info); ready when its socket exists."""

    name = "rsyslogd"

    def __init__(self, rsyslogd, top):
        super().__init__(rsyslogd, top)
        self.dev = self.path("dev")
        self.sock = self.ready_path = os.path.join(self.dev, "log")
        self.maillog = self.path("mail.log")
        self.infolog = self.path("mail.info")
        conf = self.write(
            "rsyslog.conf", 'global(workDirectory="%s")\n'
            'module(load="imuxsock" SysSock.Name="%s"\n'
            '    SysSock.RateLimit.Interval="0")\n'
            'mail.* action(type="omfile" file="%s"\n'
            '    template="RSYSLOG_TraditionalFileFormat")\n'
            'mail.info action(type="omfile" file="%s"\n'
            '    template="RSYSLOG_TraditionalFileFormat")\n'
            % (self.dir, self.sock, self.maillog, self.infolog))
        self.args = ["-n", "-f", conf, "-i", self.path("rsyslogd.pid")]

    def lines(self, path=None):
        try:
            with open(path or self.maillog, errors="replace") as f:
                return f.read().splitlines()
        except OSError:
            return []

    def wait(self, pattern, timeout=10):
        rx = re.compile(pattern)
        return T.wait_for(lambda: [ln for ln in self.lines()
                                   if rx.search(ln)], timeout,
                          "a syslog line matching %r" % pattern)


def make_dev(dev):
    """A /dev for the namespace: the device nodes popd may open, and the
    syslog socket that rsyslogd creates (and creates again on restart)."""
    os.mkdir(dev, 0o755)
    for name in ("null", "zero", "random", "urandom"):
        st = os.stat("/dev/" + name)
        os.mknod(os.path.join(dev, name), 0o666 | (st.st_mode & 0o170000),
                 st.st_rdev)
        os.chmod(os.path.join(dev, name), 0o666)


def subreaper():
    """Become the parent of the daemon once it has detached."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)                # PR_SET_CHILD_SUBREAPER


def daemon_argv(srv):
    """The harness's command line without -d: popd daemonizes."""
    return [a for a in srv.argv() if a != "-d"]


def start_daemon(srv, syslogd):
    """popd in a private mount namespace whose /dev is the test's."""
    subreaper()
    if srv.port is None:
        srv.port = T.free_port()
    cmd = ("mount --bind %s /dev && exec \"$@\"" % syslogd.dev)
    r = subprocess.run([T.need_prog("unshare"), "--mount", "sh", "-c", cmd,
                        "sh"] + daemon_argv(srv), cwd=T.REPO,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    T.expect(r.returncode, 0, "popd (daemon) exit status: %s"
             % r.stdout.decode(errors="replace"))
    T.wait_for(lambda: T._listening(srv.port), 10, "popd listening")
    pids = T.wait_for(lambda: [p for p in T.proc_children().get(
        os.getpid(), []) if T.proc_title(p).startswith("popd: parent")],
        10, "the daemonized popd parent")
    return pids[0]


def stop_daemon(pid):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    T.wait_for(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, 10,
               "popd to stop")


def failed_login(srv, user, pw):
    """USER/PASS, or AUTH PLAIN for a name USER cannot carry (spaces)."""
    with srv.raw() as r:
        r.line()
        if b" " in user:
            resp = r.cmd(b"AUTH PLAIN " + base64.b64encode(
                b"\0" + user + b"\0" + pw))
        else:
            r.cmd(b"USER " + user)
            resp = r.cmd(b"PASS " + pw)
        T.expect(resp[:4], b"-ERR", "reply to a wrong password")


def fail2ban_regex(tmp, logfile):
    """Run Debian's fail2ban-regex with the shipped filter, installed
    next to fail2ban's common.conf as in /etc/fail2ban/filter.d; returns
    the addresses it would ban, one per matched line, and its output."""
    prog = T.need_prog("fail2ban-regex")
    fdir = os.path.join(tmp, "fail2ban", "filter.d")
    os.makedirs(fdir)
    shutil.copy(FILTER, fdir)
    os.symlink("/etc/fail2ban/filter.d/common.conf",
               os.path.join(fdir, "common.conf"))
    r = subprocess.run([prog, "-v", logfile,
                        os.path.join(fdir, "popd.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = r.stdout.decode(errors="replace")
    T.expect(r.returncode, 0, "fail2ban-regex exit status: %s" % out)
    m = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched", out)
    T.expect_true(m is not None, "fail2ban-regex summary", out)
    hosts = re.findall(r"^\|\s+(\S+)\s+\w{3} \w{3} +\d+ [0-9:]+ \d{4}$",
                       out, re.M)
    T.expect(len(hosts), int(m.group(3)), "addresses listed by "
             "fail2ban-regex:\n" + out)
    return hosts, out


@T.test(start=False, extra_args=["-v"], check_alive=False)
def daemon_logs_reach_syslog(srv):
    """Every process's lines in syslog, also after a syslogd restart; the
    session and failure lines; fail2ban-regex matches the failures."""
    T.need_root()
    rsyslogd = T.apt_install("rsyslog", "rsyslogd")
    T.apt_install("fail2ban", "fail2ban-regex")
    syslogd = Syslogd(rsyslogd, srv.tmpdir)
    make_dev(syslogd.dev)
    syslogd.start()
    pid = None
    try:
        pid = start_daemon(srv, syslogd)
        srv.deliver("alice", b"Subject: one\r\n\r\nbody\r\n")
        p = srv.pop("alice")
        p.retr(1)
        p.quit()
        failed_login(srv, b"alice", b"wrong")
        failed_login(srv, b"nobody", b"x")
        # A name that tries to plant another address in the line.
        failed_login(srv, b'x" from 192.0.2.66 port 1: y', b"x")

        syslogd.wait(r"popd\[\d+\]: parent: started")
        syslogd.wait(r"popd\[\d+\]: listener: ")
        syslogd.wait(r"popd\[\d+\]: authpop: failed login for \"alice\" "
                     r"from 127\.0\.0\.1 port \d+: ")
        syslogd.wait(r"popd\[\d+\]: wrkrpop: session end: user alice "
                     r"from 127\.0\.0\.1 port \d+, TLSv1\.3: retr 1/\d+, "
                     r"top 0/0, dele 0, [0-9.]+s, quit")

        # syslogd restarts: the children's lines still arrive.
        syslogd.stop()
        if os.path.exists(syslogd.sock):
            os.unlink(syslogd.sock)
        syslogd.start()
        failed_login(srv, b"bob", b"after-restart")
        syslogd.wait(r"authpop: failed login for \"bob\" from 127\.0\.0\.1")
        p = srv.pop("bob")
        p.stat()
        p.quit()
        syslogd.wait(r"wrkrpop: session end: user bob ")

        for ln in syslogd.lines():
            T.expect_true("after-restart" not in ln and
                          "PASS" not in ln, "a password in syslog", ln)
        # Clients that just leave (no close_notify after QUIT, a drop in
        # the handshake) are no fault at the default level (info).
        s = socket.create_connection((T.HOST, srv.port))
        s.close()
        syslogd.wait(r"listener: 127\.0\.0\.1:\d+: closed during the TLS "
                     r"handshake")
        for ln in syslogd.lines(syslogd.infolog):
            T.expect_true("client read" not in ln and "client write" not in
                          ln and "TLS handshake" not in ln,
                          "a client leaving logged as a fault", ln)
        T.expect_true(any("session end: user bob" in ln for ln in
                          syslogd.lines(syslogd.infolog)),
                      "session lines at the default level")
        hosts, out = fail2ban_regex(srv.tmpdir, syslogd.maillog)
        T.expect(hosts, ["127.0.0.1"] * 4, "addresses fail2ban-regex "
                 "would ban (one per failed login):\n" + out)
    finally:
        if pid is not None:
            stop_daemon(pid)
        syslogd.stop()


if __name__ == "__main__":
    T.main()
