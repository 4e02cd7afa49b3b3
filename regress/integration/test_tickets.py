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

"""TLS session tickets (popd.conf(5) "tls tickets"), against the real
daemon with Python's ssl (OpenSSL) as the client that keeps its
session, as Thunderbird, K-9 and Outlook do: a ticket the listener
issued resumes the session on the next connection, on the listener a
reload starts too (the parent made the keys and gives them to every
listener); a key rotation keeps the tickets of the keys before it; a
reload that changes the lifetime starts a new ring and the old tickets
get a full handshake; a ticket of another server's keys and a server
with tickets off give a full handshake, never a refusal; a step of
the listener's wall clock (regress/clockshift.so moves it for the
listener alone) breaks no handshake.  Whether a
session was resumed is read from the client (SSLSocket.session_reused)
and from the listener's log line, never from a timer."""

import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

USERS = [("alice", "pw1")]


def poll(srv, ctx, session=None, port=None):
    """One poll over TLS as fetchmail makes it (USER, PASS, STAT, QUIT),
    offering session: (the SSL session after it, whether it was
    resumed, the client's port, the STAT answer)."""
    sock = socket.create_connection((T.HOST, port or srv.port), timeout=30)
    with ctx.wrap_socket(sock, session=session) as s:
        f = s.makefile("rb")
        T.expect(f.readline()[:3], b"+OK", "greeting")
        s.sendall(b"USER alice\r\nPASS pw1\r\nSTAT\r\nQUIT\r\n")
        answers = [f.readline() for _ in range(4)]
        T.expect([a[:3] for a in answers], [b"+OK"] * 4,
                 "USER, PASS, STAT, QUIT: %r" % answers)
        return s.session, s.session_reused, s.getsockname()[1], answers[2]


def served(srv, port):
    """The listener's log line of the connection from port: (its pid,
    whether it says resumed)."""
    tag = "%s:%d: TLSv1.3" % (T.HOST, port)
    log = T.wait_for(lambda: tag in srv.log() and srv.log(), 10,
                     "the listener's line for port %d" % port)
    line = [ln for ln in log.splitlines() if tag in ln][-1]
    pid = int(line.split("[", 1)[1].split("]", 1)[0])
    return pid, line.endswith(", resumed")


