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

"""popctl's data (issue 21), with the real programs: show sessions over
real TLS sessions (one through the real HAProxy with send-proxy-v2), kick
in the middle of a transaction, show stats equal to what the test did,
show penalties and unpenalize with a sprayer, show sessions with 1,000
sessions open, and show metrics read by Debian's promtool and served by
a real prometheus-node-exporter.  The socket, the control process and
who may do what are test_control.py's.

In detail, it checks what popctl shows and does: show sessions over
three real TLS sessions, one through the real HAProxy with send-proxy-v2
(users, real addresses, listeners, states, RETR, OCTETS, DELE) and a
connection held in its handshake; kick user in the middle of a
transaction with DELEs (ended at once, nothing removed, the user back
in) and kick address in every state; every counter of show stats moved
by exactly what the test did (logins by result, a limit, RETR octets,
removals, TLS failures, mda and LMTP deliveries) and the RELOAD column
after a reload; a sprayer in show penalties and, after unpenalize, its
logins as fast as unloaded; 1,000 sessions listed within 200 ms; a
control client that never reads show sessions over 2,400 sessions (more
than a socket holds): others answered meanwhile, a POP3 login, dropped
after 10 s and not before 8, the control process neither restarted nor
grown; show metrics accepted by Debian's promtool and served by a real
prometheus-node-exporter; mda never waiting for popd; the questions the
control process asks the listeners and authpop itself: an authpop killed
while asked (the answer at once, not at the timeout), after a reload and
a control process killed and restarted (the new authpop, the draining
listener), and a control process that floods its channels (taken with
pidfd_getfd): each child closes that channel alone and serves on."""

import calendar
import os
import re
import resource
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

HAPROXY_CONF = """\
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend pop3s
    bind 127.0.0.1:{front}
    default_backend popd
backend popd
    server popd1 127.0.0.1:{back} send-proxy-v2
"""


class Haproxy(T.ForeignDaemon):
    """HAProxy passing TCP (TLS untouched) to popd's PROXY listener."""

    name = "haproxy"

    def __init__(self, haproxy, top, back):
        super().__init__(haproxy, top)
        self.port = T.free_port()
        conf = self.write("haproxy.cfg", HAPROXY_CONF.format(front=self.port,
                                                             back=back))
        self.args = ["-db", "-f", conf]


class NodeExporter(T.ForeignDaemon):
    """Debian's prometheus-node-exporter on loopback with its textfile
    collector only."""

    name = "node-exporter"

    def __init__(self, prog, top, textdir):
        super().__init__(prog, top)
        self.port = T.free_port()
        self.args = ["--web.listen-address=127.0.0.1:%d" % self.port,
                     "--collector.disable-defaults",
                     "--collector.textfile",
                     "--collector.textfile.directory=" + textdir]


def ctl(srv, *args):
    """popctl's output; a failure is the test's."""
    rc, out, err = srv.popctl(*args)
    T.expect(rc, 0, "popctl %s (stderr %r)" % (" ".join(args), err))
    return out


def sessions(srv):
    """show sessions as dicts, with the header checked."""
    lines = ctl(srv, "show", "sessions").splitlines()
    T.expect(lines[0].split(), ["USER", "ADDRESS", "LISTENER", "STATE",
                                "SINCE", "RETR", "OCTETS", "DELE"], "header")
    keys = ("user", "address", "listener", "state", "since", "retr",
            "octets", "dele")
    return [dict(zip(keys, ln.split())) for ln in lines[1:]]


def stats(srv):
    """show stats: {counter: (since start, since reload)}."""
    lines = ctl(srv, "show", "stats").splitlines()
    T.expect(lines[0], "popd " + T.version(), "the version first")
    T.expect(lines[1].split(), ["COUNTER", "START", "RELOAD"], "header")
    return {f[0]: (int(f[1]), int(f[2]))
            for f in (ln.split() for ln in lines[2:])}


def addr(sock):
    """The client address popd should show: "127.0.0.2:40123"."""
    return "%s:%d" % sock.getsockname()[:2]


def login(r, user, pw):
    T.expect(r.line()[:3], b"+OK", "greeting")
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER")
    return r.cmd("PASS " + pw)


def row_of(rows, address):
    for r in rows:
        if r["address"] == address:
            return r
    raise AssertionError("no session from %s in %r" % (address, rows))


def since_ok(since, t0):
    """SINCE is UTC, and between t0 and now (a second's rounding)."""
    t = calendar.timegm(time.strptime(since, "%Y-%m-%dT%H:%M:%SZ"))
    return int(t0) - 1 <= t <= time.time() + 1


# --- show sessions --------------------------------------------------------

