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

"""popd as the router of a fleet (issue 18): nginx's mail proxy asks a
popd "router" (auth_http on a unix socket) for each login; the router
checks the password, looks up the user's backend in its route table
(a file, or SQLite through OpenSMTPD's table-sqlite) and answers with
the backend's address and, for POP3, a ticket nginx logs in with, so
that the backend needs no bcrypt check of its own.

The fleet, shared by the tests (built at the first, stopped at exit):

  nginx       a master (root) and one worker as popdnginx, a user and
              group of nginx's own, as doc/fleet.md advises (Debian
              runs it as www-data, which PHP-FPM shares); pop3 with TLS
              (terminated by nginx) and imap in the clear, on
              127.0.0.1; proxy_protocol on for pop3 (a v1 header: nginx
              1.22 sends "PROXY TCP4 CLIENT NGINX CPORT NPORT")
  router      each test's own popd (srv): listen on socket ... auth-http
              group popdnginx user popdnginx, route, ticket key; users
              alice, bob@example.org, carol (who has no route)
  backend 1   popd on 127.0.0.21 (alice), bcrypt cost 12, a PROXY
              listener trusting nginx (proxy "127.0.0.1" trusted)
  backend 2   popd on 127.0.0.22 (bob@example.org, by his domain)
  dovecot     IMAP on 127.0.0.21, alice's maildir (imap_via_nginx only)

Both backends listen on the same port: a route names an address, the
route statement one port per protocol."""

import atexit
import collections
import grp
import imaplib
import os
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

B1, B2 = "127.0.0.21", "127.0.0.22"
# bob's password at the router holds a space and "%20": nginx sends
# "p%2520w%202", the router must decode it once.  His backend knows him
# by "pw2" (direct logins only: nginx logs him in with a ticket).
BOB, BOBPW = "bob@example.org", "p%20w 2"
USERS = [("alice", "pw1"), (BOB, BOBPW), ("carol", "pw3")]
AUTH_FAIL = b"-ERR [AUTH] invalid user name or password"
MSGS = {"alice": [b"Subject: a1\r\n\r\nfirst\r\n",
                  b"Subject: a2\r\n\r\nsecond\r\n"],
        BOB: [b"Subject: b1\r\n\r\none\r\n", b"Subject: b2\r\n\r\ntwo\r\n",
              b"Subject: b3\r\n\r\nthree\r\n"]}


def port_free_on(*addrs):
    """A TCP port free on each of addrs."""
    for _ in range(100):
        s = socket.socket()
        s.bind((addrs[0], 0))
        port = s.getsockname()[1]
        held = [s]
        try:
            for a in addrs[1:]:
                t = socket.socket()
                held.append(t)
                t.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for h in held:
                h.close()
    raise RuntimeError("no port free on %s" % (addrs,))


