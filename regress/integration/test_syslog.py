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

"""popd as a daemon (no -d) logging through a real syslogd: Debian's
rsyslog, started by the test on its own socket, which popd sees as
/dev/log in a private mount namespace.  Every process's lines arrive,
also after rsyslogd restarts; the per-session and failed-login lines
carry what an admin needs; Debian's fail2ban-regex with the shipped
filter (popd/fail2ban/popd.conf) matches each failed login and nothing
else.  And as shipped, the systemd unit (popd/popd.service), the filter
and the jail (popd/fail2ban/popd-jail.conf) make Debian's fail2ban-server
ban an address after failed logins, whether popd logs to syslog as the
unit runs it or to standard error (popd -d) that the journal relays.
rsyslog and fail2ban are installed with apt-get when missing."""

import base64
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import syslog
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

FILTER = os.path.join(T.REPO, "popd", "fail2ban", "popd.conf")
JAIL = os.path.join(T.REPO, "popd", "fail2ban", "popd-jail.conf")
UNIT = os.path.join(T.REPO, "popd", "popd.service")


class Syslogd(T.ForeignDaemon):
    """rsyslogd in the foreground with a private socket (dev/log, in the
    /dev that make_dev fills) and mail logs (maillog: mail.*, infolog:
    mail.info) in the traditional format, or with template=None in
    rsyslog's default one, as Debian 12 writes /var/log/mail.log;
    ready when its socket exists."""

    name = "rsyslogd"

    def __init__(self, rsyslogd, top,
                 template="RSYSLOG_TraditionalFileFormat"):
        super().__init__(rsyslogd, top)
        self.dev = self.path("dev")
        self.sock = self.ready_path = os.path.join(self.dev, "log")
        self.maillog = self.path("mail.log")
        self.infolog = self.path("mail.info")
        tpl = ' template="%s"' % template if template else ""
        conf = self.write(
            "rsyslog.conf", 'global(workDirectory="%s")\n'
            'module(load="imuxsock" SysSock.Name="%s"\n'
            '    SysSock.RateLimit.Interval="0")\n'
            'mail.* action(type="omfile" file="%s"%s)\n'
            'mail.info action(type="omfile" file="%s"%s)\n'
            % (self.dir, self.sock, self.maillog, tpl, self.infolog, tpl))
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
    return T.fail2ban_regex(tmp, logfile, FILTER)


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
        syslogd.wait(r"popd\[\d+\]: authpop: session \d+: failed login for "
                     r"\"alice\" from 127\.0\.0\.1 port \d+: ")
        syslogd.wait(r"popd\[\d+\]: wrkrpop: session end: user alice "
                     r"from 127\.0\.0\.1 port \d+, TLSv1\.3: retr 1/\d+, "
                     r"top 0/0, dele 0, [0-9.]+s, quit")

        # syslogd restarts: the children's lines still arrive.
        syslogd.stop()
        if os.path.exists(syslogd.sock):
            os.unlink(syslogd.sock)
        syslogd.start()
        failed_login(srv, b"bob", b"after-restart")
        syslogd.wait(r"authpop: session \d+: failed login for \"bob\" "
                     r"from 127\.0\.0\.1")
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


# --- the shipped unit, filter and jail, with fail2ban-server ---------------

def unit_settings():
    """ExecStart= of the shipped unit, split, and the syslog facility
    systemd gives its standard error (SyslogFacility=, default daemon)."""
    start, facility = None, "daemon"
    with open(UNIT) as f:
        for ln in f:
            key, _, value = ln.strip().partition("=")
            if key == "ExecStart":
                start = value.split()
            elif key == "SyslogFacility":
                facility = value
    T.expect_true(start is not None and start[0].endswith("/popd") and
                  "-f" in start, "ExecStart= runs popd -f FILE", start)
    return start, facility


def jail_setting(name):
    with open(JAIL) as f:
        for ln in f:
            key, _, value = ln.partition("=")
            if key.strip() == name:
                return value.strip()
    raise AssertionError("%s sets no %s" % (JAIL, name))