@T.test(start=False, timeout=240)
def sessions_three_tls_one_via_haproxy(srv):
    """Three TLS sessions, one of them through HAProxy (PROXY v2), one
    in authorization, and a connection held in its TLS handshake: each
    with its user, real address, listener and state; RETR, OCTETS and
    DELE as the session did them."""
    haproxy = T.apt_install("haproxy", "haproxy")
    srv.pport = T.free_port()
    srv.conf_extra = ("listen on 127.0.0.1 port %d tls proxy-protocol\n"
                      'proxy "127.0.0.1"\n' % srv.pport)
    srv.start()
    a1 = b"Subject: one\n\nfirst\n"
    a2 = b"Subject: two\n\nsecond message\n"
    srv.deliver("alice", a1)
    srv.deliver("alice", a2)
    srv.deliver("bob", b"Subject: bob\n\nhi\n")
    t0 = time.time()
    with Haproxy(haproxy, srv.tmpdir, srv.pport) as hp:
        alice = T.Raw(srv.port, src="127.0.0.2")
        T.expect(login(alice, "alice", srv.password("alice"))[:3], b"+OK",
                 "alice")
        alice.cmd("RETR 1")
        alice.multiline()
        alice.cmd("RETR 2")
        alice.multiline()
        T.expect(alice.cmd("DELE 2")[:3], b"+OK", "DELE")
        bob = T.Raw(hp.port, src="127.0.0.3")
        T.expect(login(bob, "bob", srv.password("bob"))[:3], b"+OK",
                 "bob through HAProxy")
        pre = T.Raw(srv.port, src="127.0.0.4")
        T.expect(pre.line()[:3], b"+OK", "greeting")
        hs = socket.create_connection((T.HOST, srv.port), timeout=10,
                                      source_address=("127.0.0.5", 0))
        rows = sessions(srv)
        T.expect(len(rows), 4, "four sessions: %r" % rows)
        r = row_of(rows, addr(alice.sock))
        T.expect((r["user"], r["listener"], r["state"], r["retr"],
                  r["octets"], r["dele"]),
                 ("alice", "127.0.0.1:%d" % srv.port, "transaction", "2",
                  str(T.rfc_size(a1) + T.rfc_size(a2)), "1"), "alice")
        T.expect_true(since_ok(r["since"], t0), "alice's SINCE", r)
        # HAProxy's client, not HAProxy: the address it vouches for.
        r = row_of(rows, addr(bob.sock))
        T.expect((r["user"], r["listener"], r["state"], r["retr"],
                  r["octets"], r["dele"]),
                 ("bob", "127.0.0.1:%d" % srv.pport, "transaction", "0",
                  "0", "0"), "bob")
        r = row_of(rows, addr(pre.sock))
        T.expect((r["user"], r["state"], r["retr"]),
                 ("-", "authorization", "-"), "before login")
        r = row_of(rows, addr(hs))
        T.expect((r["user"], r["listener"], r["state"]),
                 ("-", "127.0.0.1:%d" % srv.port, "handshake"), "handshake")
        T.expect_true(since_ok(r["since"], t0), "handshake's SINCE", r)
        # An address seen twice would be a session listed twice.
        T.expect(len({r["address"] for r in rows}), 4, "one row each")
        # QUIT: update, then gone.
        alice.cmd("QUIT")
        alice.close()
        T.wait_for(lambda: len(sessions(srv)) == 3, what="alice gone")
        bob.close()
        pre.close()
        hs.close()
        T.wait_for(lambda: sessions(srv) == [], what="no session left")


# --- kick -----------------------------------------------------------------

@T.test
def kick_user_in_transaction(srv):
    """kick user in the middle of a transaction with DELEs: the session
    ends at once as a dropped connection, nothing is removed, another
    user's session goes on, and the user logs in again."""
    for i in range(3):
        srv.deliver("alice", b"Subject: %d\n\nbody %d\n" % (i, i))
    fds = len(os.listdir("/proc/%d/fd" % srv.proc.pid))
    alice = T.Raw(srv.port, src="127.0.0.2")
    T.expect(login(alice, "alice", srv.password("alice"))[:3], b"+OK",
             "login")
    T.expect(alice.cmd("DELE 1")[:3], b"+OK", "DELE 1")
    T.expect(alice.cmd("DELE 2")[:3], b"+OK", "DELE 2")
    bob = srv.pop("bob")
    T.expect(row_of(sessions(srv), addr(alice.sock))["dele"], "2",
             "two marked")
    # A page per session, mapped: no descriptor per session stays open
    # but the worker's process descriptor (Linux: test_kill.py).
    pidfds = sum(1 for f in os.listdir("/proc/%d/fd" % srv.proc.pid)
                 if os.readlink("/proc/%d/fd/%s" % (srv.proc.pid, f)) ==
                 "anon_inode:[pidfd]")
    T.expect(pidfds, 2 if sys.platform.startswith("linux") else 0,
             "a process descriptor per session")
    T.expect(len(os.listdir("/proc/%d/fd" % srv.proc.pid)) - pidfds, fds,
             "the parent's other descriptors with two sessions")
    t = time.monotonic()
    T.expect(ctl(srv, "kick", "user", "alice"), "1 session ended\n", "kick")
    T.expect_true(alice.closed(5), "alice's connection closed")
    T.expect_true(time.monotonic() - t < 2, "at once",
                  time.monotonic() - t)
    srv.wait_log('control: kick user "alice" by uid 0: 1 session ended')
    srv.wait_log("alice: session ended (connection closed), nothing removed")
    T.wait_for(lambda: [r["user"] for r in sessions(srv)] == ["bob"],
               what="only bob left")
    T.expect(len(srv.files("alice", "new")) + len(srv.files("alice", "cur")),
             3, "alice's messages")
    T.expect(bob.noop()[:3], b"+OK", "bob goes on")
    p = srv.pop("alice")
    T.expect(p.stat()[0], 3, "STAT after the kick")
    p.quit()
    bob.quit()
    T.expect(ctl(srv, "kick", "user", "nobody"), "0 sessions ended\n",
             "nobody to kick")