class Fleet:
    """The backends, nginx and (when asked) Dovecot, shared by the
    tests; the router is each test's srv (router())."""

    def __init__(self):
        T.need_root()
        self.nginx_prog = T.need_nginx()
        self.top = tempfile.mkdtemp(prefix="popdfleet.", dir="/tmp")
        os.chmod(self.top, 0o755)
        self.sock = os.path.join(self.top, "auth.sock")
        self.key = os.path.join(self.top, "ticket.key")
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        self.routes = os.path.join(self.top, "routes")
        with open(self.routes, "w") as f:
            f.write("# user or domain   backend\n"
                    "alice\t%s\nexample.org\t%s\n" % (B1, B2))
        self.pop3 = port_free_on(B1, B2)
        self.imap = port_free_on(B1)
        self.backends = []
        self.dovecot = None
        self.nginx = None
        atexit.register(self.cleanup)
        # alice's hash costs a bcrypt of cost 12 on her backend: a login
        # through the fleet that checked it there would show.
        self.b1 = self._backend([("alice", "pw1")], B1, cost=12)
        self.b2 = self._backend([(BOB, "pw2")], B2)
        for b in (self.b1, self.b2):
            for user in b.users:
                for m in MSGS[user]:
                    b.deliver(user, m)
        self.nginx = T.Nginx(
            self.nginx_prog, self.top, self.b1.cert, self.b1.key,
            "unix:%s:/auth" % self.sock,
            {"pop3s": ("pop3", True, "pop3_auth plain;\n"
                       "        proxy_protocol on;"),
             "imap": ("imap", False, "imap_auth plain login;")},
            user=T.daemon_user("popdnginx").pw_name).start()
        self.pop3s = self.nginx.ports["pop3s"]
        self.imap_front = self.nginx.ports["imap"]

    def _backend(self, users, addr, cost=4):
        b = T.Server(users=users, cost=cost)
        self.backends.append(b)
        b.addr = addr
        b.conf_extra = ("listen on %s port %d starttls proxy-protocol\n"
                        'proxy "127.0.0.1" trusted\n'
                        'ticket key "%s"\n'
                        # A direct login is a cost-12 check each time.
                        'login cache 0\n' % (addr, self.pop3, self.key))
        return b.start()

    def router_conf(self, route=None):
        return ('listen on socket "%s" auth-http group popdnginx '
                'user popdnginx\n'
                "%s pop3 %d imap %d\n"
                'ticket key "%s"\n'
                % (self.sock, route or 'route "%s"' % self.routes,
                   self.pop3, self.imap, self.key))

    def check(self):
        """The backends still serve and logged no crash."""
        for b in self.backends:
            if b.running:
                T.expect_true(b.alive(), "backend %s alive" % b.addr,
                              b.log_tail(10))
            T.expect(b.crashes(), [], "crashes in backend %s's log"
                     % b.addr)

    def cleanup(self):
        for d in (self.dovecot, self.nginx):
            if d is not None:
                d.cleanup()
        for b in self.backends:
            b.cleanup()
        if not os.environ.get("POPDTEST_KEEP"):
            shutil.rmtree(self.top, ignore_errors=True)


FLEET = None


def router(srv, extra="", route=None):
    """The shared fleet, srv started as its router."""
    global FLEET
    if FLEET is None:
        FLEET = Fleet()
    srv.conf_extra = FLEET.router_conf(route) + extra
    srv.start()
    T.wait_for(lambda: os.path.exists(FLEET.sock), what="the auth socket")
    return FLEET


# --- clients ---------------------------------------------------------------

def front(f, src):
    """A TLS client of nginx's pop3 server from src, greeting read."""
    r = T.Raw(f.pop3s, src=src, timeout=20)
    T.expect(r.line()[:3], b"+OK", "nginx's greeting")
    return r


def login(r, user, pw):
    """USER, PASS: PASS's answer and its time."""
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER to nginx")
    t = time.monotonic()
    return r.cmd("PASS " + pw), time.monotonic() - t


def logged(srv, *parts):
    """The lines of srv's log holding each of parts."""
    return [ln for ln in srv.log().splitlines()
            if all(p in ln for p in parts)]


def uidls_of(r):
    T.expect(r.cmd("UIDL")[:3], b"+OK", "UIDL")
    return r.multiline()


def direct_uidls(b, user):
    r = T.Raw(b.port, timeout=20)
    r.line()
    r.login(user, b.password(user))
    u = uidls_of(r)
    r.cmd("QUIT")
    r.close()
    return u