def shifted(srv):
    """Start srv with a wall clock of the listener's own
    (regress/clockshift.c): returns step(seconds), which sets it that far
    from the real one, for every listener, at once."""
    subprocess.run(["make", "-s", "regress/clockshift.so"], cwd=T.REPO,
                   check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(srv.tmpdir, "clockshift")
    with open(path, "wb") as f:
        f.write(struct.pack("=q", 0))

    def step(seconds):
        with open(path, "r+b") as f:
            f.write(struct.pack("=q", seconds))

    srv.env = dict(os.environ, CLOCKSHIFT_LISTENER=path,
                   LD_PRELOAD=os.path.join(T.REPO, "regress",
                                           "clockshift.so"))
    srv.start()
    pid = srv.pids()["listener"]
    T.expect_true("clockshift.so" in open("/proc/%d/maps" % pid).read(),
                  "the listener runs with regress/clockshift.so")
    env = open("/proc/%d/environ" % srv.proc.pid, "rb").read().split(b"\0")
    T.expect_true(not any(e.startswith(b"CLOCKSHIFT=") for e in env),
                  "the parent keeps the real clock")
    return step


def polled(srv, ctx, session=None, what="a poll"):
    """poll(), a failed handshake an assertion that says so."""
    try:
        return poll(srv, ctx, session)
    except (ssl.SSLError, OSError, EOFError) as e:
        raise AssertionError("%s: %s: %s\n%s" % (what, type(e).__name__, e,
                                                  srv.log_tail(8)))


def keys_made(srv):
    return srv.log().count("tls tickets: key ")


def rewrite_conf(srv, extra):
    srv.conf_extra = extra
    text, _ = srv.config()
    srv._write(srv.conffile, text, 0o644)


def reload(srv):
    rc, out, err = srv.popctl("reload")
    T.expect(rc, 0, "popctl reload: %s%s" % (out, err))


@T.test(start=False, users=USERS)
def resumed_on_every_listener(srv):
    """With the default lifetime a full handshake gets a ticket; the next
    connection resumes with it and logs in; after a reload the new
    listener (another process) resumes it too."""
    srv.start()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, reused, port, _ = poll(srv, ctx)
    T.expect(reused, False, "the first connection is a full handshake")
    T.expect_true(sess.has_ticket, "a ticket came with it")
    T.expect(sess.ticket_lifetime_hint, 3600, "its lifetime: tls tickets "
             "1h, the default")
    first, said = served(srv, port)
    T.expect(said, False, "the listener logs a full handshake")
    _, reused, port, _ = poll(srv, ctx, sess)
    T.expect(reused, True, "the second connection resumed")
    T.expect(served(srv, port), (first, True), "the listener says resumed")

    reload(srv)
    T.wait_for(lambda: srv.pids()["listener"] not in (None, first), 10,
               "a new listener after the reload")
    _, reused, port, _ = poll(srv, ctx, sess)
    pid, said = served(srv, port)
    T.expect_true(pid != first, "served by the new listener (%d, the old "
                  "one %d)" % (pid, first))
    T.expect((reused, said), (True, True), "the new listener resumed a "
             "ticket of the old one")


@T.test(start=False, users=USERS, conf_extra="tls tickets 1m\n")
def rotation_keeps_recent_tickets(srv):
    """tls tickets 1m: a new key every 15 seconds; a ticket made before a
    rotation still resumes after it, and so does one made after it."""
    srv.start()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, _, _, _ = poll(srv, ctx)
    T.expect(sess.ticket_lifetime_hint, 60, "the lifetime hint")
    made = srv.log().count("tls tickets: key ")
    T.expect(made, 1, "one key at the start")
    T.wait_for(lambda: srv.log().count("tls tickets: key ") > made, 20,
               "a key rotation")
    _, reused, port, _ = poll(srv, ctx, sess)
    T.expect(reused, True, "the ticket of the previous key resumed")
    sess2, _, _, _ = poll(srv, ctx)
    _, reused, _, _ = poll(srv, ctx, sess2)
    T.expect(reused, True, "a ticket of the new key resumed")


@T.test(start=False, users=USERS, conf_extra="tls tickets 1m\n")
def wall_clock_forward_step(srv):
    """The listener's wall clock steps two lifetimes ahead (an NTP step
    at boot, a VM resumed) between two of the parent's rotations: the
    next handshakes succeed at once, each with a ticket that resumes; a
    ticket from before the step is past its lifetime by that clock and
    gets a full handshake; the key made for the step is every
    listener's (one a reload starts resumes its tickets)."""
    step = shifted(srv)
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, _, _, _ = polled(srv, ctx, what="before the step")
    T.expect(polled(srv, ctx, sess, "before the step")[1], True,
             "resumed before the step")
    step(120)
    sess2, reused, port, stat = polled(srv, ctx, sess, "the first "
                                       "handshake after a step of 2m")
    T.expect((reused, stat[:3]), (False, b"+OK"), "a ticket from before "
             "the step: a full handshake, and the session works")
    T.expect_true(sess2.has_ticket, "a ticket came with it")
    for i in range(5):
        T.expect(polled(srv, ctx, sess2, "handshake %d after the step" %
                        (i + 2))[1], True, "the new ticket resumes (%d)" %
                 (i + 1))
    T.expect(srv.log().count("wall clock stepped ahead of key"), 1,
             "one key made for the step, the log says why")
    first = srv.pids()["listener"]
    reload(srv)
    T.wait_for(lambda: srv.pids()["listener"] not in (None, first), 10,
               "a new listener after the reload")
    _, reused, port, _ = polled(srv, ctx, sess2, "after the reload")
    pid, said = served(srv, port)
    T.expect((pid != first, reused, said), (True, True, True),
             "the new listener resumed the ticket made after the step")


@T.test(users=USERS)
def rekey_requests_rate_limited(srv):
    """A listener taken over asks for a new key four times, each for
    the newest (the audit's G3: four voided every ticket): the parent
    makes one and refuses the rest, saying so, and a ticket from
    before still resumes."""
    T.need_root()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, _, _, _ = polled(srv, ctx, what="before the requests")
    version, typ = T.msg_numbers("MSG_LISTENER_REKEY")
    fd = T.steal_fd(srv.pids()["listener"], 3)
    try:
        for i in range(4):
            rev = int(re.findall(r"tls tickets: key (\d+) made",
                                 srv.log())[-1])
            os.write(fd, struct.pack("=IIII", typ, version, 8, 0) +
                     struct.pack("=II", rev, 3600))
            T.wait_for(lambda: srv.log().count("tls tickets: a listener") >
                       i, 10, "the parent's answer to request %d" % i)
    finally:
        os.close(fd)
    log = srv.log()
    T.expect((log.count("wall clock stepped ahead of key"),
              log.count("again within 900s: refused")), (1, 3),
             "keys made and requests refused")
    T.expect(polled(srv, ctx, sess, "after the requests")[1], True,
             "the ticket from before resumed")


@T.test(start=False, users=USERS, conf_extra="tls tickets 1m\n")
def wall_clock_step_key_late(srv):
    """The new key is late (the parent stopped while the listener's
    wall clock steps ahead): the handshake that noticed the step waits
    for it instead of failing, and completes with a ticket once the
    parent goes on."""
    step = shifted(srv)
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    polled(srv, ctx, what="before the step")
    result = []

    def client():
        try:
            result.append(poll(srv, ctx))
        except Exception as e:
            result.append(e)

    os.kill(srv.proc.pid, signal.SIGSTOP)
    try:
        step(120)
        t = threading.Thread(target=client)
        t.start()
        T.wait_for(lambda: "a new key asked" in srv.log(), 10,
                   "the listener asks for a key")
        # Long enough for a handshake that did not wait to fail; one
        # that waits is still waiting, however long this takes.
        t.join(2)
        waited = t.is_alive()
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)
    t.join(30)
    T.expect(len(result), 1, "the poll is over")
    T.expect_true(waited and not isinstance(result[0], Exception),
                  "the handshake waited for the late key",
                  "%r\n%s" % (result[0], srv.log_tail(8)))
    sess = result[0][0]
    T.expect_true(sess.has_ticket, "a ticket came with it")
    T.expect(polled(srv, ctx, sess, "with that ticket")[1], True,
             "it resumes")


