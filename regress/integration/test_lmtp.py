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

"""LMTP deliveries (listen on ... lmtp, popd.conf(5) "Deliveries over
LMTP"): a raw LMTP client and Python's smtplib.LMTP on the unix socket
and on loopback TCP, delivering into the users' maildirs through the
per-maildir dlvrpop workers; every message then read back over POP3.
Multi-recipient replies, unknown users, a read-only and a full maildir,
the limits and deadlines, and kill -9 of the lmtp process and of the
workers at random moments."""

import fcntl
import json
import os
import poplib
import random
import re
import smtplib
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

SENDER = "sender@example.net"
poplib._MAXLINE = 1 << 20    # a 3,000-octet line over POP3


def lmtp_conf(srv, extra="", sockopts=""):
    srv.sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.lport = T.free_port()
    srv.conf_extra = ('listen on socket "%s" lmtp%s\n'
                      'listen on 127.0.0.1 port %d lmtp\n%s'
                      % (srv.sock, sockopts, srv.lport, extra))


def start(srv, extra="", sockopts=""):
    lmtp_conf(srv, extra, sockopts)
    srv.start()
    T.wait_for(lambda: os.path.exists(srv.sock), what="the lmtp socket")
    return srv


class Lmtp:
    """A raw LMTP client: what it sends is exactly what a test says."""

    def __init__(self, srv, tcp=False, timeout=30, greet=True):
        if tcp:
            self.s = socket.create_connection(("127.0.0.1", srv.lport),
                                              timeout=timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(srv.sock)
        self.buf = b""
        if greet:
            code, text = self.reply()
            T.expect(code, 220, "greeting: %r" % text)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed; read %r" % self.buf)
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("utf-8", "replace")

    def reply(self):
        """(code, text of all lines)."""
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if len(ln) < 4 or ln[3] != "-":
                break
        return int(lines[-1][:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def ok(self, line, code=250):
        c, text = self.cmd(line)
        T.expect(c, code, "%s: %s" % (line, text))
        return text

    def closed(self, timeout=5):
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def transaction(self, rcpts, body, sender=SENDER):
        """MAIL, RCPT each, DATA (dot-stuffed here): (RCPT replies,
        DATA replies, one per accepted recipient)."""
        if not getattr(self, "hello", False):
            self.ok("LHLO test.example")
            self.hello = True
        self.ok("MAIL FROM:<%s>" % sender)
        rr = [self.cmd("RCPT TO:<%s>" % r) for r in rcpts]
        n = sum(1 for c, _ in rr if c == 250)
        if n == 0:
            T.expect(self.cmd("DATA")[0], 503, "DATA without recipients")
            return rr, []
        self.ok("DATA", 354)
        self.send(stuff(body) + b".\r\n")
        return rr, [self.reply() for _ in range(n)]

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def hello_after_reload(srv, timeout=10):
    """A new connection past LHLO.  One that the lmtp process a reload
    drains accepted before it knew is greeted, then told 421 4.3.2, as
    an MTA would be: connect again.  That 421 may come, and the socket
    close, before LHLO is written: then it is read after the EPIPE."""
    def attempt():
        c = Lmtp(srv)
        try:
            code, text = c.cmd("LHLO test.example")
        except (BrokenPipeError, ConnectionResetError):
            code, text = c.reply()
        if code == 421 and "4.3.2" in text:
            c.close()
            return None
        T.expect(code, 250, "LHLO: %s" % text)
        c.hello = True
        return c
    return T.wait_for(attempt, timeout, "an lmtp process not draining")


def stuff(body):
    """body as DATA carries it: leading dots doubled, a final CRLF."""
    if isinstance(body, str):
        body = body.encode()
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    # A line starts after CRLF only: a dot after a bare LF is not one.
    return re.sub(rb"(?:^|(?<=\r\n))\.", b"..", body)


def stored(body, sender=SENDER):
    """What POP3 RETR returns for body delivered over LMTP."""
    if isinstance(body, str):
        body = body.encode()
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return ("Return-Path: <%s>\r\n" % sender).encode() + body


def messages(srv, user):
    return [m.data for m in T.mailbox(srv, user, retr=True)]


def msg(n=0, extra=""):
    return ("From: %s\r\nTo: alice@popd.test\r\nSubject: test %d\r\n"
            "Message-Id: <%d.%f@example.net>\r\n\r\nbody %d\r\n%s"
            % (SENDER, n, n, time.time(), n, extra))


def dlvrpops(srv):
    return [p for p in T.descendants(srv.proc.pid)
            if T.proc_comm(p) == "dlvrpop"]


def lmtp_pid(srv):
    pids = [p for p in T.descendants(srv.proc.pid)
            if "lmtp" in T.proc_title(p) and T.proc_comm(p) == "lmtp"]
    return pids[0] if pids else None


@T.test(start=False, timeout=120)
def accept_pauses_without_descriptors(srv):
    """The lmtp process out of descriptors: it pauses accepting and says
    so; the MTA waits in the backlog and is greeted once descriptors are
    back."""
    import resource
    start(srv)
    lp = lmtp_pid(srv)
    nfd = T.lowest_free_fd(lp)
    soft, hard = T.prlimit_as_owner(lp, resource.RLIMIT_NOFILE, None)
    T.prlimit_as_owner(lp, resource.RLIMIT_NOFILE, (nfd, hard))
    try:
        c = Lmtp(srv, greet=False)
        srv.wait_log("accept, pausing 1 s with 0 sessions")
    finally:
        T.prlimit_as_owner(lp, resource.RLIMIT_NOFILE, (soft, hard))
    code, text = c.reply()
    T.expect(code, 220, "greeted once descriptors are back: %r" % text)
    c.transaction(["alice"], msg(21))
    T.expect(lmtp_pid(srv), lp, "the same lmtp process")


@T.test(start=False)
def socket_directory_made(srv):
    """Without systemd's RuntimeDirectory=, popd makes its socket's
    directory (/run/popd's stand-in), root's and 0755, and says so."""
    lmtp_conf(srv)
    d = os.path.join(srv.tmpdir, "run-popd")
    sock = os.path.join(d, "lmtp.sock")
    srv.conf_extra = srv.conf_extra.replace(srv.sock, sock)
    srv.sock = sock
    srv.start()
    T.wait_for(lambda: os.path.exists(sock), what="the lmtp socket")
    st = os.stat(d)
    T.expect((st.st_uid, oct(st.st_mode & 0o7777)), (0, "0o755"),
             "the socket's directory, made by popd")
    srv.wait_log("made the directory %s" % d)
    T.expect(Lmtp(srv).cmd("QUIT")[0], 221, "LMTP on the socket in it")


@T.test(start=False)
def failed_start_leaves_no_control_socket(srv):
    """A socket whose directory cannot be made: popd does not start,
    says why, and leaves no control socket behind."""
    lmtp_conf(srv)
    sock = os.path.join(srv.tmpdir, "absent", "popd", "lmtp.sock")
    srv.conf_extra = srv.conf_extra.replace(srv.sock, sock)
    srv.port = T.free_port()
    r = subprocess.run(srv.argv(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    out = r.stdout.decode(errors="replace")
    T.expect(r.returncode, 1, "exit status")
    T.expect_true("mkdir %s: No such file" % os.path.dirname(sock) in out,
                  "the directory that could not be made", out)
    T.expect_true(not os.path.lexists(srv.ctlsock),
                  "no control socket left behind", out)


# --- the dialogue -----------------------------------------------------------

@T.test(start=False)
def lhlo_capabilities(srv):
    start(srv, "limit message-size 1048576\n")
    c = Lmtp(srv)
    text = c.ok("LHLO client.example")
    for cap in ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME",
                "SIZE 1048576"):
        T.expect_true(re.search(r"^250[- ]%s$" % cap, text, re.M),
                      "LHLO announces %s" % cap, text)
    T.expect(c.cmd("EHLO client.example")[0], 500, "EHLO is not LMTP")
    T.expect(c.cmd("HELO client.example")[0], 500, "HELO is not LMTP")
    T.expect(c.cmd("NOOP")[0], 250, "NOOP")
    T.expect(c.cmd("RSET")[0], 250, "RSET")
    T.expect(c.cmd("QUIT")[0], 221, "QUIT")
    T.expect_true(c.closed(), "closed after QUIT")


@T.test(start=False)
def mail_user_exec_fails(srv):
    """Issue 38: a mail user's process that cannot be exec'd (its
    program not executable by the user) is told apart by kind: the
    POP3 client gets [SYS/TEMP]; a dlvrpop's delivery is a temporary
    failure, and nothing POP3 goes down its channel.  The parent, which
    the spawning child shares memory with until its exec (child.c),
    logs which step failed and why, and reaps the child."""
    tree = os.path.join(srv.tmpdir, "tree")
    T.copy_programs(tree)
    for d in (srv.tmpdir, tree):
        os.chmod(d, 0o755)
    for prog in ("wrkrpop", "dlvrpop"):
        os.chmod(os.path.join(tree, prog, prog), 0o700)
    argv = srv.argv
    srv.argv = lambda: [os.path.join(tree, "popd", "popd")] + argv()[1:]
    start(srv)
    with srv.raw() as r:
        r.line()
        r.ok("USER alice")
        T.expect(r.cmd("PASS " + srv.password("alice")),
                 b"-ERR [SYS/TEMP] cannot open the maildrop now, try again "
                 b"later", "PASS when wrkrpop cannot start")
    srv.wait_log("wrkrpop for alice: exec %s: Permission denied"
                 % os.path.join(tree, "wrkrpop", "wrkrpop"))
    c = Lmtp(srv)
    rr, dr = c.transaction(["alice"], msg(1))
    c.close()
    T.expect(rr[0][0], 250, "RCPT alice")
    T.expect(dr[0][0], 451, "DATA when dlvrpop cannot start: %s" % dr[0][1])
    srv.wait_log("dlvrpop for alice: exec %s: Permission denied"
                 % os.path.join(tree, "dlvrpop", "dlvrpop"))
    log = srv.log()
    for bad in ("from dlvrpop", "killed by signal", "header"):
        T.expect_true(bad not in log, "nothing read from a failed "
                      "dlvrpop's channel (%s)" % bad,
                      [ln for ln in log.splitlines() if bad in ln])
    T.expect(srv.files("alice", "new"), [], "nothing delivered")
    T.expect(T.zombies(srv.proc.pid), [], "the failed children reaped")


@T.test(start=False)
def mail_before_lhlo(srv):
    start(srv)
    c = Lmtp(srv)
    T.expect(c.cmd("MAIL FROM:<%s>" % SENDER)[0] // 100, 5,
             "MAIL before LHLO")
    c.ok("LHLO x")
    c.ok("MAIL FROM:<%s>" % SENDER)
    T.expect(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 503, "second MAIL")


@T.test(start=False)
def deliver_one(srv):
    """One message over the socket, one over TCP: each in new/ under a
    name with its size (S=) and RFC 1939 octets (W=), read back over
    POP3 byte for byte after the Return-Path line."""
    start(srv)
    body = msg(1)
    c = Lmtp(srv)
    rr, dr = c.transaction(["alice@popd.test"], body)
    T.expect(rr[0][0], 250, "RCPT alice: %s" % rr[0][1])
    T.expect(dr[0][0], 250, "DATA: %s" % dr[0][1])
    T.expect_true(dr[0][1].startswith("250 2."), "enhanced code",
                  dr[0][1])
    t = Lmtp(srv, tcp=True)
    rr, dr = t.transaction(["alice"], msg(2))
    T.expect(dr[0][0], 250, "DATA over TCP: %s" % dr[0][1])
    new = srv.files("alice", "new")
    T.expect(len(new), 2, "two files in new/")
    for name in new:
        data = open(os.path.join(srv.maildir("alice"), "new", name),
                    "rb").read()
        m = re.search(r",S=(\d+),W=(\d+)$", name)
        T.expect_true(m, "S= and W= in the name", name)
        T.expect(int(m.group(1)), len(data), "S= is the file size")
        T.expect(int(m.group(2)), T.rfc_size(data), "W= is RFC 1939's")
        T.expect_true(b"\r\n" not in data, "stored with LF line ends")
    T.expect(srv.files("alice", "tmp"), [], "tmp/ empty")
    got = messages(srv, "alice")
    T.expect(len(got), 2, "two messages over POP3")
    T.expect_true(stored(body) in got, "the first message byte for byte",
                  got)


@T.test(start=False)
def content_byte_exact(srv):
    """Dot lines, a 3,000-octet line, no final newline, 8-bit bytes, a
    bare LF.LF inside: all served back exactly (DESIGN 24: the data
    ends only at CRLF.CRLF)."""
    start(srv)
    bodies = [
        "Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\n. \r\nend\r\n",
        "Subject: long\r\n\r\n" + "x" * 3000 + "\r\n",
        "Subject: no newline\r\n\r\nlast line",
        "Subject: 8bit\r\n\r\ncaf\xe9 \u00fc\u4e2d\r\n",
        "Subject: bare lf\r\n\r\na\n.\nb\n.\r\nc\r\n",
    ]
    raw = [b.encode("utf-8") for b in bodies]
    c = Lmtp(srv)
    for b in raw:
        rr, dr = c.transaction(["bob@popd.test"], b)
        T.expect(dr[0][0], 250, "DATA: %s" % dr[0][1])
    got = messages(srv, "bob")
    T.expect(len(got), len(raw), "every message delivered once")
    for b in raw:
        if b"\n" in b.replace(b"\r\n", b""):
            # A bare LF is served as CRLF.
            want = stored(b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        else:
            want = stored(b)
        T.expect_true(want in got, "served byte for byte: %r" % b[:40],
                      [g[:80] for g in got])


@T.test(start=False)
def pipelined(srv):
    """Everything in one write, a second transaction after the dot in
    the same write: the replies come in order, one each."""
    start(srv)
    c = Lmtp(srv)
    c.send("LHLO x\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<alice>\r\n"
           "RCPT TO:<nobody>\r\nRCPT TO:<bob>\r\nDATA\r\n")
    T.expect(c.reply()[0], 250, "LHLO")
    T.expect(c.reply()[0], 250, "MAIL")
    T.expect(c.reply()[0], 250, "RCPT alice")
    T.expect(c.reply()[0], 550, "RCPT nobody")
    T.expect(c.reply()[0], 250, "RCPT bob")
    T.expect(c.reply()[0], 354, "DATA")
    c.send("Subject: one\r\n\r\n1\r\n.\r\nMAIL FROM:<>\r\n"
           "RCPT TO:<alice>\r\nDATA\r\nSubject: two\r\n\r\n2\r\n.\r\n"
           "QUIT\r\n")
    T.expect(c.reply()[0], 250, "alice's reply")
    T.expect(c.reply()[0], 250, "bob's reply")
    T.expect(c.reply()[0], 250, "MAIL <>")
    T.expect(c.reply()[0], 250, "RCPT alice")
    T.expect(c.reply()[0], 354, "DATA")
    T.expect(c.reply()[0], 250, "alice's second")
    T.expect(c.reply()[0], 221, "QUIT")
    T.expect(len(srv.files("alice", "new")), 2, "alice has two")
    T.expect(len(srv.files("bob", "new")), 1, "bob has one")
    T.expect_true(stored("Subject: two\r\n\r\n2\r\n", "") in
                  messages(srv, "alice"), "the null sender as <>")


@T.test(start=False)
def recipients_each_their_reply(srv):
    """smtplib.LMTP-style multi-recipient message: an unknown recipient
    is refused at RCPT (550); a read-only maildir gets 4xx after DATA,
    the others 250, each its own line."""
    start(srv)
    T.need_root()
    new = os.path.join(srv.maildir("bob"), "new")
    os.chmod(new, 0o500)
    try:
        c = Lmtp(srv)
        rr, dr = c.transaction(["alice@popd.test", "nobody@popd.test",
                                "bob@popd.test"], msg(3))
    finally:
        os.chmod(new, 0o700)
    T.expect([x[0] for x in rr], [250, 550, 250], "RCPT replies")
    T.expect_true(rr[1][1].startswith("550 5.1.1"), "550 5.1.1", rr[1][1])
    T.expect(dr[0][0], 250, "alice delivered: %s" % dr[0][1])
    T.expect(dr[1][0] // 100, 4, "bob's read-only new/: %s" % dr[1][1])
    T.expect_true("<bob@popd.test>" in dr[1][1], "bob's reply names bob",
                  dr[1][1])
    T.expect(srv.files("bob", "new"), [], "nothing in bob's new/")
    T.expect(srv.files("bob", "tmp"), [], "nothing in bob's tmp/")
    T.expect(len(srv.files("alice", "new")), 1, "alice has it")
    srv.wait_log("bob", timeout=5)


@T.test(start=False)
def smtplib_client(srv):
    """Python's own LMTP client, over the unix socket."""
    start(srv)
    s = smtplib.LMTP(srv.sock)
    try:
        refused = s.sendmail(SENDER, ["alice@popd.test", "bob"],
                             msg(4).encode())
    finally:
        s.quit()
    T.expect(refused, {}, "smtplib: nobody refused")
    T.expect(len(srv.files("alice", "new")), 1, "alice")
    T.expect(len(srv.files("bob", "new")), 1, "bob")


@T.test(start=False)
def same_maildir_one_copy(srv):
    """alice, alice@popd.test and alice+list@popd.test are one maildir:
    one copy, three 250s."""
    start(srv)
    c = Lmtp(srv)
    rr, dr = c.transaction(["alice", "alice@popd.test",
                            "alice+list@popd.test"], msg(5))
    T.expect([x[0] for x in rr], [250, 250, 250], "RCPTs")
    T.expect([x[0] for x in dr], [250, 250, 250], "DATA replies")
    T.expect(len(srv.files("alice", "new")), 1, "one copy")


@T.test(start=False)
def same_as_pop3_session(srv):
    """A delivery while alice is logged in does not wait for her
    session (DESIGN 9) and appears in her next one."""
    start(srv)
    srv.deliver("alice", "Subject: old\r\n\r\nold\r\n")
    p = srv.pop("alice")
    try:
        p.stat()
        t0 = time.monotonic()
        c = Lmtp(srv)
        rr, dr = c.transaction(["alice"], msg(6))
        T.expect(dr[0][0], 250, "delivered during a session")
        T.expect_true(time.monotonic() - t0 < 5, "without waiting",
                      time.monotonic() - t0)
        T.expect(p.stat()[0], 1, "the session keeps its list")
        p.quit()
    finally:
        p.close()
    T.expect(len(messages(srv, "alice")), 2, "the next session sees it")


# --- limits and deadlines -----------------------------------------------------

@T.test(start=False)
def size_limit(srv):
    start(srv, "limit message-size 2048\n")
    c = Lmtp(srv)
    c.ok("LHLO x")
    code, text = c.cmd("MAIL FROM:<%s> SIZE=5000" % SENDER)
    T.expect(code, 552, "SIZE over the limit: %s" % text)
    c.ok("MAIL FROM:<%s> SIZE=100 BODY=8BITMIME" % SENDER)
    c.ok("RCPT TO:<alice>")
    c.ok("RCPT TO:<bob>")
    c.ok("DATA", 354)
    c.send(stuff("Subject: big\r\n\r\n" + "y" * 4000) + b".\r\n")
    r = [c.reply() for _ in range(2)]
    T.expect([x[0] for x in r], [552, 552], "552 for each: %s" % r)
    T.expect(srv.files("alice", "new") + srv.files("bob", "new"), [],
             "nothing delivered")
    rr, dr = c.transaction(["alice"], msg(7))
    T.expect(dr[0][0], 250, "the session goes on")


@T.test(start=False)
def size_limit_counts_crlf(srv):
    """Issue 37: limit message-size is RFC 1870's size, CRLF line ends
    counted as sent, dots unstuffed: 1,100 empty lines (2,214 octets
    sent, 1,114 stored) are refused under 2,048; a message of exactly
    2,048 octets with dots to unstuff passes."""
    start(srv, "limit message-size 2048\n")
    c = Lmtp(srv)
    c.ok("LHLO x")
    c.ok("MAIL FROM:<%s>" % SENDER)
    c.ok("RCPT TO:<alice>")
    c.ok("DATA", 354)
    c.send(b"Subject: x\r\n\r\n" + b"\r\n" * 1100 + b".\r\n")
    code, text = c.reply()
    T.expect(code, 552, "empty lines over the limit: %s" % text)
    T.expect(srv.files("alice", "new"), [], "nothing delivered")
    head = b"Subject: exact\r\n\r\n"
    body = b".dot\r\n" * 100
    msg_ = head + body + b"x" * (2048 - len(head) - len(body) - 2) + b"\r\n"
    T.expect(len(msg_), 2048, "the message's RFC 1870 size")
    rr, dr = c.transaction(["alice"], msg_.decode())
    T.expect(dr[0][0], 250, "exactly the limit: %s" % (dr,))


@T.test(start=False)
def params_refused(srv):
    start(srv)
    c = Lmtp(srv)
    c.ok("LHLO x")
    T.expect(c.cmd("MAIL FROM:<%s> FOO=bar" % SENDER)[0], 555,
             "unknown MAIL parameter")
    c.ok("MAIL FROM:<%s>" % SENDER)
    T.expect(c.cmd("RCPT TO:<alice> NOTIFY=NEVER")[0], 555,
             "RCPT parameter")
    T.expect(c.cmd("RCPT TO:alice")[0] // 100, 5, "RCPT without <>")
    T.expect(c.cmd("RCPT TO:<>")[0] // 100, 5, "RCPT <>")


@T.test(start=False)
def too_many_recipients(srv):
    start(srv, "limit recipients 2\n")
    c = Lmtp(srv)
    rr, dr = c.transaction(["alice", "bob", "alice@popd.test"], msg(8))
    T.expect([x[0] for x in rr], [250, 250, 452], "the third: 452")
    T.expect([x[0] for x in dr], [250, 250], "two delivered")


@T.test(start=False)
def bad_commands_limit(srv):
    """The command that reaches limit bad-commands gets 421 as its only
    reply, and the connection is closed."""
    start(srv, "limit bad-commands 3\n")
    c = Lmtp(srv)
    T.expect(c.cmd("FOO")[0], 500, "first")
    T.expect(c.cmd("BAR")[0], 500, "second")
    c.send("BAZ\r\n")
    code, text = c.reply()
    T.expect(code, 421, "third: %s" % text)
    T.expect_true(c.closed(), "closed")
    c2 = Lmtp(srv)
    c2.send(b"X" * 2000 + b"\r\n")
    T.expect(c2.reply()[0], 500, "an over-long line")
    c2.ok("NOOP")


@T.test(start=False)
def idle_timeout_mid_data(srv):
    """A client that stops mid-DATA is closed after timeout lmtp, and
    nothing of its transaction is delivered."""
    start(srv, "timeout lmtp 2\n")
    c = Lmtp(srv)
    c.ok("LHLO x")
    c.ok("MAIL FROM:<%s>" % SENDER)
    c.ok("RCPT TO:<alice>")
    c.ok("DATA", 354)
    c.send("Subject: never finished\r\n\r\nhalf")
    t0 = time.monotonic()
    code, text = c.reply()
    T.expect(code, 421, "421 after the timeout: %s" % text)
    T.expect_true(1.5 < time.monotonic() - t0 < 10, "after about 2s",
                  time.monotonic() - t0)
    T.expect_true(c.closed(), "closed")
    T.expect(srv.files("alice", "new") + srv.files("alice", "tmp"), [],
             "nothing delivered")


@T.test(start=False)
def sessions_limit(srv):
    start(srv, "limit lmtp-sessions 2\n")
    a, b = Lmtp(srv), Lmtp(srv)
    c = Lmtp(srv, greet=False)
    code, text = c.reply()
    T.expect(code, 421, "the third connection: %s" % text)
    T.expect_true(c.closed(), "closed")
    a.close()
    T.wait_for(lambda: Lmtp(srv, greet=False).reply()[0] == 220,
               what="a free slot after one closed")
    b.ok("LHLO x")


PEERBUSY = b"421 4.3.2 too many connections from you, try later\r\n"
BUSY = b"421 4.3.2 too many connections, try later\r\n"


def greeted(got):
    return got.startswith(b"220 ")


@T.test(start=False)
def local_user_cannot_take_every_slot(srv):
    """Issue 42: the socket is every local user's.  One uid holds at
    most limit lmtp-peer sessions; uids that are not the socket's MTA
    user together leave limit lmtp-peer places to it; the MTA's user
    and root are let in and deliver meanwhile."""
    T.need_root()
    mta = T.daemon_user("popdmta")
    start(srv, "limit lmtp-sessions 8\nlimit lmtp-peer 2\n",
          " user popdmta")
    held = []
    try:
        h = T.Holder(srv.sock, 65534, 65534, 4)
        held.append(h)
        T.expect([greeted(g) for g in h.got], [True, True, False, False],
                 "nobody's four: %r" % h.got)
        T.expect(h.got[2:], [PEERBUSY] * 2, "the ones past lmtp-peer")
        for i in (3, 4):
            u = T.mailuser(i)
            h = T.Holder(srv.sock, u.pw_uid, u.pw_gid, 3)
            held.append(h)
            T.expect([greeted(g) for g in h.got], [True, True, False],
                     "uid %d's three: %r" % (u.pw_uid, h.got))
        u = T.mailuser(5)
        h = T.Holder(srv.sock, u.pw_uid, u.pw_gid, 1)
        held.append(h)
        T.expect(h.got, [BUSY], "a fourth uid: the MTA's places are kept")
        h = T.Holder(srv.sock, mta.pw_uid, mta.pw_gid, 1)
        held.append(h)
        T.expect_true(greeted(h.got[0]), "the MTA's user", h.got)
        c = Lmtp(srv)                   # root
        rr, dr = c.transaction(["alice"], msg(1))
        T.expect(dr[0][0], 250, "root delivers meanwhile: %s" % dr[0][1])
        c.close()
        srv.wait_log("uid 65534 holds 2 LMTP sessions (limit lmtp-peer): "
                     "refused one")
    finally:
        for h in held:
            h.close()
    T.wait_for(lambda: greeted(T.Holder(srv.sock, 65534, 65534, 1).got[0]),
               what="nobody let in once the others left")


@T.test(start=False)
def tcp_peer_limit(srv):
    """Issue 51: over TCP every loopback address is one peer (any local
    user may connect from any of 127.0.0.0/8): limit lmtp-peer of
    127.0.0.1, and 127.0.0.2 refused as well."""
    start(srv, "limit lmtp-peer 2\n")
    a, b = Lmtp(srv, tcp=True), Lmtp(srv, tcp=True)
    c = Lmtp(srv, tcp=True, greet=False)
    T.expect(c.reply(), (421, "421 4.3.2 too many connections from you, "
                         "try later"), "the third from 127.0.0.1")
    d = socket.create_connection(("127.0.0.1", srv.lport), timeout=10,
                                 source_address=("127.0.0.2", 0))
    T.expect(d.recv(100), PEERBUSY, "127.0.0.2: the same peer")
    d.close()
    srv.wait_log("loopback holds 2 LMTP sessions (limit lmtp-peer): "
                 "refused one")
    a.close()
    T.wait_for(lambda: Lmtp(srv, tcp=True, greet=False).reply()[0] == 220,
               what="a place once one left")
    b.ok("LHLO x")


@T.test(start=False)
def byte_at_a_time_does_not_hold(srv):
    """Issue 42: timeout lmtp runs from one whole command (or 16 KB of a
    message) to the next: a client that sends a byte every 0.4 s, in a
    command or in DATA, is closed after the timeout all the same."""
    start(srv, "timeout lmtp 2\n")
    for data in (False, True):
        c = Lmtp(srv)
        if data:
            c.ok("LHLO x")
            c.ok("MAIL FROM:<%s>" % SENDER)
            c.ok("RCPT TO:<alice>")
            c.ok("DATA", 354)
        t0 = time.monotonic()
        c.s.settimeout(0.4)
        got = b""
        while time.monotonic() - t0 < 8 and b"\r\n" not in got:
            try:
                c.s.sendall(b"x")
                got += c.s.recv(100)
            except socket.timeout:
                pass
            except OSError:
                break
        took = time.monotonic() - t0
        T.expect_true(got.startswith(b"421 4.4.2 timeout"), "421 %s" %
                      ("in DATA" if data else "in a command"), got)
        T.expect_true(1.5 < took < 4.5, "after about 2 s", took)
        c.close()
    T.expect(srv.files("alice", "new"), [], "nothing delivered")


def hold_spool(srv):
    """popd started with limit lmtp-spool 2 MB (message-size 1 MB), and
    two sessions each holding 900 KB in DATA, not ended, read by the
    lmtp process: 1.8 MB of the spool taken."""
    mb = 1048576
    start(srv, "limit message-size %d\nlimit lmtp-peer 1\n"
          "limit lmtp-spool %d\n" % (mb, 2 * mb))
    held = []
    for i in (1, 4):
        a = Lmtp(srv)
        a.ok("LHLO x")
        a.ok("MAIL FROM:<%s>" % SENDER)
        a.ok("RCPT TO:<alice>")
        a.ok("DATA", 354)
        a.send(stuff(msg(i, ("y" * 998 + "\r\n") * 900)))
        held.append(a)
    T.wait_for(lambda: all(unread(a) == 0 for a in held),
               what="the lmtp process to read what was sent")
    return held


@T.test(start=False)
def spool_limit(srv):
    """Issue 42: what all sessions spool is bounded (limit lmtp-spool):
    past it a message is refused 452 4.3.1 for each recipient, at MAIL
    when SIZE= says so, and comes again once there is room; the message
    that holds the room is delivered.  Root may use all of it."""
    held = hold_spool(srv)
    a = held[0]
    b = Lmtp(srv)
    b.ok("LHLO x")
    T.expect(b.cmd("MAIL FROM:<%s> SIZE=900000" % SENDER),
             (452, "452 4.3.1 insufficient system storage, try later"),
             "SIZE= past what is left")
    rr, dr = b.transaction(["bob"], msg(2, ("z" * 998 + "\r\n") * 700))
    T.expect(dr, [(452, "452 4.3.1 <bob> insufficient system storage, "
                   "try later")], "DATA past what is left")
    a.send(".\r\n")
    T.expect(a.reply()[0], 250, "the message that held the room")
    rr, dr = b.transaction(["bob"], msg(3, ("z" * 998 + "\r\n") * 700))
    T.expect(dr[0][0], 250, "bob's once there is room: %s" % dr[0][1])
    T.expect((len(srv.files("alice", "new")), len(srv.files("bob", "new"))),
             (1, 1), "one message each")
    held[1].close()


@T.test(start=False)
def spool_limit_shared_over_reload(srv):
    """limit lmtp-spool bounds the draining lmtp process and the new one
    together: 1.8 MB of 2 MB held by two messages in DATA on the lmtp
    process of before a reload, the new one refuses a message of 700
    KB (452 4.3.1) and takes it once one of them is delivered (1.6 MB
    then, the bound not passed)."""
    held = hold_spool(srv)
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "popctl reload: %s%s" % (out, err))
    b = hello_after_reload(srv)
    rr, dr = b.transaction(["bob"], msg(2, ("z" * 998 + "\r\n") * 700))
    T.expect(dr, [(452, "452 4.3.1 <bob> insufficient system storage, "
                   "try later")], "the new lmtp process, past the bound")
    held[0].send(".\r\n")
    T.expect(held[0].reply()[0], 250, "a message of the draining one")
    rr, dr = b.transaction(["bob"], msg(3, ("z" * 998 + "\r\n") * 700))
    T.expect(dr[0][0], 250, "bob's within the bound: %s" % dr[0][1])
    held[1].close()


def popd_n(srv, extra):
    """popd -n of srv's configuration with the lines extra: (exit
    status, output)."""
    text, _ = srv.config()
    conf = os.path.join(srv.tmpdir, "check.conf")
    with open(conf, "w") as f:
        f.write(text + extra)
    r = subprocess.run([T.POPD, "-n", "-f", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return r.returncode, r.stdout.decode(errors="replace"), conf


@T.test(start=False)
def spool_share_checked(srv):
    """Issue 51: popd -n refuses settings where one peer's share, limit
    lmtp-peer sessions of limit message-size each, leaves less than one
    message-size of limit lmtp-spool for the MTA, at the line of the
    last of the three, naming them; one octet more is accepted."""
    lmtp_conf(srv)
    srv.port = T.free_port()
    mb = 1048576
    rc, out, conf = popd_n(srv, "limit lmtp-peer 3\nlimit message-size %d\n"
                           "limit lmtp-spool %d\n" % (mb, 4 * mb - 1))
    line = len(open(conf).read().splitlines())
    T.expect_true(rc != 0 and "%s:%d: limit lmtp-peer 3 times limit "
                  "message-size 1048576 (what one peer may hold) leaves "
                  "less than one message-size of limit lmtp-spool 4194303 "
                  "for the MTA: limit lmtp-spool must be at least 4194304"
                  % (conf, line) in out, "popd -n refuses", out)
    rc, out, conf = popd_n(srv, "limit lmtp-peer 10000\n"
                           "limit message-size 2000000\n")
    T.expect_true(rc != 0 and "lower limit lmtp-peer or limit "
                  "message-size" in out, "past what lmtp-spool can be", out)
    rc, out, conf = popd_n(srv, "limit lmtp-peer 3\nlimit message-size %d\n"
                           "limit lmtp-spool %d\n" % (mb, 4 * mb))
    T.expect(rc, 0, "popd -n takes one octet more: %s" % out)
    rc, out, conf = popd_n(srv, "")
    T.expect(rc, 0, "the defaults: %s" % out)


def unread(c):
    """Octets c sent that the lmtp process has not read yet: the receive
    queue of the other end (/proc/net/tcp), or what a unix socket still
    has queued (SIOCOUTQ)."""
    if c.s.family == socket.AF_UNIX:
        return struct.unpack("i", fcntl.ioctl(
            c.s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    return tcp_unread(c.s.getsockname())


def tcp_unread(addr):
    """The receive queue of the server end of the TCP connection from
    addr (an IPv4 (host, port))."""
    a = socket.inet_aton(addr[0])
    want = "%08X:%04X" % (int.from_bytes(a, "little"), addr[1])
    with open("/proc/net/tcp") as f:
        next(f)
        for ln in f:
            fld = ln.split()
            if fld[2] == want:
                return int(fld[4].split(":")[1], 16)
    raise RuntimeError("no server end for %s:%d" % addr)


# A local user's program (issue 51): LMTP sessions over TCP from
# 127.0.0.2 to .5, each holding a message of nearly limit message-size
# mid-DATA, then, after a line on stdin, one on the socket as its own
# uid.  Prints a JSON line per event; holds every session until its
# stdin closes.
_HOSTILE = r"""
import json, socket, sys
path, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = b"x" * 998 + b"\r\n"
body = line * (size // len(line))

def say(**kw):
    print(json.dumps(kw), flush=True)

def reply(s):
    buf = b""
    while True:
        d = s.recv(4096)
        if not d:
            return buf.decode()
        buf += d
        lines = buf.split(b"\r\n")
        if len(lines) > 1 and lines[-2][3:4] != b"-":
            return lines[-2].decode()

def cmd(s, c):
    s.sendall(c + b"\r\n")
    return reply(s)

held = []
for i in (2, 3, 4, 5):
    s = socket.create_connection(("127.0.0.1", port), timeout=30,
                                 source_address=("127.0.0.%d" % i, 0))
    held.append(s)
    r = reply(s)
    if not r.startswith("220"):
        say(tcp=i, greeting=r)
        continue
    got = [cmd(s, c) for c in (b"LHLO evil", b"MAIL FROM:<>",
                               b"RCPT TO:<alice>", b"DATA")]
    s.sendall(body)
    say(tcp=i, greeting=r, got=got, held=s.getsockname())
sys.stdin.readline()
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(path)
held.append(s)
say(unix=reply(s))
got = [cmd(s, c) for c in (b"LHLO evil", b"MAIL FROM:<> SIZE=%d" % len(body),
                           b"MAIL FROM:<>", b"RCPT TO:<alice>", b"DATA")]
s.sendall(body + b".\r\n")
got.append(reply(s))
say(unix=got)
sys.stdin.read()
"""


@T.test(start=False)
def spool_kept_for_the_mta(srv):
    """Issue 51: a local user (a real uid) holding LMTP sessions
    mid-DATA from 127.0.0.2 and 127.0.0.3 (every loopback address one
    peer), and one on the socket as its own uid, cannot fill limit
    lmtp-spool: one limit message-size of it is kept for root and the
    socket's MTA user, who each deliver a message of that size (250,
    in new/), while the local user is refused 452 4.3.1, never 5xx."""
    T.need_root()
    mta = T.daemon_user("popdmta")
    evil = T.mailuser(6)
    size = 65536
    start(srv, "limit lmtp-peer 2\nlimit message-size %d\n"
          "limit lmtp-spool %d\n" % (size, 3 * size), " user popdmta")

    def pre():
        os.setgroups([])
        os.setgid(evil.pw_gid)
        os.setuid(evil.pw_uid)
    p = subprocess.Popen(["/usr/bin/python3", "-c", _HOSTILE, srv.sock,
                          str(srv.lport), str(size)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, preexec_fn=pre)
    try:
        ev = [json.loads(p.stdout.readline()) for _ in range(4)]
        tcp = {e["tcp"]: e for e in ev}
        T.expect(sorted(tcp), [2, 3, 4, 5], "its TCP sessions: %r" % ev)
        for i in (2, 3):
            T.expect([r[:3] for r in tcp[i]["got"]],
                     ["250", "250", "250", "354"],
                     "127.0.0.%d's transaction: %r" % (i, tcp[i]))
        T.wait_for(lambda: all(tcp_unread(tuple(e["held"])) == 0
                               for e in tcp.values() if "held" in e),
                   what="the lmtp process to read what was sent")
        p.stdin.write(b"go\n")
        p.stdin.flush()
        ev += [json.loads(p.stdout.readline()) for _ in range(2)]
        # A message of exactly limit message-size octets (RFC 1870).
        big = "Subject: big\r\n\r\n"
        big += "z" * (size - len(big) - 2) + "\r\n"
        c = Lmtp(srv)                   # root
        rr, dr = c.transaction(["alice"], big)
        T.expect(dr[0][0], 250, "root delivers meanwhile: %s" % dr[0][1])
        c.close()
        r = subprocess.run(
            ["/usr/bin/python3", "-c", "import smtplib, sys\n"
             "c = smtplib.LMTP(sys.argv[1])\n"
             "try:\n"
             "    c.sendmail(%r, ['bob'], sys.stdin.buffer.read())\n"
             "except smtplib.SMTPException as e:\n"
             "    sys.exit(repr(e))\n"
             "c.quit()\n" % SENDER, srv.sock], input=big.encode(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=lambda: (os.setgroups([]), os.setgid(mta.pw_gid),
                                os.setuid(mta.pw_uid)))
        T.expect(r.returncode, 0, "the MTA's user delivers meanwhile: %s"
                 % r.stdout.decode(errors="replace"))
        T.expect((len(srv.files("alice", "new")),
                  len(srv.files("bob", "new"))), (1, 1),
                 "the MTA's messages in new/")
        T.expect(messages(srv, "bob"), [stored(big)], "bob's, whole")
        T.expect([tcp[i]["greeting"] for i in (4, 5)], [PEERBUSY.decode()
                  .rstrip("\r\n")] * 2, "127.0.0.4 and .5: one peer, "
                  "limit lmtp-peer")
        unix = [e["unix"] for e in ev if "unix" in e]
        T.expect_true(unix[0].startswith("220 ") and
                      unix[1][0].startswith("250 "), "its socket session",
                      unix)
        T.expect(unix[1][1], "452 4.3.1 insufficient system storage, try "
                 "later", "its SIZE= on the socket: %r" % unix)
        T.expect(unix[1][-1], "452 4.3.1 <alice> insufficient system "
                 "storage, try later", "its DATA on the socket: %r" % unix)
        replies = [r for e in tcp.values() for r in e.get("got", [])]
        replies += [e["greeting"] for e in tcp.values()] + unix[1]
        T.expect([r for r in replies if r.startswith("5")], [],
                 "no 5xx for the local user")
        # 65 lines of 1,000 octets, LF for CRLF: 64,935 held each.
        srv.wait_log("local (uid %d): <> 65000 octets: 129870 of limit "
                     "lmtp-spool held, 1202 left to peers other than root "
                     "and the MTA's user" % evil.pw_uid)
        srv.wait_log("temporary failure, limit lmtp-spool reached but for "
                     "what is kept for root and the MTA's user")
    finally:
        p.stdin.close()
        p.wait(10)


@T.test(start=False)
def full_disk(srv):
    """alice's maildir on a full tmpfs: 452 4.2.2 for her, 250 for bob,
    nothing left behind in her maildir."""
    T.need_root()
    md = srv.maildir("alice")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700",
                    "tmpfs", md], check=True)
    try:
        for d in ("tmp", "new", "cur"):
            os.mkdir(os.path.join(md, d), 0o700)
        for root, dirs, _ in os.walk(md):
            os.chown(root, srv.uid("alice"), srv.gid("alice"))
            for d in dirs:
                os.chown(os.path.join(root, d), srv.uid("alice"),
                         srv.gid("alice"))
        start(srv)
        c = Lmtp(srv)
        body = msg(9, "z" * 200000)
        rr, dr = c.transaction(["alice", "bob"], body)
        T.expect(dr[0][0], 452, "alice's full disk: %s" % dr[0][1])
        T.expect_true(dr[0][1].startswith("452 4."), "a 4xx code",
                      dr[0][1])
        T.expect(dr[1][0], 250, "bob: %s" % dr[1][1])
        T.expect(os.listdir(os.path.join(md, "new")), [], "new/ empty")
        T.expect(os.listdir(os.path.join(md, "tmp")), [], "tmp/ empty")
        rr, dr = c.transaction(["alice"], msg(10))
        T.expect(dr[0][0], 250, "a small one fits: %s" % dr[0][1])
        srv.stop()
    finally:
        subprocess.run(["umount", "-l", md])


# --- stopping ---------------------------------------------------------------

@T.test(start=False)
def stop_answers_what_it_was_given(srv):
    """popd stopped (SIGTERM, as for an upgrade) in the middle of a
    transaction: the message handed over is answered 250 and stored
    once, then 421; a session between transactions gets 421 at once; no
    new connection is taken; popd exits 0 when the sessions are over.
    Before, the stop cut the transaction: a message already written was
    never acknowledged and the MTA sent it again (issue 56's upgrade of
    a backend under LMTP load, test_fleetfaults.py)."""
    start(srv)
    idle = Lmtp(srv)
    idle.ok("LHLO x")
    c = Lmtp(srv)
    c.ok("LHLO x")
    c.ok("MAIL FROM:<%s>" % SENDER)
    c.ok("RCPT TO:<alice>")
    c.ok("DATA", 354)
    body = msg(1)
    c.send(stuff(body))                 # all but the final dot
    srv.proc.send_signal(signal.SIGTERM)
    T.expect(idle.reply()[0], 421, "the idle session when popd stops")
    T.expect_true(idle.closed(), "the idle session closed")
    try:
        Lmtp(srv, timeout=5)
        T.expect_true(False, "a new LMTP connection while popd stops")
    except (OSError, EOFError):
        pass
    c.send(".\r\n")
    code, text = c.reply()
    T.expect(code, 250, "the message handed over when popd stopped: %s"
             % text)
    T.expect(c.reply()[0], 421, "then the session closed")
    T.expect_true(c.closed(), "closed")
    T.expect(srv.proc.wait(10), 0, "popd's exit status")
    srv.stop()
    log = srv.log()
    T.expect_true("stopping: 0 sessions may run to their end" in
                  log, "the log says popd drains", log[-1500:])
    new = srv.files("alice", "new")
    T.expect(len(new), 1, "one message in new/")
    data = open(os.path.join(srv.maildir("alice"), "new", new[0]),
                "rb").read()
    T.expect(data.replace(b"\n", b"\r\n"), stored(body), "the message")


# --- kill -9 ----------------------------------------------------------------

@T.test(start=False, allow_crash=True)
def kill_lmtp_mid_data(srv):
    """kill -9 of the lmtp process mid-DATA: the client sees the
    connection end, nothing is delivered, popd starts a new lmtp
    process and the retry is delivered once."""
    start(srv)
    c = Lmtp(srv)
    c.ok("LHLO x")
    c.ok("MAIL FROM:<%s>" % SENDER)
    c.ok("RCPT TO:<alice>")
    c.ok("DATA", 354)
    c.send("Subject: killed\r\n\r\n" + "k" * 50000 + "\r\n")
    pid = lmtp_pid(srv)
    T.expect_true(pid, "an lmtp process")
    os.kill(pid, 9)
    T.expect_true(c.closed(), "the connection ends")
    T.expect(srv.files("alice", "new"), [], "nothing delivered")
    T.wait_for(lambda: lmtp_pid(srv) not in (None, pid), timeout=10,
               what="a new lmtp process")

    def retry():
        try:
            r = Lmtp(srv, timeout=5)
        except OSError:
            return False
        rr, dr = r.transaction(["alice"], msg(11))
        return dr[0][0] == 250
    T.wait_for(retry, timeout=10, what="the retry delivered")
    T.expect(len(srv.files("alice", "new")), 1, "delivered once")


@T.test(start=False, allow_crash=True, timeout=240)
def kill_workers_at_random(srv):
    """Deliveries back to back on two connections while alice's and
    bob's dlvrpop are killed at random moments: every message answered
    250 is in the maildir exactly once and whole, every one answered 4xx
    is not there at all (the MTA sends it again), tmp/ is left empty."""
    start(srv)
    stop = threading.Event()
    kills = [0]

    def killer():
        rnd = random.Random(19)
        while not stop.is_set():
            time.sleep(rnd.uniform(0.001, 0.02))
            for p in dlvrpops(srv):
                try:
                    os.kill(p, 9)
                    kills[0] += 1
                except ProcessLookupError:
                    pass
    results = {}

    def sender(user, n):
        c = Lmtp(srv)
        for i in range(n):
            tag = "%s-%d" % (user, i)
            body = "Subject: %s\r\n\r\n%s\r\n%s\r\n" % (tag, tag,
                                                         "w" * (i * 97))
            rr, dr = c.transaction([user], body)
            results[tag] = (dr[0][0], stored(body))
    k = threading.Thread(target=killer)
    k.start()
    try:
        ts = [threading.Thread(target=sender, args=(u, 120))
              for u in ("alice", "bob")]
        for t in ts:
            t.start()
        for t in ts:
            t.join(200)
    finally:
        stop.set()
        k.join()
    T.expect(len(results), 240, "every message answered")
    T.expect_true(kills[0] >= 5, "workers were killed", kills[0])
    codes = [c for c, _ in results.values()]
    T.expect_true(codes.count(250) > 0 and all(c in (250, 451)
                                              for c in codes),
                  "250 or 451 only", sorted(set(codes)))
    for user in ("alice", "bob"):
        T.expect(srv.files(user, "tmp"), [], "%s: tmp/ empty" % user)
        got = messages(srv, user)
        for tag, (code, want) in results.items():
            if not tag.startswith(user + "-"):
                continue
            n = got.count(want)
            T.expect(n, 1 if code == 250 else 0,
                     "%s (answered %d) in the maildir" % (tag, code))
        T.expect(len(got), sum(1 for t, (c, _) in results.items()
                               if t.startswith(user + "-") and c == 250),
                 "%s: no other file" % user)


# --- processes ----------------------------------------------------------------

@T.test(start=False)
def worker_ids_and_reuse(srv):
    """One dlvrpop per maildir, as that user's uid and gid, reused for
    the next message; the lmtp process is not root."""
    T.need_root()
    start(srv)
    c = Lmtp(srv)
    c.transaction(["alice"], msg(12))
    w = dlvrpops(srv)
    T.expect(len(w), 1, "one worker")
    st = T.proc_status(w[0])
    T.expect(st["Uid"], [srv.uid("alice")] * 4, "alice's uid")
    T.expect(st["Gid"], [srv.gid("alice")] * 4, "alice's gid")
    c.transaction(["alice"], msg(13))
    T.expect(dlvrpops(srv), w, "the same worker again")
    c.transaction(["bob"], msg(14))
    T.expect(len(dlvrpops(srv)), 2, "bob's own worker")
    lp = lmtp_pid(srv)
    T.expect_true(0 not in T.proc_status(lp)["Uid"],
                  "the lmtp process is not root")


def socket_inodes(pid):
    """{inode: fd} of pid's sockets."""
    out = {}
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            link = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out[int(link[8:-1])] = int(fd)
    return out


def unix_peers():
    """{inode: its peer's inode} of every connected unix socket (ss)."""
    r = subprocess.run([T.need_prog("ss"), "-xaH"], capture_output=True,
                       text=True, check=True)
    peers = {}
    for line in r.stdout.splitlines():
        f = line.split()
        # Netid State Recv-Q Send-Q Local Port Peer Port
        if len(f) >= 8 and f[5].isdigit() and f[7].isdigit():
            peers[int(f[5])] = int(f[7])
    return peers


@T.test(start=False)
def worker_channel_is_lmtps(srv):
    """A dlvrpop's channel (fd 3) leads to the lmtp process, never to
    the root parent: the parent starts it and reads nothing it says."""
    T.need_root()
    start(srv)
    c = Lmtp(srv)
    T.expect(c.transaction(["alice"], msg(15))[1][0][0], 250, "delivered")
    w = dlvrpops(srv)
    T.expect(len(w), 1, "one worker")
    mine = {fd: ino for ino, fd in socket_inodes(w[0]).items()}
    T.expect_true(3 in mine, "dlvrpop's fd 3 is a socket", mine)
    peer = unix_peers().get(mine.get(3))
    T.expect_true(peer is not None, "fd 3's peer is known to ss")
    T.expect_true(peer in socket_inodes(lmtp_pid(srv)),
                  "the lmtp process holds the other end")
    T.expect_true(peer not in socket_inodes(srv.proc.pid),
                  "the parent does not")


@T.test(start=False, timeout=150)
def reload_during_deliveries(srv):
    """Three reloads while two connections deliver to alice and bob
    without a pause: each lmtp process keeps its own workers, every
    message is answered 250 once (a connection a draining lmtp process
    closes with 421 between transactions is opened again, as an MTA
    does) and is in its maildir once; the old processes and their
    workers end."""
    start(srv)
    got = {"alice": [], "bob": []}
    stop = threading.Event()

    def send(user, base):
        c = None
        i = 0
        while not stop.is_set() or i < 20:
            try:
                if c is None:
                    c = Lmtp(srv)
                rr, dr = c.transaction([user], msg(base + i))
            except (EOFError, AssertionError, OSError):
                # 421 from a draining lmtp: before MAIL, never after DATA.
                if c is not None:
                    c.close()
                c = None
                continue
            got[user].append((base + i, rr[0][0], dr[0][0] if dr else None))
            i += 1
        c.close()

    ts = [threading.Thread(target=send, args=(u, b)) for u, b in
          (("alice", 1000), ("bob", 100000))]
    for t in ts:
        t.start()
    for n in range(1, 4):
        time.sleep(0.3)
        srv.reload()
        T.wait_for(lambda: srv.log().count("reloaded") >= n, 30,
                   "reload %d" % n)
    stop.set()
    for t in ts:
        t.join(120)
    for user in ("alice", "bob"):
        sent = got[user]
        T.expect(sorted(set((a, b) for _, a, b in sent)), [(250, 250)],
                 "all of %s's delivered" % user)
        subjects = [re.search(rb"Subject: test (\d+)", m).group(1)
                    for m in messages(srv, user)]
        T.expect(sorted(int(x) for x in subjects), [n for n, _, _ in sent],
                 "%s's %d messages, each once" % (user, len(sent)))
    c = Lmtp(srv)
    T.expect(c.transaction(["alice"], msg(3000))[1][0][0], 250,
             "delivered after the reloads")
    c.close()
    T.wait_for(lambda: len([p for p in T.descendants(srv.proc.pid)
                            if T.proc_comm(p) == "lmtp"]) == 1, 30,
               "the draining lmtp processes ended")
    T.wait_for(lambda: len(dlvrpops(srv)) <= 2, 30,
               "their workers ended with them")
    print("# %d and %d messages during 3 reloads" % (len(got["alice"]),
                                                     len(got["bob"])))


@T.test(start=False)
def workers_limit(srv):
    """limit delivery-workers 1: a message for alice and bob waits for
    the one worker, which ends to make room; both are delivered, on two
    connections at once too."""
    start(srv, "limit delivery-workers 1\n")
    c = Lmtp(srv)
    rr, dr = c.transaction(["alice", "bob"], msg(17))
    T.expect([x[0] for x in dr], [250, 250], "both delivered")
    # One worker; the one that made room may not have exited yet: the
    # parent starts at most twice the limit (popd.conf(5)).
    T.expect_true(len(dlvrpops(srv)) <= 2, "one worker, and one ending",
                  dlvrpops(srv))
    results = []

    def send(user):
        cl = Lmtp(srv)
        for i in range(10):
            results.append(cl.transaction([user], msg(100 + i))[1][0][0])
    ts = [threading.Thread(target=send, args=(u,)) for u in
          ("alice", "bob")]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    T.expect(results, [250] * 20, "20 deliveries through one worker")
    T.expect(len(srv.files("alice", "new")), 11, "alice's")
    T.expect(len(srv.files("bob", "new")), 11, "bob's")


@T.test(start=False)
def drain_without_health_port(srv):
    """With an lmtp socket but no health port a drain
    would change nothing anyone reads: popctl drain is refused."""
    start(srv)
    rc, out, err = srv.popctl("drain")
    T.expect_true(rc != 0 and "no health port" in err, "popctl drain",
                  (rc, out, err))

@T.test(start=False)
def idle_workers_end(srv):
    start(srv, "timeout delivery-idle 1\n")
    c = Lmtp(srv)
    c.transaction(["alice"], msg(15))
    T.wait_for(lambda: dlvrpops(srv) == [], timeout=10,
               what="the idle worker to end")
    rr, dr = c.transaction(["alice"], msg(16))
    T.expect(dr[0][0], 250, "a new worker for the next message")


if __name__ == "__main__":
    T.main()