def ask(f, request, timeout=10):
    """request (bytes) to the router's socket; everything it answers
    before it closes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(f.sock)
    try:
        try:
            s.sendall(request)
        except OSError:
            pass
        out = b""
        while True:
            try:
                d = s.recv(4096)
            except ConnectionResetError:
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def request(user, pw, proto="pop3", ip="127.0.0.3", method="plain",
            attempt=1, extra=b""):
    """A request as nginx 1.22 sends it (its bytes, from experiment)."""
    return (b"GET /auth HTTP/1.0\r\nHost: localhost\r\n"
            b"Auth-Method: %s\r\nAuth-User: %s\r\nAuth-Pass: %s\r\n"
            b"Auth-Protocol: %s\r\nAuth-Login-Attempt: %d\r\n"
            b"Client-IP: %s\r\n%s\r\n"
            % (method.encode(), user.encode(), pw.encode(), proto.encode(),
               attempt, ip.encode(), extra))


def headers(answer):
    """{name: value} of an answer (the status line under "")."""
    lines = answer.split(b"\r\n")
    out = {"": lines[0]}
    for ln in lines[1:]:
        k, sep, v = ln.partition(b":")
        if sep:
            out[k.strip().decode().lower()] = v.strip()
    return out


# --- the tests -------------------------------------------------------------

@T.test(start=False)
def users_through_nginx(srv):
    """Each user reaches their own backend through the one nginx
    address (alice by her name, bob by his domain): the UIDLs a direct
    client gets, the backend logging the real client; a user with no
    route is a temporary error; the auth socket is 0660
    popdnginx:popdnginx."""
    f = router(srv)
    st = os.stat(f.sock)
    T.expect((oct(st.st_mode & 0o777), st.st_uid, st.st_gid),
             (oct(0o660), T.daemon_user("popdnginx").pw_uid,
              grp.getgrnam("popdnginx").gr_gid),
             "the auth socket's mode and owner")
    for user, b, src in (("alice", f.b1, "127.0.0.3"),
                         (BOB, f.b2, "127.0.0.4")):
        r = front(f, src)
        rep, _ = login(r, user, srv.password(user))
        T.expect(rep[:3], b"+OK", "%s through nginx" % user)
        got = uidls_of(r)
        T.expect(len(got), len(MSGS[user]), "%s's messages" % user)
        T.expect(r.cmd("RETR 1")[:3], b"+OK", "RETR")
        T.expect_true(b"\r\n".join(r.multiline()) + b"\r\n" in
                      MSGS[user], "one of %s's messages" % user)
        r.cmd("QUIT")
        r.close()
        b.wait_log("user %s from %s port" % (user, src))
        T.wait_for(lambda: logged(b, "%s:" % src,
                                  "login %s with a ticket" % user),
                   what="%s's ticket login on her backend" % user)
        T.expect(T.wait_for(lambda: direct_uidls(b, user),
                            what="a direct login to the backend"),
                 got, "%s's UIDLs directly on her backend" % user)
    # carol's password is right, but she has no backend.
    r = front(f, "127.0.0.3")
    rep, _ = login(r, "carol", "pw3")
    T.expect(rep[:15], b"-ERR [SYS/TEMP]", "a user without a route")
    r.close()
    f.check()


@T.test(start=False)
def one_bcrypt_per_login(srv):
    """A pop3 OK carries a ticket the backend takes instead of the
    password: single-use, for that user only, and no bcrypt on the
    backend (alice's hash there costs 12: a login through the fleet
    takes less than half of a direct one)."""
    f = router(srv)
    ans = ask(f, request("alice", "pw1"))
    h = headers(ans)
    T.expect((h[""], h.get("auth-status"), h.get("auth-server"),
              h.get("auth-port")),
             (b"HTTP/1.0 200 OK", b"OK", B1.encode(), b"%d" % f.pop3),
             "the router's answer for alice")
    ticket = h.get("auth-pass")
    T.expect_true(ticket and ticket != b"pw1", "a ticket, not the "
                  "password", ans)
    T.expect_true(len(ans) < 1024, "answer under 1024 bytes", len(ans))

    def via_proxy(b, user, pw, port=4000):
        """USER, PASS straight to b's PROXY listener, as nginx does."""
        r = T.Raw(f.pop3, host=b.addr, tls=False, timeout=20,
                  src="127.0.0.1", preamble=b"PROXY TCP4 127.0.0.3 %s %d %d\r\n"
                  % (b.addr.encode(), port, f.pop3))
        r.line()
        r.cmd(b"USER " + user.encode())
        t = time.monotonic()
        rep = r.cmd(b"PASS " + pw)
        took = time.monotonic() - t
        try:
            r.cmd("QUIT")
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass        # a ticket used before: the session is closed
        r.close()
        return rep, took

    # Presented for another user, on another backend: refused.
    other = headers(ask(f, request(BOB, "p%2520w%202"))).get("auth-pass")
    T.expect(via_proxy(f.b1, "alice", other)[0][:11], b"-ERR [AUTH]",
             "bob's ticket for alice")
    rep, _ = via_proxy(f.b1, "alice", ticket)
    T.expect(rep[:3], b"+OK", "alice's ticket on her backend")
    T.expect(via_proxy(f.b1, "alice", ticket, 4001)[0][:11], b"-ERR [AUTH]",
             "the same ticket again")
    f.b1.wait_log("127.0.0.3:4001: a ticket for alice refused: used before")
    # bob's ticket was refused for alice: still good for bob.
    T.expect(via_proxy(f.b2, BOB, other)[0][:3], b"+OK", "bob's ticket")
    # Timing: through nginx against a direct check of the cost-12 hash;
    # each login through nginx a ticket's on the backend.
    fleet, direct = [], []
    before = len(logged(f.b1, "login alice with a ticket"))
    for i in range(3):
        r = front(f, "127.0.0.3")
        t = time.monotonic()
        rep, _ = login(r, "alice", "pw1")
        fleet.append(time.monotonic() - t)
        T.expect(rep[:3], b"+OK", "alice through nginx")
        r.cmd("QUIT")
        r.close()
        rep, took = T.wait_for(lambda: via_proxy(f.b1, "alice", b"pw1"),
                               what="a direct login")
        T.expect(rep[:3], b"+OK", "alice's password on her backend")
        direct.append(took)
    T.expect(len(logged(f.b1, "login alice with a ticket")) - before, 3,
             "ticket logins on the backend")
    T.expect_true(statistics.median(fleet) < statistics.median(direct) / 2,
                  "a login through the fleet with no bcrypt on the backend "
                  "(fleet, direct)", (fleet, direct))
    f.check()