class JournalRelay(threading.Thread):
    """What journald does with a unit's standard output and error when
    it forwards to syslog (ForwardToSyslog=, Debian's rsyslog): one
    datagram "<pri>Mmm dd hh:mm:ss popd[MAINPID]: line" per line to the
    syslog socket, the identifier the program's name, the pid the
    unit's main process, the priority SyslogFacility= and info."""

    def __init__(self, stream, pid, facility, sock):
        super().__init__(daemon=True)
        self.stream, self.pid, self.sock = stream, pid, sock
        self.pri = getattr(syslog, "LOG_" + facility.upper()) | \
            syslog.LOG_INFO
        self.lines = []

    def run(self):
        out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        for line in iter(self.stream.readline, b""):
            line = line.rstrip(b"\n")
            self.lines.append(line)
            stamp = time.strftime("%b %e %H:%M:%S").encode()
            try:
                out.sendto(b"<%d>%s popd[%d]: %s" % (self.pri, stamp,
                                                     self.pid, line),
                           self.sock)
            except OSError:
                pass
        out.close()


def run_like_unit(srv, syslogd, flags, facility):
    """popd with flags (the unit's) in the foreground, as systemd runs
    it: its /dev/log the test's rsyslogd (a private mount namespace),
    its standard output and error relayed as the journal does.
    Returns the process and the relay, once popd greets."""
    cmd = "mount --bind %s /dev && exec \"$@\"" % syslogd.dev
    p = subprocess.Popen([T.need_prog("unshare"), "--mount", "sh", "-c", cmd,
                          "sh", T.POPD] + flags, cwd="/",
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    # unshare and sh exec: p.pid is popd's, the unit's main pid.
    relay = JournalRelay(p.stdout, p.pid, facility, syslogd.sock)
    relay.start()
    try:
        T.wait_for(lambda: p.poll() is not None or srv._greets(), 20,
                   "popd %s greeting" % " ".join(flags))
        T.expect(p.poll(), None, "popd %s running: %r"
                 % (" ".join(flags), relay.lines))
    except BaseException:
        stop_like_unit(p, relay)
        raise
    return p, relay


def stop_like_unit(p, relay):
    if p.poll() is None:
        p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)
    relay.join(10)