def quit_then_gone(srv, how, n=3000):
    """alice DELEs n messages and sends QUIT; while UPDATE removes them
    the session is ended from outside (how(alice)).  The session has
    one end line, the true one ("quit", n deleted), the messages are
    gone, and nothing says "nothing removed"."""
    md = srv.maildir("alice")
    for i in range(n):
        srv.deliver("alice", b"Subject: %d\n\nbody\n" % i,
                    name="1700%06d.M1P1Q%d.host" % (i, i))
    mark = len(srv.log())
    alice = T.Raw(srv.port, src="127.0.0.2")
    T.expect(login(alice, "alice", srv.password("alice"))[:3], b"+OK",
             "login")
    alice.send(b"".join(b"DELE %d\r\n" % (i + 1) for i in range(n)))
    for i in range(n):
        T.expect(alice.line()[:3], b"+OK", "DELE %d" % (i + 1))
    alice.send(b"QUIT\r\n")
    how(alice)
    T.wait_for(lambda: "session end: user alice" in srv.log()[mark:],
               what="end line")
    T.wait_for(lambda: sessions(srv) == [], what="session gone")
    time.sleep(0.5)         # a second end line would follow at once
    log = srv.log()[mark:].splitlines()
    ends = [ln for ln in log if "session end: user alice" in ln]
    T.expect(len(ends), 1, "one end line: %r" % ends)
    T.expect_true(ends[0].endswith(", quit") and
                  ", dele %d," % n in ends[0], "the true end", ends[0])
    T.expect([ln for ln in log if "nothing removed" in ln], [],
             "no line says nothing was removed")
    T.expect(len(os.listdir(os.path.join(md, "new"))) +
             len(os.listdir(os.path.join(md, "cur"))), 0, "all removed")


@T.test
def kick_after_quit_one_end_line(srv):
    """Issue 43: a kick that lands while QUIT's UPDATE runs ends the
    connection, not the UPDATE: one end line, the true one."""
    def kick(alice):
        time.sleep(0.02)
        ctl(srv, "kick", "user", "alice")
    quit_then_gone(srv, kick)


@T.test
def reset_after_quit_one_end_line(srv):
    """The same race as kick_after_quit_one_end_line, made certain: the
    client resets the connection right after QUIT, so the reply UPDATE
    writes at its end finds the connection closed."""
    def reset(alice):
        alice.abort()
    quit_then_gone(srv, reset)


@T.test
def kick_address_every_state(srv):
    """kick address ends the sessions of a network in every state, and
    no other."""
    srv.deliver("alice", b"Subject: x\n\ny\n")
    alice = T.Raw(srv.port, src="127.0.2.1")
    login(alice, "alice", srv.password("alice"))
    pre = T.Raw(srv.port, src="127.0.2.2")
    pre.line()
    hs = socket.create_connection((T.HOST, srv.port), timeout=10,
                                  source_address=("127.0.2.3", 0))
    other = srv.pop("bob")
    T.wait_for(lambda: len(sessions(srv)) == 4, what="four sessions")
    T.expect(ctl(srv, "kick", "address", "127.0.2.0/24"),
             "3 sessions ended\n", "kick address")
    T.expect_true(alice.closed(5) and pre.closed(5) and T.is_closed(hs),
                  "all three closed")
    srv.wait_log("control: kick address 127.0.2.0/24 by uid 0: 3 sessions "
                 "ended")
    T.wait_for(lambda: [r["user"] for r in sessions(srv)] == ["bob"],
               what="bob only")
    T.expect(other.noop()[:3], b"+OK", "bob goes on")
    other.quit()
    T.expect(len(srv.files("alice", "new")), 1, "nothing removed")


# --- show stats -----------------------------------------------------------