@T.test(start=False)
def wrong_password_waits(srv):
    """A wrong password: the router answers with Auth-Wait (whole
    seconds, at least 1) and nginx holds the -ERR that long, then takes
    another try on the same connection; an unknown user's answer is the
    same, as late."""
    f = router(srv)
    a = headers(ask(f, request("alice", "nope", ip="127.0.0.30")))
    u = headers(ask(f, request("nobody", "nope", ip="127.0.0.31")))
    for h in (a, u):
        T.expect(h.get("auth-status"), b"[AUTH] invalid user name or "
                 b"password", "the failure's status")
        T.expect_true(h.get("auth-wait", b"").isdigit() and
                      int(h["auth-wait"]) >= 1, "Auth-Wait", h)
    T.expect((a.get("auth-wait"), a.get("auth-pass"), a.get("auth-server")),
             (u.get("auth-wait"), None, None), "the same answer")
    times = {"wrong": [], "unknown": []}
    for i in range(3):
        for kind, user in (("wrong", "alice"), ("unknown", "nobody")):
            r = front(f, "127.0.0.%d" % (40 + i))
            rep, took = login(r, user, "bad%d" % i)
            T.expect(rep, AUTH_FAIL, "%s through nginx" % kind)
            T.expect_true(took >= 1.0, "-ERR no sooner than Auth-Wait",
                          took)
            times[kind].append(took)
            if kind == "wrong" and i == 0:
                # nginx keeps the connection for another try.
                rep, _ = login(r, "alice", "pw1")
                T.expect(rep[:3], b"+OK", "the right password after")
                r.cmd("QUIT")
            r.close()
    mw, mu = (statistics.median(times[k]) for k in ("wrong", "unknown"))
    T.expect_true(abs(mw - mu) < 0.1 + 0.1 * mw, "an unknown user as slow "
                  "as a wrong password", times)
    srv.wait_log('failed login for "nobody" from 127.0.0.42')
    f.check()