@T.test(start=False, users=USERS, conf_extra="tls tickets 1m\n",
        timeout=240)
def wall_clock_backward_step(srv):
    """The listener's wall clock steps an hour back: its keys are stamped
    in its future, and so is the session inside a ticket from before the
    step.  Handshakes go on, that ticket still resumes and new ones do,
    no key is made for it; and the ticket's key still leaves the ring a
    lifetime after it was made, by the parent's monotonic clock: then
    the ticket gets a full handshake, though its session looks an hour
    younger and the client still offers it (made late in its key's
    quarter, it has a lifetime left by the client's clock)."""
    step = shifted(srv)
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    made = keys_made(srv)
    T.wait_for(lambda: keys_made(srv) > made, 20, "a key rotation")
    time.sleep(12)      # late in the quarter of that key, before the next
    sess, _, _, _ = polled(srv, ctx, what="before the step")
    issued = time.monotonic()
    made = keys_made(srv)
    step(-3600)
    _, reused, _, _ = polled(srv, ctx, sess, "after a step of -1h")
    T.expect(reused, True, "a ticket from before the step resumed")
    sess2, _, _, _ = polled(srv, ctx, what="a full handshake after it")
    T.expect(polled(srv, ctx, sess2, "the new ticket")[1], True,
             "a ticket made after the step resumed")
    T.expect_true("stepped ahead" not in srv.log(), "no key made for a "
                  "step back", srv.log_tail(10))
    T.wait_for(lambda: keys_made(srv) >= made + 4, 90,
               "four rotations: the ticket's key out of the ring")
    _, reused, _, stat = polled(srv, ctx, sess, "a lifetime later")
    age = time.monotonic() - issued
    T.expect_true(age < 58, "the client still offers the ticket: %.1fs "
                  "old of its 60s (a slower machine cannot test this)" %
                  age)
    T.expect((reused, stat[:3]), (False, b"+OK"), "a ticket of a key out "
             "of the ring: a full handshake, and the session works")


@T.test(start=False, users=USERS)
def new_lifetime_is_a_new_ring(srv):
    """A reload that changes tls tickets makes new keys: a ticket from
    before it gets a full handshake, and the session works; the ticket
    that handshake gave resumes."""
    srv.start()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, _, _, _ = poll(srv, ctx)
    T.expect(poll(srv, ctx, sess)[1], True, "resumed before the reload")
    first = srv.pids()["listener"]
    rewrite_conf(srv, "tls tickets 2h\n")
    reload(srv)
    T.wait_for(lambda: srv.pids()["listener"] not in (None, first), 10,
               "a new listener after the reload")
    sess2, reused, port, stat = poll(srv, ctx, sess)
    T.expect(reused, False, "an old ring's ticket: a full handshake")
    T.expect(stat[:3], b"+OK", "and the session works")
    T.expect(sess2.ticket_lifetime_hint, 7200, "the new lifetime")
    T.expect(poll(srv, ctx, sess2)[1], True, "the new ticket resumes")