def lmtp_deliver(path, rcpt, data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rwb")

    def reply():
        while True:
            ln = f.readline()
            if ln[3:4] != b"-":
                return ln
    T.expect(reply()[:3], b"220", "LMTP greeting")
    for cmd in (b"LHLO test", b"MAIL FROM:<x@example.net>",
                b"RCPT TO:<%s>" % rcpt.encode(), b"DATA"):
        f.write(cmd + b"\r\n")
        f.flush()
        reply()
    f.write(data + b"\r\n.\r\n")
    f.flush()
    T.expect(reply()[:3], b"250", "LMTP delivered")
    f.write(b"QUIT\r\n")
    f.flush()
    s.close()


@T.test(start=False, timeout=180)
def stats_equal_what_was_done(srv):
    """Every counter of show stats moves by exactly what the test did,
    and no other; after a reload the RELOAD column starts again."""
    srv.plain = T.free_port()
    srv.lmtp = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = ("listen on 127.0.0.1 port %d starttls\n"
                      'listen on socket "%s" lmtp\n'
                      "limit per-address logged-in 1\n"
                      # Its counters are test_logincache's.
                      "login cache 0\n"
                      % (srv.plain, srv.lmtp))
    srv.start()
    m1 = b"Subject: 1\n\none\n"
    m2 = b"Subject: 2\n\n.two, dot-stuffed\nand more\n"
    srv.deliver("alice", m1)
    srv.deliver("alice", m2)
    srv.deliver("bob", b"Subject: b\n\nbob's\n")
    T.wait_for(lambda: os.path.exists(srv.lmtp), what="the LMTP socket")
    before = stats(srv)
    want = {}

    def did(counter, n=1):
        want[counter] = want.get(counter, 0) + n

    # Two good logins; alice retrieves both and deletes one, QUIT.
    a = srv.pop("alice")
    did("connections")
    did("logins_ok")
    a.retr(1)
    a.retr(2)
    did("retrieved_messages", 2)
    did("retrieved_octets", T.rfc_size(m1) + T.rfc_size(m2))
    a.dele(1)
    # A second session of alice's: [IN-USE] (from another address:
    # per-address logged-in is 1).
    r = T.Raw(srv.port, src="127.0.0.9")
    T.expect(login(r, "alice", srv.password("alice"))[:12],
             b"-ERR [IN-USE", "in use")
    r.close()
    did("connections")
    did("logins_failed_in_use")
    a.quit()
    did("deleted_messages")
    # bob marks one and drops the connection: nothing removed.
    r = T.Raw(srv.port, src="127.0.0.10")
    login(r, "bob", srv.password("bob"))
    r.cmd("DELE 1")
    r.close()
    did("connections")
    did("logins_ok")
    T.wait_for(lambda: not sessions(srv), what="bob's wrkrpop gone")
    # Over limit per-address logged-in: alice from bob's address.
    b = T.Raw(srv.port, src="127.0.0.11")
    login(b, "bob", srv.password("bob"))
    r = T.Raw(srv.port, src="127.0.0.11")
    T.expect(login(r, "alice", srv.password("alice"))[:14],
             b"-ERR [SYS/TEMP", "per-address logged-in")
    r.close()
    b.cmd("QUIT")
    b.close()
    did("connections", 2)
    did("logins_ok")
    did("logins_failed_limit")
    did("refused_per_address_logged_in")
    # A wrong password and an unknown user.
    r = T.Raw(srv.port, src="127.0.0.12")
    T.expect(login(r, "alice", "wrong")[:11], b"-ERR [AUTH]", "wrong")
    T.expect(r.cmd("USER nosuchuser")[:3], b"+OK", "USER")
    T.expect(r.cmd("PASS x")[:11], b"-ERR [AUTH]", "unknown user")
    r.close()
    did("connections")
    did("logins_failed_auth", 2)
    # A password in the clear, refused.
    r = T.Raw(srv.plain, tls=False, src="127.0.0.13")
    T.expect(r.line()[:3], b"+OK", "greeting")
    T.expect(r.cmd("USER alice")[:11], b"-ERR [AUTH]", "plaintext USER")
    T.expect(r.cmd("PASS " + srv.password("alice"))[:11], b"-ERR [AUTH]",
             "plaintext PASS")
    r.close()
    did("connections")
    did("logins_failed_plaintext")
    # A TLS handshake that fails.
    s = socket.create_connection((T.HOST, srv.port), timeout=10)
    s.sendall(b"\x16\x03\x01\x00\x05hello" + b"garbage" * 10)
    s.settimeout(5)
    try:
        while s.recv(4096):     # a TLS alert, then the close
            pass
    except ConnectionResetError:
        pass
    s.close()
    did("connections")
    did("tls_failures")
    # mda: one delivered, one deferred (no HOME and no maildir).
    r = T.run_mda(srv, "alice", b"Subject: mda\n\nx\n",
                  args=["-s", srv.ctlsock])
    T.expect(r.returncode, 0, "mda (stderr %r)" % r.stderr)
    did("mda_delivered")
    r = T.run_mda(srv, "alice", b"Subject: mda\n\nx\n",
                  args=["-s", srv.ctlsock], env={"HOME": None})
    T.expect(r.returncode, 75, "mda without HOME (stderr %r)" % r.stderr)
    did("mda_deferred")
    # LMTP: one delivered.
    lmtp_deliver(srv.lmtp, "bob", b"Subject: lmtp\r\n\r\nhi")
    did("lmtp_delivered")

    def moved():
        now = stats(srv)
        return {k: now[k][0] - before[k][0] for k in now
                if now[k][0] != before[k][0]}
    # mda's reports travel on their own: wait for them.
    T.wait_for(lambda: moved() == want, timeout=10,
               what="show stats to equal what was done")
    T.expect(moved(), want, "counters moved")

    # A reload: RELOAD starts from 0, START goes on.
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "reload (%r)" % err)
    after = stats(srv)
    T.expect({k: v[1] for k, v in after.items() if v[1]}, {},
             "RELOAD after the reload")
    srv.pop("bob").quit()
    T.wait_for(lambda: stats(srv)["logins_ok"] ==
               (after["logins_ok"][0] + 1, 1), what="one login since")


@T.test(timeout=120, users=[("alice", "pw1"), ("bob", "pw2"),
                             ("carol", "pw3")])
def reload_names_table_fault(srv):
    """popctl reload prints a refused table's first fault with the
    table's own file:line, not only the popd.conf statement that names
    it (issue 86.5).  An edit with a duplicate name applies but for
    that user (issue 85 G2): a removed user no longer logs in, neither
    of the duplicated one's passwords works ([SYS/PERM]), the others'
    do, and the duplicate is named."""
    def reply(user, pw):
        r = T.Raw(srv.port)
        got = login(r, user, pw)
        r.close()
        return got

    utab = open(srv.usertab).read()
    srv.rewrite_usertab(utab + "bad/name 1:1:/x\n")
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 1, "reload with a bad usertab: " + out + err)
    want = '%s:%d: invalid user name "bad/name"' % (
        srv.usertab, utab.count("\n") + 1)
    T.expect_true(want in out + err, "the table's file:line", (want, err))
    srv.rewrite_usertab(utab)

    atab = open(srv.authtab).read().splitlines()
    alice = [ln for ln in atab if ln.split()[0] == "alice"][0]
    carol = [ln for ln in atab if ln.split()[0] == "carol"][0]
    edit = [ln for ln in atab if ln.split()[0] != "bob"]
    edit.append("alice" + carol[len("carol"):])
    srv.rewrite_authtab("\n".join(edit) + "\n")
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "reload with a duplicate: " + out + err)
    T.expect_true('%s:%d: "alice" has a duplicate entry (first on line %d)'
                  % (srv.authtab, len(edit), atab.index(alice) + 1)
                  in srv.log(), "the duplicate named", srv.log_tail())
    T.expect(reply("bob", "pw2")[:5], b"-ERR ", "removed bob")
    for pw in ("pw1", "pw3"):
        T.expect(reply("alice", pw)[:15], b"-ERR [SYS/PERM]",
                 "alice's password " + pw)
    T.expect(reply("carol", "pw3")[:3], b"+OK", "carol")