@T.test(start=False)
def answers_per_protocol(srv):
    """The router's answers for imap and smtp (no ticket; smtp's port
    the default 25; failures with their codes), a temporary one (no
    route) for each protocol without Auth-Wait, the last attempt
    (limit failures, 3) without Auth-Wait: through nginx, the third
    wrong password on one connection is answered and the connection
    closed; an IPv4-mapped Client-IP is the IPv4 client."""
    f = router(srv)
    ok = {"imap": f.imap, "smtp": 25}
    for proto, port in ok.items():
        h = headers(ask(f, request("alice", "pw1", proto=proto)))
        T.expect((h.get("auth-status"), h.get("auth-server"),
                  h.get("auth-port"), h.get("auth-pass")),
                 (b"OK", B1.encode(), b"%d" % port, None),
                 "alice's %s answer" % proto)
    for proto, status, code in (
            ("pop3", b"[AUTH] invalid user name or password", None),
            ("imap", b"[AUTHENTICATIONFAILED] Invalid user name or "
             b"password", None),
            ("smtp", b"Authentication credentials invalid", b"535 5.7.8")):
        h = headers(ask(f, request("alice", "bad", proto=proto)))
        T.expect((h.get("auth-status"), h.get("auth-error-code"),
                  h.get("auth-wait")), (status, code, b"1"),
                 "a wrong %s password" % proto)
    for proto, status, code in (("pop3", b"[SYS/TEMP]", None),
                                ("imap", b"[UNAVAILABLE]", None),
                                ("smtp", b"", b"454 4.7.0")):
        h = headers(ask(f, request("carol", "pw3", proto=proto)))
        T.expect_true(h.get("auth-status", b"OK").startswith(status) and
                      h.get("auth-status") != b"OK" and
                      h.get("auth-error-code") == code and
                      "auth-wait" not in h and "auth-server" not in h,
                      "no route for carol, %s" % proto, h)
    h = headers(ask(f, request("alice", "bad", attempt=3)))
    T.expect_true(h.get("auth-status", b"").startswith(b"[AUTH] ") and
                  "auth-wait" not in h, "the last attempt", h)
    r = front(f, "127.0.0.8")
    for i in (1, 2, 3):
        rep, _ = login(r, "alice", "bad%d" % i)
        T.expect(rep[:12], b"-ERR [AUTH] ", "wrong password %d" % i)
    T.expect_true(r.closed(), "nginx closes after the last attempt")
    r.close()
    T.expect(headers(ask(f, request("alice", "pw1",
                                    ip="::ffff:127.0.0.33"))
                     ).get("auth-status"), b"OK", "a mapped Client-IP")
    T.wait_for(lambda: logged(srv, " 127.0.0.33", "login alice, pop3 to"),
               what="the login logged with 127.0.0.33")
    T.expect_true("::ffff:" not in srv.log(), "no mapped address logged")
    f.check()


@T.test(start=False)
def reload_revokes(srv):
    """SIGHUP to the router after bob's line left its authtab: bob's
    next login through nginx is refused, alice's goes on."""
    f = router(srv)
    r = front(f, "127.0.0.4")
    T.expect(login(r, BOB, BOBPW)[0][:3], b"+OK", "bob before")
    r.cmd("QUIT")
    r.close()
    with open(srv.authtab) as fh:
        kept = [ln for ln in fh if not ln.startswith(BOB)]
    srv.rewrite_authtab("".join(kept))
    n = srv.log().count("reloaded")
    srv.reload()
    T.wait_for(lambda: srv.log().count("reloaded") > n, what="the reload")
    r = front(f, "127.0.0.4")
    T.expect(login(r, BOB, BOBPW)[0], AUTH_FAIL, "bob after the reload")
    r.close()
    r = front(f, "127.0.0.3")
    T.expect(login(r, "alice", "pw1")[0][:3], b"+OK", "alice after")
    r.cmd("QUIT")
    r.close()
    f.check()


@T.test(start=False)
def app_password_through_nginx(srv):
    """An app password of alice's at the router logs her in through
    nginx to her backend (a ticket, as her main password would), its
    last use the client's own address; revoked and reloaded, it is
    refused at nginx with the router's failure line, while her main
    password goes on."""
    import test_apppasswords as A
    phone, rec = A.make_app(srv, "alice", "phone")
    srv.appfile = os.path.join(srv.tmpdir, "apppass")
    srv.applast = os.path.join(srv.tmpdir, "app-passwords.last")
    A.write_apps(srv, ["alice " + rec])
    f = router(srv, 'app-passwords "%s" key "%s" last "%s"\n'
               % (srv.appfile, A.keyfile(srv), srv.applast))
    r = front(f, "127.0.0.3")
    T.expect(login(r, "alice", phone)[0][:3], b"+OK", "the app password")
    T.expect(len(uidls_of(r)), len(MSGS["alice"]), "alice's messages")
    r.cmd("QUIT")
    r.close()
    T.wait_for(lambda: logged(f.b1, "login alice with a ticket"),
               what="the ticket login on her backend")
    rc, out, err = srv.popctl("show", "app-passwords", "alice")
    T.expect_true(rc == 0 and " last-used " in out and
                  out.rstrip().endswith(" 127.0.0.3"),
                  "the last use from nginx's client", (out, err))
    A.write_apps(srv, [])
    n = srv.log().count("reloaded")
    srv.reload()
    T.wait_for(lambda: srv.log().count("reloaded") > n, what="the reload")
    r = front(f, "127.0.0.3")
    T.expect(login(r, "alice", phone)[0], AUTH_FAIL, "the revoked one")
    r.close()
    T.wait_for(lambda: logged(srv, 'failed login for "alice" from '
                              '127.0.0.3: wrong password'),
               what="the router's failure line")
    r = front(f, "127.0.0.3")
    T.expect(login(r, "alice", "pw1")[0][:3], b"+OK", "the main password")
    r.cmd("QUIT")
    r.close()
    f.check()


