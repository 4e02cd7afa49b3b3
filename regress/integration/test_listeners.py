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

"""listeners 2 (popd.conf(5)): each client address steered to one
listener, so that its per-address limits hold exactly; a session ticket
resumed on the other listener; popctl showing both listeners'
sessions; a listener killed -9 takes its own sessions only and is
started again; a reload drains both.

The conformance and hostile-client files run with two listeners too
(POPDTEST_LISTENERS=2, make test); these are what only several
listeners can show."""

import os
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

TWO = "listeners 2"


def other_addr(srv, pid):
    """A loopback address the kernel steers to a listener other than
    pid."""
    for i in range(2, 60):
        a = "127.0.3.%d" % i
        if srv.listener_for(a) not in (None, pid):
            return a
    raise AssertionError("no address for the other listener")


def tls_from(srv, src, ctx=None, session=None):
    s = socket.create_connection((T.HOST, srv.port), timeout=10,
                                 source_address=(src, 0))
    return (ctx or T.client_ctx()).wrap_socket(s, session=session)


def login(srv, src, user):
    r = srv.raw(src=src, timeout=10)
    T.expect(r.line()[:3], b"+OK", "greeting for %s" % src)
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER from %s" % src)
    reply = r.cmd("PASS " + srv.password(user))
    T.expect(reply[:3], b"+OK", "PASS from %s (%r)" % (src, reply))
    return r


@T.test(start=False)
def one_per_core_by_default(srv):
    """Without a listeners statement, one listener per core (at most
    8), each with its keypop."""
    srv.nlisteners = None
    srv.start()
    n = min(os.cpu_count(), 8)
    T.expect(len(srv.listeners()), n, "listeners")
    T.expect(len(T.role_pids(srv, "keypop")), n, "keypops")
    T.expect_true("%d listener%s" % (n, "" if n == 1 else "s") in
                  srv.log(), "the start line says how many")


@T.test(conf_extra=TWO + "\nlimit per-address handshakes 2\n"
        "limit per-address sessions 1\nlimit per-address logged-in 1")
def per_address_limits_exact(srv):
    """With the parent stopped, finished handshakes pile up in the
    listeners: a client's connections, all on one listener, stop at its
    three per-address limits added up (4); twelve more are each closed
    before TLS, which a second listener counting on its own would
    have let in."""
    T.expect(len(srv.listeners()), 2, "two listeners")
    src = "127.0.0.31"
    os.kill(srv.proc.pid, signal.SIGSTOP)
    held, late = [], []
    try:
        for _ in range(4):
            held.append(tls_from(srv, src))
            time.sleep(0.1)
        for _ in range(12):
            s = socket.create_connection((T.HOST, srv.port), timeout=10,
                                         source_address=(src, 0))
            late.append(T.is_closed(s, 2))
            s.close()
        holders = {srv.listener_holding(c) for c in held}
        other = tls_from(srv, other_addr(srv, srv.listener_for(src)))
        served = {srv.listener_holding(other)}
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)
    T.expect(holders, {srv.listener_for(src)}, "one listener holds them")
    T.expect(late, [True] * 12, "each connection beyond 4 closed")
    T.expect_true(served != holders, "another address on the other "
                  "listener", served)
    for c in held + [other]:
        c.close()


@T.test(conf_extra=TWO)
def ticket_resumes_on_the_other_listener(srv):
    """A session ticket from one listener resumes on the other: the
    parent gives both the same keys."""
    ctx = T.client_ctx(minver=ssl.TLSVersion.TLSv1_3)
    a = "127.0.0.1"
    c = tls_from(srv, a, ctx)
    T.expect(c.recv(100)[:3], b"+OK", "greeting")
    first = srv.listener_holding(c)
    sess = c.session
    c.close()
    T.expect_true(sess is not None and sess.has_ticket, "a ticket")
    b = other_addr(srv, first)
    d = tls_from(srv, b, ctx, session=sess)
    T.expect(d.recv(100)[:3], b"+OK", "greeting, resumed")
    T.expect_true(d.session_reused, "resumed on the other listener")
    T.expect_true(srv.listener_holding(d) not in (None, first),
                  "served by the other listener")
    d.close()


@T.test(conf_extra=TWO, allow_crash=True)
def killed_listener_takes_only_its_own(srv):
    """kill -9 of one listener: its session ends, the other listener's
    goes on; the parent starts it again, and its clients get in."""
    a = "127.0.0.1"
    victim = srv.listener_for(a)
    b = other_addr(srv, victim)
    ra = login(srv, a, "alice")
    rb = login(srv, b, "bob")
    T.expect(srv.listener_holding(rb.sock) not in (None, victim), True,
             "bob on the other listener")
    os.kill(victim, signal.SIGKILL)
    T.expect_true(T.is_closed(ra.sock), "alice's session ended")
    T.expect(rb.cmd("STAT")[:3], b"+OK", "bob's session goes on")
    T.wait_for(lambda: srv.listener_for(a) not in (None, victim), 10,
               "the listener started again")
    login(srv, a, "alice").cmd("QUIT")
    T.expect(rb.cmd("QUIT")[:3], b"+OK", "bob's QUIT")


@T.test(conf_extra=TWO + "\ntimeout handshake 300")
def popctl_shows_both(srv):
    """popctl show sessions lists the sessions and the handshakes of
    both listeners, each once."""
    a = "127.0.0.1"
    b = other_addr(srv, srv.listener_for(a))
    ra, rb = login(srv, a, "alice"), login(srv, b, "bob")
    held = [socket.create_connection((T.HOST, srv.port), timeout=10,
                                     source_address=(x, 0)) for x in (a, b)]
    want = sorted([(a, "transaction"), (b, "transaction"),
                   (a, "handshake"), (b, "handshake")])

    def rows():
        rc, out, err = srv.popctl("show", "sessions")
        T.expect(rc, 0, "popctl show sessions: %s" % err)
        return sorted((ln.split()[1].rsplit(":", 1)[0], ln.split()[3])
                      for ln in out.splitlines()[1:])
    T.wait_for(lambda: rows() == want, 10, "both listeners' sessions "
               "listed once (%r)" % rows())
    for h in held:
        h.close()
    for r in (ra, rb):
        r.cmd("QUIT")


@T.test(conf_extra=TWO)
def reload_drains_both(srv):
    """After a reload both listeners drain, each keeping its session,
    and two new ones serve."""
    a = "127.0.0.1"
    first = srv.listener_for(a)
    b = other_addr(srv, first)
    ra = login(srv, a, "alice")
    rb = login(srv, b, "bob")
    old = set(srv.listeners())
    srv.reload()
    T.wait_for(lambda: len(set(srv.listeners()) - old) == 2, 10,
               "two new listeners")
    for r in (ra, rb):
        T.expect(r.cmd("STAT")[:3], b"+OK", "session kept")
        T.expect(r.cmd("QUIT")[:3], b"+OK", "QUIT")
    T.wait_for(lambda: not old & set(srv.listeners()), 10,
               "the old listeners gone")
    login(srv, b, "bob").cmd("QUIT")


if __name__ == "__main__":
    T.main()