# --- show penalties, unpenalize --------------------------------------------

def timed_login(srv, src, user):
    r = T.Raw(srv.port, src=src)
    t = time.monotonic()
    T.expect(login(r, user, srv.password(user))[:3], b"+OK", "login")
    took = time.monotonic() - t
    r.cmd("QUIT")
    r.close()
    return took


@T.test(conf_extra="failure-delay 2s 2s\n", timeout=120,
        users=[("alice", "pw1"), ("bob", "pw2"), ("carol", "pw3"),
               ("dave", "pw4"), ("erin", "pw5"), ("frank", "pw6")])
def penalties_then_unpenalize(srv):
    """A sprayer's address is in show penalties with its failures, its
    delay, and the known user it tried (never the unknown names: a
    password typed as a name is not shown); while there, its checks go
    one per delay, good logins too; after unpenalize, good logins from
    it are as fast as from an address that never failed.  (A user who
    logged in from an address skips its delay from then on: each login
    here is another user's.)"""
    spray = "127.0.0.30"
    for user in ("alice", "nosuch1", "nosuch2", "nosuch3"):
        r = T.Raw(srv.port, src=spray)
        T.expect(login(r, user, "guess")[:11], b"-ERR [AUTH]", "spray")
        r.close()
    lines = ctl(srv, "show", "penalties").splitlines()
    T.expect(lines[0].split(), ["ADDRESS", "USER", "FAILURES", "DELAY",
                                "QUEUED"], "header")
    rows = [ln.split() for ln in lines[1:]]
    T.expect(sorted(rows), [[spray, "-", "4", "2", "0"],
                            [spray, "alice", "1", "-", "-"]], "rows")
    T.expect_true("nosuch" not in "".join(lines), "unknown names hidden")
    unloaded = timed_login(srv, "127.0.0.31", "bob")
    timed_login(srv, spray, "carol")
    T.expect_true(timed_login(srv, spray, "dave") > 1.5,
                  "the delay holds good logins too (before)")
    T.expect(ctl(srv, "unpenalize", spray), "5 entries forgotten\n",
             "unpenalize")
    srv.wait_log("control: unpenalize %s by uid 0: 5 entries forgotten"
                 % spray)
    T.expect(ctl(srv, "show", "penalties").splitlines()[1:], [],
             "nothing left")
    took = [timed_login(srv, spray, "erin"),
            timed_login(srv, spray, "frank")]
    T.expect_true(max(took) < unloaded + 0.3 and max(took) < 1,
                  "as fast as unloaded (%.3f s)" % unloaded, took)
    # A network that holds nothing: nothing forgotten.
    T.expect(ctl(srv, "unpenalize", "192.0.2.0/24"),
             "0 entries forgotten\n", "an empty network")


# --- the children the control process asks ---------------------------------

def spray_from(srv, src, users):
    for user in users:
        r = T.Raw(srv.port, src=src)
        T.expect(login(r, user, "guess")[:11], b"-ERR [AUTH]", "spray")
        r.close()


def penalty_rows(srv):
    lines = ctl(srv, "show", "penalties").splitlines()
    T.expect(lines[0].split(), ["ADDRESS", "USER", "FAILURES", "DELAY",
                                "QUEUED"], "header")
    return sorted(ln.split() for ln in lines[1:])