class Fail2ban(T.ForeignDaemon):
    """Debian's fail2ban-server in the foreground, with a private copy of
    /etc/fail2ban: the shipped filter in filter.d, the shipped jail as
    jail.local (as popd-jail.conf says), Debian's syslog_mail path
    (/var/log/mail.log) pointed at maillog, and a ban action that only
    records "<ip> <F-USER>" lines in self.bans, never the firewall;
    its own socket, pid file, database and log."""

    name = "fail2ban"
    timeout = 60

    def __init__(self, prog, top, maillog):
        super().__init__(prog, top)
        etc = self.path("etc")
        shutil.copytree("/etc/fail2ban", etc, symlinks=True,
                        ignore=shutil.ignore_patterns("jail.d", "*.local",
                                                      "fail2ban.d"))
        os.mkdir(os.path.join(etc, "jail.d"))
        shutil.copy(FILTER, os.path.join(etc, "filter.d", "popd.conf"))
        shutil.copy(JAIL, os.path.join(etc, "jail.local"))
        self.bans = self.path("bans")
        self.sock = self.path("fail2ban.sock")
        self.logfile = self.path("fail2ban.log")
        files = {
            "paths-overrides.local":
                "[DEFAULT]\nsyslog_mail = %s\n" % maillog,
            "action.d/popd-record.conf":
                "[Definition]\nactionstart = touch <target>\n"
                "actionstop =\nactioncheck =\n"
                "actionban = printf '%%%%s %%%%s\\n' \"<ip>\" \"<F-USER>\" "
                ">> <target>\nactionunban =\n"
                "[Init]\ntarget = %s\n" % self.bans,
            "jail.d/regress.local":
                "[DEFAULT]\nbanaction = popd-record\n"
                "banaction_allports = popd-record\n",
            "fail2ban.local":
                "[Definition]\nloglevel = INFO\nlogtarget = %s\n"
                "socket = %s\npidfile = %s\ndbfile = %s\n"
                % (self.logfile, self.sock, self.path("fail2ban.pid"),
                   self.path("fail2ban.sqlite3")),
        }
        for name, text in files.items():
            with open(os.path.join(etc, name), "w") as f:
                f.write(text)
        self.etc = etc
        self.args = ["-f", "-x", "-c", etc, "-s", self.sock, "-p",
                     self.path("fail2ban.pid"), "start"]
        self.ready_path = self.sock

    def client(self, *args):
        r = subprocess.run([T.need_prog("fail2ban-client"), "-c", self.etc,
                            "-s", self.sock] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        return r.returncode, r.stdout.decode(errors="replace")

    def banned(self):
        """The addresses the popd jail has banned, or None before the
        jail answers."""
        rc, out = self.client("status", "popd")
        m = re.search(r"Banned IP list:\s*(.*)$", out, re.M)
        if rc != 0 or m is None:
            return None
        return sorted(m.group(1).split())


def fail_logins(srv, src, user, n):
    for i in range(n):
        with srv.raw(src=src) as r:
            T.expect(r.line()[:3], b"+OK", "greeting")
            r.cmd(b"USER " + user)
            T.expect(r.cmd(b"PASS Zq9-not-logged-%d" % i)[:4], b"-ERR",
                     "a wrong password from %s" % src)


@T.test(start=False, check_alive=False, timeout=300)
def unit_filter_and_jail_ban(srv):
    """The shipped unit, filter and jail as on a Debian host with
    systemd: popd runs as the unit's ExecStart= says, its syslog lines
    and its standard error (relayed as the journal does, with the unit's
    SyslogFacility=) reach mail.log in Debian 12's rsyslog format, and
    fail2ban-server, with the shipped jail, bans an address after
    maxretry failed logins, naming the user; so it does for popd -d
    (standard error only); fewer failures ban nothing."""
    T.need_root()
    rsyslogd = T.apt_install("rsyslog", "rsyslogd")
    T.need_prog("fail2ban-server")
    maxretry = int(jail_setting("maxretry"))
    start, facility = unit_settings()
    srv.port = T.free_port()
    srv.argv()                          # writes srv.conffile
    flags = start[1:]
    flags[flags.index("-f") + 1] = srv.conffile

    syslogd = Syslogd(rsyslogd, srv.tmpdir, template=None)
    make_dev(syslogd.dev)
    syslogd.start()
    f2b = None
    try:
        # The log file the jail reads exists before fail2ban starts.
        open(syslogd.maillog, "a").close()
        f2b = Fail2ban(T.need_prog("fail2ban-server"), srv.tmpdir,
                       syslogd.maillog)
        f2b.start()
        T.wait_for(lambda: f2b.banned() is not None, 30,
                   "fail2ban's popd jail")

        p, relay = run_like_unit(srv, syslogd, flags, facility)
        try:
            fail_logins(srv, "127.0.0.2", b"alice", maxretry)
            fail_logins(srv, "127.0.0.4", b"alice", maxretry - 1)
            pop = srv.pop("alice")
            pop.quit()
        finally:
            stop_like_unit(p, relay)
        p, relay = run_like_unit(srv, syslogd, ["-d", "-f", srv.conffile],
                                 facility)
        try:
            fail_logins(srv, "127.0.0.3", b"bob", maxretry)
        finally:
            stop_like_unit(p, relay)
        T.expect_true(any(b"authpop[" in ln and b"failed login" in ln
                          for ln in relay.lines),
                      "popd -d wrote its failures to standard error",
                      relay.lines)

        want = ["127.0.0.2", "127.0.0.3"]
        try:
            T.wait_for(lambda: f2b.banned() == want, 60,
                       "fail2ban to ban %s" % want)
        except AssertionError:
            raise AssertionError(
                "banned %r, want %r\nmail.log:\n%s\nfail2ban:\n%s"
                % (f2b.banned(), want,
                   "\n".join(syslogd.lines()[-20:]), f2b.log_tail(20)))
        with open(f2b.bans) as f:
            bans = sorted(f.read().splitlines())
        T.expect(bans, ["127.0.0.2 alice", "127.0.0.3 bob"],
                 "the ban action's address and <F-USER>")
        for ln in syslogd.lines():
            T.expect_true("Zq9-not-logged" not in ln, "a password in the "
                          "log", ln)
    finally:
        if f2b is not None:
            f2b.cleanup()
        syslogd.stop()


if __name__ == "__main__":
    T.main()