@T.test(start=False)
def backend_down(srv):
    """bob's backend stopped: nginx cannot reach it and tells bob
    (nginx 1.22 says "-ERR internal server error" and closes); alice
    is served all the while; bob again once it is back."""
    f = router(srv)
    f.b2.stop()
    try:
        r = front(f, "127.0.0.4")
        rep, _ = login(r, BOB, BOBPW)
        T.expect(rep, b"-ERR internal server error", "bob, backend down")
        T.expect_true(r.closed(), "closed by nginx")
        r.close()
        T.wait_for(lambda: "Connection refused" in f.nginx.log(),
                   what="nginx's log of the refused connection")
        r = front(f, "127.0.0.3")
        T.expect(login(r, "alice", "pw1")[0][:3], b"+OK", "alice")
        T.expect(r.cmd("STAT")[:5], b"+OK 2", "alice's STAT")
        r.cmd("QUIT")
        r.close()
    finally:
        f.b2.start()
    r = front(f, "127.0.0.4")
    T.expect(login(r, BOB, BOBPW)[0][:3], b"+OK", "bob, backend back")
    r.cmd("QUIT")
    r.close()
    f.check()


@T.test(start=False)
def sqlite_routes(srv):
    """Routes in SQLite (table-sqlite, asked with its alias query):
    alice by name, bob by domain; a row removed applies to the next
    login without a reload."""
    T.need_root()
    D.need_backend("sqlite")
    db = D.Sqlite(srv.tmpdir).start()
    con = sqlite3.connect(db.db)
    with con:
        con.execute("CREATE TABLE routes (k TEXT PRIMARY KEY, v TEXT)")
        con.executemany("INSERT INTO routes VALUES (?, ?)",
                        [("alice", B1), ("example.org", B2)])
    con.close()
    conf = os.path.join(db.dir, "routes.conf")
    with open(conf, "w") as fh:
        fh.write("dbpath %s\nquery_alias SELECT v FROM routes "
                 "WHERE k = ?\n" % db.db)
    D._owned(conf, mode=0o640)
    f = router(srv, extra="table routes sqlite:%s\n" % conf,
               route="route <routes>")
    for user, src in (("alice", "127.0.0.3"), (BOB, "127.0.0.4")):
        r = front(f, src)
        T.expect(login(r, user, srv.password(user))[0][:3], b"+OK",
                 "%s routed by SQLite" % user)
        T.expect(r.cmd("STAT")[:5], b"+OK %d" % len(MSGS[user]), "STAT")
        r.cmd("QUIT")
        r.close()
    con = sqlite3.connect(db.db)
    with con:
        con.execute("DELETE FROM routes WHERE k = 'example.org'")
    con.close()
    r = front(f, "127.0.0.4")
    T.expect(login(r, BOB, BOBPW)[0][:15], b"-ERR [SYS/TEMP]",
             "bob without a route row")
    r.close()
    f.check()


DOVECOT_PASSDB = """\
passdb {
  driver = passwd-file
  args = scheme=BLF-CRYPT %s/passwd
}
"""

# Dovecot trusts nginx: the router checked the password, so Dovecot's
# passdb takes any password from nginx's address (static, nopassword,
# allow_nets 127.0.0.1/32), and nothing from anywhere else.  Its
# userdb is Dovecot's passwd-file (alice's uid and backend 1's home).
DOVECOT_TRUST = """\
passdb {
  driver = static
  args = nopassword=y allow_nets=127.0.0.1/32
}
"""


class Imap4From(imaplib.IMAP4):
    """imaplib's client from a loopback address of its own."""

    def __init__(self, src, *a, **kw):
        self.src = src
        super().__init__(*a, **kw)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.src, 0))