@T.test()
def authpop_killed_while_asked(srv):
    """popctl show penalties waits for a stopped authpop, which is then
    killed (kill -9): the answer comes at once, with what there is (the
    header), not at the control process's timeout five seconds after
    the question, and popctl exits 0.  The authpop the parent starts
    next answers the questions that follow."""
    spray_from(srv, "127.0.0.40", ("alice",))
    T.expect(len(penalty_rows(srv)), 2, "rows before")
    auth = srv.pids()["authpop"]
    os.kill(auth, signal.SIGSTOP)
    p = None
    try:
        t = time.monotonic()
        p = subprocess.Popen([T.POPCTL, "-s", srv.ctlsock, "show",
                              "penalties"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)
        T.expect(p.poll(), None, "popctl waits for the stopped authpop")
        os.kill(auth, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
        took = time.monotonic() - t
    finally:
        if p is not None and p.poll() is None:
            p.kill()
        try:
            os.kill(auth, signal.SIGKILL)
        except ProcessLookupError:
            pass
    T.expect((p.returncode, out.decode().split(), err), (0, ["ADDRESS",
             "USER", "FAILURES", "DELAY", "QUEUED"], b""), "the answer")
    T.expect_true(took < 2.5, "answered when authpop died, not at the "
                  "5 s timeout", took)
    T.wait_for(lambda: srv.pids()["authpop"] not in (None, auth),
               what="a new authpop")
    spray_from(srv, "127.0.0.41", ("alice",))
    T.wait_for(lambda: len(penalty_rows(srv)) == 2, what="its rows")
    T.expect(penalty_rows(srv)[0][0], "127.0.0.41", "the new one's")
    T.expect(ctl(srv, "unpenalize", "127.0.0.41"), "2 entries forgotten\n",
             "unpenalize")


@T.test(conf_extra="timeout handshake 300\n")
def questions_after_reload_and_control_restart(srv):
    """After a reload, the new authpop answers show penalties with what
    the previous one knew of the address, a connection held in its TLS handshake by the
    previous listener (draining) is still listed; after the control
    process is killed (kill -9) and restarted, the new one asks the same
    processes: the draining listener kicks that connection, and the
    current authpop forgets the failures."""
    src, held_src = "127.0.0.43", "127.0.0.44"
    spray_from(srv, src, ("alice",))
    held = socket.create_connection((T.HOST, srv.port), timeout=10,
                                    source_address=(held_src, 0))
    try:
        T.wait_for(lambda: [s["state"] for s in sessions(srv)
                            if s["address"].startswith(held_src + ":")] ==
                   ["handshake"], what="the held connection listed")
        before = penalty_rows(srv)
        T.expect(len(before), 2, "rows")
        n = srv.log().count("reloaded")
        srv.reload()
        T.wait_for(lambda: srv.log().count("reloaded") > n,
                   what="the reload")
        T.expect(len(srv.listeners()), 2, "a listener drains")
        T.wait_for(lambda: penalty_rows(srv) == before[:1],
                   what="the new authpop's rows")
        row = [s for s in sessions(srv)
               if s["address"].startswith(held_src + ":")]
        T.expect([(r["state"], r["listener"]) for r in row],
                 [("handshake", "127.0.0.1:%d" % srv.port)],
                 "listed by the draining listener")
        ctlpid = srv.pids()["control"]
        os.kill(ctlpid, signal.SIGKILL)
        T.wait_for(lambda: srv.pids()["control"] not in (None, ctlpid) and
                   srv.popctl("show", "penalties")[0] == 0,
                   what="a new control process")
        T.expect(penalty_rows(srv), before[:1], "asked by the new one")
        T.expect(ctl(srv, "kick", "address", held_src),
                 "1 session ended\n", "kick address")
        held.settimeout(5)
        T.expect(held.recv(100), b"", "the held connection ended")
        T.expect(ctl(srv, "unpenalize", src), "2 entries forgotten\n",
                 "unpenalize")
        T.expect(penalty_rows(srv), [], "nothing left")
    finally:
        held.close()


@T.test(conf_extra="timeout handshake 300\n")
def hostile_control_process(srv):
    """A control process that floods its channels to the listener and
    authpop with questions and never reads the answers (its channels
    taken with pidfd_getfd while it is stopped): authpop takes no
    listener's question and closes that channel, the listener closes
    its own once 1,024 answers wait unread; neither ends, nor does any
    session, and a control process started anew asks them again."""
    T.need_root()
    version, handshakes = T.msg_numbers("MSG_CONTROL_HANDSHAKES")
    question = struct.pack("=IIIIQ", handshakes, version, 8, 0, 7)
    r = T.Raw(srv.port, src="127.0.0.50")
    T.expect(r.line()[:3], b"+OK", "greeting")
    held = socket.create_connection((T.HOST, srv.port), timeout=10,
                                    source_address=("127.0.0.51", 0))
    try:
        T.wait_for(lambda: len(sessions(srv)) == 2, what="both listed")
        pids = srv.pids()
        ctlpid = pids["control"]
        os.kill(ctlpid, signal.SIGSTOP)
        try:
            chans = []
            for name in os.listdir("/proc/%d/fd" % ctlpid):
                if int(name) <= 3 or not os.readlink(
                        "/proc/%d/fd/%s" % (ctlpid, name)).startswith(
                        "socket:"):
                    continue
                s = socket.socket(fileno=T.steal_fd(ctlpid, int(name)))
                if s.type == socket.SOCK_SEQPACKET:
                    chans.append(s)
                else:
                    s.close()
            # None to tablepop (tables only), nor to a routepop
            # (no route here).
            T.expect(len(chans), 2, "channels to the listener and "
                     "authpop")
            for s in chans:
                s.settimeout(10)
                try:
                    for _ in range(1100):
                        s.send(question)
                except OSError:
                    pass        # closed by its peer, as it should be
                s.close()
            # Still stopped: once running, control would read the
            # answers that the listener had not yet queued 1,024 of.
            srv.wait_log("1024 answers unread: control is compromised")
            srv.wait_log("unexpected CONTROL_HANDSHAKES")
        finally:
            os.kill(ctlpid, signal.SIGCONT)
        after = srv.pids()
        T.expect((after["listener"], after["authpop"]),
                 (pids["listener"], pids["authpop"]), "neither ended")
        T.expect(r.cmd("CAPA")[:3], b"+OK", "the session goes on")
        r.multiline()
        os.kill(ctlpid, signal.SIGKILL)
        T.wait_for(lambda: srv.pids()["control"] not in (None, ctlpid) and
                   srv.popctl("show", "penalties")[0] == 0,
                   what="a new control process")
        T.expect(ctl(srv, "kick", "address", "127.0.0.51"),
                 "1 session ended\n", "asked again")
    finally:
        held.close()
        r.close()


# --- 1,000 sessions ---------------------------------------------------------

@T.test(conf_extra="limit sessions 2000\nlimit per-address sessions 2000\n"
        "limit handshakes 2000\nlimit per-address handshakes 2000\n"
        "timeout login 300\ntimeout handshake 300\n", timeout=300)
def thousand_sessions_listed_fast(srv):
    """With 1,000 sessions open (700 in authorization, 300 held in their
    TLS handshake, more than a listener's chunk), show sessions lists
    them all within 200 ms, popctl's whole run."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    conns = []
    try:
        for i in range(700):
            r = T.Raw(srv.port, src="127.0.3.%d" % (1 + i % 250))
            T.expect(r.line()[:3], b"+OK", "greeting %d" % i)
            # Spoken: authpop's at once, not the listener's for a second
            # (a silent one is on its way between them meanwhile).
            r.capa()
            conns.append(r)
        for i in range(300):
            conns.append(socket.create_connection(
                (T.HOST, srv.port), timeout=10,
                source_address=("127.0.4.%d" % (1 + i % 250), 0)))
        T.wait_for(lambda: len(sessions(srv)) == 1000, timeout=30,
                   what="1,000 sessions listed")
        best = None
        for _ in range(3):
            t = time.monotonic()
            rc, out, err = srv.popctl("show", "sessions")
            took = time.monotonic() - t
            T.expect(rc, 0, "popctl (%r)" % err)
            T.expect(len(out.splitlines()), 1001, "lines")
            best = took if best is None else min(best, took)
        states = [ln.split()[3] for ln in out.splitlines()[1:]]
        T.expect((states.count("authorization"), states.count("handshake")),
                 (700, 300), "states")
        T.expect_true(best < 0.2, "show sessions within 200 ms", best)
    finally:
        for c in conns:
            c.close()


@T.test(conf_extra="limit sessions 3000\nlimit per-address sessions 3000\n"
        "timeout login 300\n", timeout=300)
def non_reader_of_a_big_answer_dropped(srv):
    """A control client asks for show sessions over 2,400 sessions (well
    over a socket's buffer) and never reads: the control process holds
    the rest, answers everyone else meanwhile, POP3 logins go on, and it
    drops the client after 10 s without progress (popctl.8), not sooner;
    it is not restarted and its memory stays bounded."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 8192:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    conns = []
    try:
        for i in range(2400):
            r = T.Raw(srv.port, src="127.0.5.%d" % (1 + i % 250))
            T.expect(r.line()[:3], b"+OK", "greeting %d" % i)
            conns.append(r)
        T.wait_for(lambda: len(sessions(srv)) == 2400, timeout=30,
                   what="2,400 sessions listed")
        ctlpid = srv.pids()["control"]
        nr = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        nr.connect(srv.ctlsock)
        nr.sendall(b"show sessions\n")
        t0 = time.monotonic()
        time.sleep(1)
        for _ in range(3):
            t = time.monotonic()
            rc, out, err = srv.popctl("show", "stats")
            T.expect(rc, 0, "show stats beside the non-reader (%r)" % err)
            T.expect_true(time.monotonic() - t < 2, "show stats answered "
                          "promptly", time.monotonic() - t)
        timed_login(srv, "127.0.0.32", "bob")
        rss = int(re.search(r"VmRSS:\s+(\d+)", open(
            "/proc/%d/status" % ctlpid).read()).group(1))
        T.expect_true(rss < 32 * 1024, "control process RSS (KB)", rss)
        msg = "not reading its answer for 10 s, dropped"
        T.expect_true(msg not in srv.log(), "not dropped before 10 s")
        srv.wait_log(msg, timeout=15)
        took = time.monotonic() - t0
        T.expect_true(8 <= took <= 15, "dropped after about 10 s", took)
        # What it got is a cut answer: no last line, then the end.
        nr.settimeout(10)
        got = b""
        try:
            while True:
                b = nr.recv(65536)
                if not b:
                    break
                got += b
        except ConnectionResetError:
            pass
        nr.close()
        T.expect(srv.pids()["control"], ctlpid, "the same control process")
        rc, out, err = srv.popctl("show", "sessions")
        T.expect(rc, 0, "show sessions afterwards (%r)" % err)
        T.expect(len(out.splitlines()), 2401, "lines afterwards")
        T.expect_true(0 < len(got) < len(out) and
                      not got.endswith(b"\nok\n"), "a cut answer (of %d "
                      "bytes)" % len(out), len(got))
    finally:
        for c in conns:
            c.close()


# --- show metrics ---------------------------------------------------------

@T.test(timeout=900)
def metrics_promtool_and_node_exporter(srv):
    """show metrics is the Prometheus text format: Debian's promtool
    accepts it, and a real prometheus-node-exporter's textfile collector
    serves popd's counters to an HTTP client."""
    promtool = T.apt_install("prometheus", "promtool")
    exporter = T.apt_install("prometheus-node-exporter",
                             "prometheus-node-exporter")
    srv.deliver("alice", b"Subject: m\n\nx\n")
    p = srv.pop("alice")
    p.retr(1)
    p.quit()
    r = T.Raw(srv.port)
    login(r, "bob", "wrong")
    r.close()
    text = ctl(srv, "show", "metrics")
    check = subprocess.run([promtool, "check", "metrics"],
                           input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
    T.expect((check.returncode, check.stdout.decode()), (0, ""),
             "promtool check metrics")
    T.expect_true('popd_logins_total{result="ok"} 1\n' in text, "logins")
    T.expect_true('popd_build_info{version="%s"} 1\n' % T.version() in text,
                  "the version", text)
    T.expect_true('popd_users_by_hash{kind="bcrypt",weak="no"} %d\n' %
                  len(srv.users) in text, "authtab's users by hash", text)
    textdir = os.path.join(srv.tmpdir, "textfile")
    os.mkdir(textdir)
    # The cron line of popctl.8: write aside, then rename.
    with open(os.path.join(textdir, "popd.prom.tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(textdir, "popd.prom.tmp"),
              os.path.join(textdir, "popd.prom"))
    with NodeExporter(exporter, srv.tmpdir, textdir) as ne:
        url = "http://127.0.0.1:%d/metrics" % ne.port
        with urllib.request.urlopen(url, timeout=10) as resp:
            served = resp.read().decode()
    for line in ('popd_logins_total{result="ok"} 1',
                 'popd_logins_total{result="auth"} 1',
                 'popd_retrieved_messages_total 1',
                 "node_textfile_scrape_error 0"):
        T.expect_true(line + "\n" in served, "node_exporter serves %s"
                      % line)


# --- mda without popd -------------------------------------------------------

@T.test
def mda_never_waits_for_popd(srv):
    """mda delivers the same with no popd at its socket, and with a
    socket that nobody reads: it never waits for one."""
    r = T.run_mda(srv, "alice", b"Subject: a\n\nx\n",
                  args=["-s", os.path.join(srv.tmpdir, "none.sock")])
    T.expect(r.returncode, 0, "no socket (stderr %r)" % r.stderr)
    path = os.path.join(srv.tmpdir, "deaf.sock")
    deaf = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deaf.bind(path)
    os.chmod(path, 0o666)
    deaf.listen(1)
    try:
        t = time.monotonic()
        r = T.run_mda(srv, "alice", b"Subject: b\n\ny\n",
                      args=["-s", path])
        T.expect(r.returncode, 0, "deaf socket (stderr %r)" % r.stderr)
        T.expect_true(time.monotonic() - t < 2, "no wait",
                      time.monotonic() - t)
        c, _ = deaf.accept()
        c.settimeout(5)
        T.expect(c.recv(100), b"report mda delivered\n", "its line")
        c.close()
    finally:
        deaf.close()
    T.expect(len(srv.files("alice", "new")), 2, "both delivered")

@T.test(start=False, timeout=60)
def drain_survives_restart(srv):
    """Issue 87 item 6: popctl drain (of this backend) and popctl drain
    BACKEND (of a router's) last across a restart of popd until undrain,
    as fleet.md's upgrade steps assume: the health port says draining
    from the start, show backends says drained.  The control socket is
    outside /tmp, as /var/run/popd.sock is: on OpenBSD the confined
    parent makes the state files beside it only if it unveiled them (make
    openbsd-test runs this).  A garbage SOCKET.backends of 1 MB, or a
    FIFO there, changes no route and is logged."""
    import shutil
    import tempfile
    import test_authhttp as H
    d = tempfile.mkdtemp(prefix="popdtest-ctl.", dir="/run")
    srv.ctlsock = os.path.join(d, "popd.sock")
    hport = T.free_port()
    H.router(srv, "listen on %s port %d health\n" % (T.HOST, hport))

    def restart(health, backend):
        srv.stop()
        srv.start()
        T.expect(T.health_line(hport).split()[0], health,
                 "the health line after a restart")
        rc, out, err = srv.popctl("show", "backends")
        T.expect((rc, [ln.split()[:2] for ln in out.splitlines()[1:]]),
                 (0, [["127.0.0.2", backend], ["::1", "up"]]),
                 "show backends after a restart: " + err)
    try:
        srv.start()
        rc, out, err = srv.popctl("drain")
        T.expect((rc, out), (0, "draining, 0 sessions open\n"),
                 "drain: " + err)
        rc, out, err = srv.popctl("drain", "127.0.0.2")
        T.expect((rc, out), (0, "127.0.0.2 drained\n"), "drain 127.0.0.2: "
                 + err)
        restart("draining", "drained")
        for line in ("drained, as popctl drain left it",
                     "backend 127.0.0.2 drained, as popctl drain left it"):
            T.expect_true(line in srv.log(), "the log says the drain "
                          "lasts: " + line)
        for args in (("undrain",), ("undrain", "127.0.0.2")):
            rc, out, err = srv.popctl(*args)
            T.expect(rc, 0, "%s: %s" % (args, err))
        restart("up", "up")
        T.expect(os.path.exists(srv.ctlsock + ".drained"), False,
                 "undrain removed SOCKET.drained")
        # Root copies the page's size at most, unparsed; routepop checks.
        page = srv.ctlsock + ".backends"
        with open(page, "wb") as f:
            f.write(os.urandom(1 << 20))
        restart("up", "up")
        srv.stop()
        T.expect(os.path.getsize(page), 320 * 1024, "SOCKET.backends "
                 "written back at the page's size")
        os.unlink(page)
        os.mkfifo(page)
        restart("up", "up")
        srv.wait_log("%s: drains not kept" % page)
        srv.stop()
        srv.wait_log("%s: the next start forgets the drains" % page)
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)


@T.test
def popctl_confined_once_connected(srv):
    """popctl, connected and waiting for popd's answer, runs confined:
    pledge(2) on OpenBSD (a seccomp filter under make openbsd-test),
    a seccomp filter on Linux, with no_new_privs."""
    path = os.path.join(srv.tmpdir, "mute.sock")
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mute.bind(path)
    mute.listen(1)
    p = subprocess.Popen([T.POPCTL, "-s", path, "show", "sessions"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        c, _ = mute.accept()
        c.settimeout(5)
        T.expect(c.recv(100), b"show sessions\n", "its request")
        with open("/proc/%d/status" % p.pid) as f:
            st = dict(ln.split(":", 1) for ln in f.read().splitlines())
        T.expect((st["Seccomp"].strip(), st["NoNewPrivs"].strip()),
                 ("2", "1"), "popctl's confinement while it waits")
        c.close()
    finally:
        p.kill()
        p.communicate()
        mute.close()


if __name__ == "__main__":
    T.main()