@T.test(start=False, users=USERS)
def draining_keeps_its_ring(srv):
    """A connection made before a reload that changes tls tickets (1h
    to 2h) is served by the draining listener: its ticket says its
    lifetime (1h) and is of its own ring, so the new listener gives it
    a full handshake and a ticket of 2h, as any ticket of before the
    reload.  (The draining listener once took the new ring's keys and
    issued 1h tickets under them, which the new listener resumed.)"""
    srv.start()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    first = srv.pids()["listener"]
    early = socket.create_connection((T.HOST, srv.port), timeout=30)
    rewrite_conf(srv, "tls tickets 2h\n")
    reload(srv)
    T.wait_for(lambda: len(srv.listeners()) == 2, 10,
               "a new listener after the reload, the old one draining")
    with ctx.wrap_socket(early) as s:
        f = s.makefile("rb")
        T.expect(f.readline()[:3], b"+OK", "greeting")
        s.sendall(b"USER alice\r\nPASS pw1\r\nQUIT\r\n")
        T.expect([f.readline()[:3] for _ in range(3)], [b"+OK"] * 3,
                 "a login on the draining listener")
        sess, port = s.session, s.getsockname()[1]
    T.expect(served(srv, port)[0], first, "served by the draining one")
    T.expect(sess.ticket_lifetime_hint, 3600, "its ticket: its lifetime")
    sess2, reused, port, _ = polled(srv, ctx, sess, "the new listener")
    T.expect_true(served(srv, port)[0] != first, "the new listener")
    T.expect((reused, sess2.ticket_lifetime_hint), (False, 7200),
             "a ticket of the old ring: a full handshake, a 2h ticket")


@T.test(start=False, users=USERS)
def another_servers_ticket(srv):
    """A ticket of another popd (its own keys) is no ticket here: a full
    handshake, then a login."""
    other = T.Server(users=USERS)
    try:
        other.start()
        ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
        sess, _, _, _ = poll(other, ctx)
        T.expect(poll(other, ctx, sess)[1], True, "resumed where issued")
    finally:
        other.cleanup()
    srv.start()
    _, reused, port, stat = poll(srv, ctx, sess)
    T.expect(reused, False, "elsewhere: a full handshake")
    T.expect(served(srv, port)[1], False, "the listener logs it so")


@T.test(start=False, users=USERS, conf_extra="tls tickets 0\n")
def off(srv):
    """tls tickets 0: no resumption (OpenSSL still sends TLS 1.3 clients
    a stateful ticket, a session id that no cache holds); popd -n -v
    says so."""
    srv.start()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, _, _, _ = poll(srv, ctx)
    sess2, reused, port, _ = poll(srv, ctx, sess)
    T.expect(reused, False, "no resumption")
    T.expect(served(srv, port)[1], False, "the listener logs no resumption")
    T.expect(poll(srv, ctx, sess2)[1], False, "nor with the next one")
    r = subprocess.run([T.POPD, "-n", "-v", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    T.expect_true("tls tickets 0s\n" in r.stdout.decode(),
                  "popd -n -v prints tls tickets 0s", r.stdout.decode())
    T.expect_true("tls tickets: off" in srv.log(), "the log says off")


@T.test(start=False, users=USERS)
def tickets_stay_in_the_listener(srv):
    """A ticket is TLS, which only the listener speaks: a resumed session
    reaches authpop and its wrkrpop as plain POP3, and neither program
    links a TLS library or holds a TLS function (their dynamic section,
    their symbols); the key message goes to listeners only (test_msg)."""
    srv.start()
    ctx = T.client_ctx(minver=T.ssl.TLSVersion.TLSv1_3)
    sess, _, _, _ = poll(srv, ctx)
    _, reused, _, stat = poll(srv, ctx, sess)
    T.expect((reused, stat[:3]), (True, b"+OK"), "a resumed poll")
    for prog in (T.AUTHPOP, T.WRKRPOP):
        r = subprocess.run(["readelf", "-d", "-W", "-s", prog],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        out = r.stdout.decode(errors="replace")
        T.expect(r.returncode, 0, "readelf %s" % prog)
        bad = [w for w in ("libtls", "libssl", "libcrypto", "SSL_",
                           "tls_config", "tls_accept") if w in out]
        T.expect(bad, [], "%s links no TLS" % os.path.basename(prog))


@T.test(start=False, users=USERS)
def bad_lifetimes(srv):
    """Less than a minute (libtls's least) or more than a day: a file:line
    error, and popd does not start with it."""
    srv.port = T.free_port()
    for value, why in (("30s", "less than a minute"),
                       ("25h", "more than a day")):
        rewrite_conf(srv, "\ntls tickets %s\n" % value)
        r = subprocess.run([T.POPD, "-n", "-f", srv.conffile],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        out = r.stdout.decode()
        lineno = open(srv.conffile).read().splitlines().index(
            "tls tickets %s" % value) + 1
        T.expect(r.returncode, 1, "popd -n with tls tickets %s" % value)
        T.expect_true("%s:%d: tls tickets %s: %s" % (srv.conffile, lineno,
                                                     value, why) in out,
                      "the error names file:line and why", out)


if __name__ == "__main__":
    T.main()