@T.test(start=False, timeout=240)
def imap_via_nginx(srv):
    """IMAP through the same nginx to a private Dovecot on alice's
    backend address, the router deciding: alice lists her mailboxes and
    sees her messages; a wrong password is refused after Auth-Wait; a
    client straight to Dovecot is refused whatever its password."""
    f = router(srv)
    dovecot = T.need_dovecot(imap=True)
    if f.dovecot is None:
        dv = T.Dovecot(dovecot, f.b1, imap=True, extra="""
listen = %s
login_trusted_networks = 127.0.0.1/32
service imap-login {
  inet_listener imap {
    port = %d
  }
  inet_listener imaps {
    port = 0
  }
}
""" % (B1, f.imap))
        with open(dv.conf) as fh:
            text = fh.read()
        old = DOVECOT_PASSDB % dv.dir
        T.expect_true(old in text, "Dovecot's passdb in its configuration")
        with open(dv.conf, "w") as fh:
            fh.write(text.replace(old, DOVECOT_TRUST))
        f.dovecot = dv.start()
    imap = imaplib.IMAP4("127.0.0.1", f.imap_front, timeout=20)
    try:
        typ, _ = imap.login("alice", "pw1")
        T.expect(typ, "OK", "alice's IMAP login through nginx")
        typ, boxes = imap.list()
        T.expect_true(typ == "OK" and any(b"INBOX" in b for b in boxes),
                      "alice's mailboxes", boxes)
        typ, n = imap.select("INBOX", readonly=True)
        T.expect((typ, n), ("OK", [b"%d" % len(MSGS["alice"])]),
                 "alice's INBOX")
        imap.logout()
    finally:
        try:
            imap.shutdown()
        except OSError:
            pass
    s = socket.create_connection(("127.0.0.1", f.imap_front), timeout=20)
    s.recv(4096)
    t = time.monotonic()
    s.sendall(b"a1 LOGIN alice wrong\r\n")
    rep = s.recv(4096)
    took = time.monotonic() - t
    s.close()
    T.expect(rep, b"a1 NO [AUTHENTICATIONFAILED] Invalid user name or "
             b"password\r\n", "a wrong IMAP password")
    T.expect_true(took >= 1.0, "no sooner than Auth-Wait", took)
    direct = Imap4From("127.0.0.3", B1, f.imap, timeout=20)
    try:
        direct.login("alice", "pw1")
        raise AssertionError("Dovecot took a client other than nginx")
    except imaplib.IMAP4.error:
        pass
    finally:
        direct.shutdown()
    f.check()


@T.test(start=False)
def hostile_auth_requests(srv):
    """The router's socket, straight: garbage, 5 KB of headers, too many
    headers, a missing or bad Client-IP: 400; CR LF in the user name or
    the password: refused unchecked, no header injected; a method other
    than plain: refused; a client that sends half a request holds no
    one up.  It serves on: alice through nginx."""
    f = router(srv)
    for what, req in (
            ("garbage", b"\x16\x03\x01\x00\xc8garbage\r\n\r\n"),
            ("5 KB of headers", request("alice", "pw1", extra=b"".join(
                b"X-Pad-%d: %s\r\n" % (i, b"x" * 90) for i in range(50)))),
            ("40 headers", request("alice", "pw1", extra=b"".join(
                b"X-%d: y\r\n" % i for i in range(40)))),
            ("a 2 KB line", request("alice", "pw1",
                                    extra=b"X: " + b"y" * 2048 + b"\r\n")),
            ("no Client-IP", request("alice", "pw1").replace(
                b"Client-IP: 127.0.0.3\r\n", b"")),
            ("a bad Client-IP", request("alice", "pw1", ip="127.0.0.300"))):
        ans = ask(f, req)
        T.expect_true(ans == b"" or ans.startswith(b"HTTP/1.0 400"),
                      "%s: 400 or closed" % what, ans[:200])
        T.expect_true(b"Auth-Status: OK" not in ans, "%s: no OK" % what)
    for user, pw in (("alice%0d%0aAuth-Status:%20OK", "pw1"),
                     ("alice", "pw1%0d%0aX:%20y"),
                     ("alice%00", "pw1")):
        t = time.monotonic()
        ans = ask(f, request(user, pw))
        took = time.monotonic() - t
        h = headers(ans)
        T.expect_true(h.get("auth-status", b"OK") != b"OK" and
                      b"\r\n\r\n" in ans and
                      ans.count(b"Auth-Status") == 1 and
                      b"Auth-Server" not in ans,
                      "control characters refused (%r)" % user, ans)
        T.expect_true(took < 0.5, "refused at once", took)
    for method in ("apop", "cram-md5", "external", "none"):
        h = headers(ask(f, request("alice", "pw1", method=method)))
        T.expect_true(h.get("auth-status", b"OK") != b"OK" and
                      "auth-server" not in h, "method %s refused" % method,
                      h)
    # Half a request, held open: the others are answered meanwhile.
    half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    half.connect(f.sock)
    half.sendall(b"GET /auth HTTP/1.0\r\nAuth-User: al")
    try:
        h = headers(ask(f, request("alice", "pw1"), timeout=5))
        T.expect(h.get("auth-status"), b"OK", "alice during a half request")
    finally:
        half.close()
    r = front(f, "127.0.0.3")
    T.expect(login(r, "alice", "pw1")[0][:3], b"+OK", "alice via nginx")
    r.cmd("QUIT")
    r.close()
    f.check()


def spray(f, src, stop, counter, lock):
    """Wrong passwords through nginx from src, a new guess each time,
    on the same connection while nginx keeps it, reconnecting when it
    closes."""
    n = 0
    while not stop.is_set():
        try:
            r = front(f, src)
            while not stop.is_set():
                n += 1
                r.send(b"USER guess%s-%d\r\n" % (src.encode(), n))
                r.line()
                r.send(b"PASS wrong%d\r\n" % n)
                rep = r.line()
                with lock:
                    counter.append(rep[:11])
                if not rep.startswith(b"-ERR [AUTH]"):
                    break
            r.close()
        except (OSError, EOFError, AssertionError):
            stop.wait(0.05)


def session(f, src):
    """connect, TLS, USER/PASS, STAT, QUIT through nginx: its time."""
    t = time.monotonic()
    r = front(f, src)
    rep, _ = login(r, "alice", "pw1")
    T.expect(rep[:3], b"+OK", "alice's login")
    T.expect(r.cmd("STAT")[:3], b"+OK", "STAT")
    r.cmd("QUIT")
    r.close()
    return time.monotonic() - t


@T.test(start=False, timeout=120)
def spray_behind_a_shared_address(srv):
    """attack.py --shared through nginx, smaller: sprayers on alice's
    own address (127.0.0.5, a NAT) and on others (127.0.9.x) guess
    passwords through nginx; alice, who logged in from 127.0.0.5
    before, logs in within 2x of her unloaded time (medians of 5)."""
    f = router(srv, extra="failure-delay 1s 15s\n")
    src = "127.0.0.5"
    unloaded = []
    for _ in range(5):
        unloaded.append(T.wait_for(lambda: session(f, src),
                                   what="alice's session"))
        time.sleep(0.2)
    stop, lock, replies = threading.Event(), threading.Lock(), []
    ths = [threading.Thread(target=spray, args=(f, a, stop, replies, lock),
                            daemon=True)
           for a in [src] * 4 + ["127.0.9.%d" % i for i in range(1, 5)]]
    t0 = time.monotonic()
    for th in ths:
        th.start()
    try:
        time.sleep(3)
        loaded = []
        for _ in range(5):
            loaded.append(session(f, src))
            time.sleep(0.5)
    finally:
        stop.set()
        sprayed = time.monotonic() - t0
        for th in ths:
            th.join(30)
    mu, ml = statistics.median(unloaded), statistics.median(loaded)
    print("# alice unloaded %s, loaded %s, %d guesses" % (
        " ".join("%.3f" % x for x in unloaded),
        " ".join("%.3f" % x for x in loaded), len(replies)))
    # 2x of unloaded; unloaded is some 20 ms here, so a floor of 50 ms
    # keeps the scheduling noise of a shared 2-core machine out.
    T.expect_true(ml < 2 * max(mu, 0.05), "alice's median loaded (%.3f "
                  "s) within 2x unloaded (%.3f s)" % (ml, mu),
                  (unloaded, loaded))
    T.expect_true(len(replies) > 0 and set(replies) == {b"-ERR [AUTH]"},
                  "the sprayers got [AUTH] failures",
                  collections.Counter(replies))
    # The address's delay (1, 2, 4... s) bounds its guesses, however
    # many connections nginx holds for it: a few, not one per check.
    n = len(logged(srv, "failed login for", "from %s:" % src))
    T.expect_true(n <= sprayed + 4, "guesses checked for %s in %.1f s"
                  % (src, sprayed), n)
    f.check()


if __name__ == "__main__":
    T.main(users=USERS)
