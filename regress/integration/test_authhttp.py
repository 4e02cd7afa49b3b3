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

"""popd's answer to nginx's mail auth_http (issue 18), spoken to directly
as nginx speaks it, against the real daemon: routes by user and by
domain, a user without a route, the answers of each protocol, refusals
(methods, control bytes, attempts, malformed requests), TCP only from
proxy networks, a router with no POP3 listener, and the tickets: their
MAC recomputed here with Python's hmac, a backend that takes one once,
and every kind of bad ticket refused.  test_fleet.py runs the same with
the real nginx in front."""

import base64
import hashlib
import hmac
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

KEY = b"k" * 20 + b"0123456789abcdef\n"
USERS = [("alice", "alice-pw"), ("bob@example.org", "bob-pw"),
         ("carol", "carol-pw")]


def router(srv, extra="", tcp=False, sockopts=""):
    """srv made a router: a unix auth-http socket, a route file (alice by
    name, example.org by domain, carol none), a ticket key."""
    srv.sock = os.path.join(srv.tmpdir, "auth.sock")
    srv.keyfile = os.path.join(srv.tmpdir, "ticket.key")
    with open(srv.keyfile, "wb") as f:
        f.write(KEY)
    os.chmod(srv.keyfile, 0o600)
    routes = os.path.join(srv.tmpdir, "routes")
    with open(routes, "w") as f:
        f.write("alice 127.0.0.2\nexample.org ::1\n")
    srv.conf_extra = ('listen on socket "%s" auth-http%s\n'
                      'route "%s" imap 1143\nticket key "%s"\n%s'
                      % (srv.sock, sockopts, routes, srv.keyfile, extra))
    if tcp:
        srv.httpport = T.free_port()
        srv.conf_extra += ("listen on 127.0.0.1 port %d auth-http\n"
                           "proxy 127.0.0.3\n" % srv.httpport)


def request(user, pw, proto="pop3", method="plain", client="192.0.2.7",
            attempt=1):
    return ("GET /auth HTTP/1.0\r\nHost: localhost\r\n"
            "Auth-Method: %s\r\nAuth-User: %s\r\nAuth-Pass: %s\r\n"
            "Auth-Protocol: %s\r\nAuth-Login-Attempt: %d\r\n"
            "Client-IP: %s\r\n\r\n" % (method, user, pw, proto, attempt,
                                       client)).encode()


def ask(srv, data, tcp=None, src="127.0.0.1"):
    """Send data as a request; returns (status line, headers, seconds)."""
    if tcp is None:
        s = socket.socket(socket.AF_UNIX)
        s.connect(srv.sock)
    else:
        s = socket.socket()
        s.bind((src, 0))
        s.connect(("127.0.0.1", tcp))
    s.settimeout(20)
    t = time.monotonic()
    got = b""
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass            # closed at once (a limit): no answer
    while True:
        try:
            x = s.recv(4096)
        except ConnectionResetError:
            break
        if not x:
            break
        got += x
    took = time.monotonic() - t
    s.close()
    if not got:
        return None, {}, took
    head = got.split(b"\r\n\r\n")[0].decode().split("\r\n")
    T.expect_true(got.endswith(b"\r\n\r\n") and len(got) <= 1024,
                  "an answer nginx reads", got)
    hdrs = dict(h.split(": ", 1) for h in head[1:])
    return head[0], hdrs, took


def login(srv, user, pw, **kw):
    return ask(srv, request(user, pw, **kw))


def ticket_mac(key, head, user, server):
    return hmac.new(key, head.encode() + b"\0" + user.encode() + b"\0" +
                    server.encode(), hashlib.sha256).hexdigest()


def make_ticket(user, expiry=None, nonce="0123456789abcdef", key=KEY,
                server=T.HOST):
    """A ticket for user at the backend address server (srv listens on
    T.HOST)."""
    head = "popd2.%d.%s" % (expiry or int(time.time()) + 60, nonce)
    return head + "." + ticket_mac(key, head, user, server)


@T.test(users=USERS, start=False)
def routes_and_answers(srv):
    """alice by her name, bob@example.org by his domain (an IPv6
    backend), carol has none: [SYS/TEMP], logged; each protocol's
    port; the failure texts of each protocol with Auth-Wait."""
    router(srv)
    srv.start()
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(st, "HTTP/1.0 200 OK", "status line")
    T.expect((h["Auth-Status"], h["Auth-Server"], h["Auth-Port"]),
             ("OK", "127.0.0.2", "110"), "alice's pop3 route")
    st, h, _ = login(srv, "bob%40example.org", "bob-pw", proto="imap")
    T.expect((h["Auth-Status"], h["Auth-Server"], h["Auth-Port"]),
             ("OK", "::1", "1143"), "bob's imap route, by domain")
    T.expect_true("Auth-Pass" not in h, "no ticket for imap", h)
    st, h, _ = login(srv, "alice", "alice-pw", proto="smtp")
    T.expect(h["Auth-Port"], "25", "smtp's default port")
    st, h, _ = login(srv, "carol", "carol-pw")
    T.expect(h["Auth-Status"], "[SYS/TEMP] cannot log in now, try again "
             "later", "carol has no route")
    T.expect_true("Auth-Wait" not in h, "no retry for a temporary "
                  "failure", h)
    srv.wait_log("carol, but route")
    for proto, text in (("pop3", "[AUTH] invalid user name or password"),
                        ("imap", "[AUTHENTICATIONFAILED] Invalid user "
                         "name or password"),
                        ("smtp", "Authentication credentials invalid")):
        st, h, _ = login(srv, "alice", "wrong", proto=proto)
        T.expect(h["Auth-Status"], text, proto + " failure")
        T.expect_true(int(h["Auth-Wait"]) >= 1, proto + ": Auth-Wait", h)
        T.expect(h.get("Auth-Error-Code"),
                 "535 5.7.8" if proto == "smtp" else None,
                 proto + ": smtp's code only")
    # Issue 37: the POP3 form, with the session ("h" for auth_http) and
    # without the port nginx does not give.
    T.expect_true(re.search(r'authpop\[\d+\]: session h\d{1,9}: failed '
                            r'login for "alice" from 192\.0\.2\.7: wrong '
                            r'password$', srv.log(), re.M),
                  "fail2ban's line, with the Client-IP", srv.log_tail())
    T.expect_true(" port 0" not in srv.log(), "no port 0")
    # The shipped fail2ban filter bans the address of both forms, as
    # the journal keeps popd -d's lines (see popd/fail2ban/popd.conf).
    T.apt_install("fail2ban", "fail2ban-regex")
    pop_fail = b"\0alice\0wrong"
    with T.Raw(srv.port) as r:
        r.line()
        T.expect(r.cmd(b"AUTH PLAIN " + base64.b64encode(pop_fail))[:4],
                 b"-ERR", "a POP3 failure")
    srv.wait_log('failed login for "alice" from 127.0.0.1 port')
    hosts, lines, out = T.fail2ban_failures(srv)
    T.expect(sorted(set(hosts)), ["127.0.0.1", "192.0.2.7"],
             "banned by the filter: %s" % out)
    T.expect(len(hosts), len(lines), "every failed login matched")


@T.test(users=USERS + [("tabby", "ta\tb\x7fby")], start=False)
def password_rule_both_paths(srv):
    """Issue 37: one rule for a password on both paths: any octets but
    NUL, CR and LF.  A password with a TAB and a DEL logs in over POP3
    and through auth_http; CR, LF or NUL in one is refused on both."""
    router(srv)
    with open(os.path.join(srv.tmpdir, "routes"), "a") as f:
        f.write("tabby 127.0.0.2\n")
    srv.start()
    pw = "ta\tb\x7fby"
    p = srv.pop("tabby", pw)
    p.quit()
    st, h, _ = login(srv, "tabby", "ta%09b\x7fby")
    T.expect(h.get("Auth-Status"), "OK", "tabby through auth_http: %r" % h)
    st, h, _ = login(srv, "tabby", "ta%09b%7Fby")
    T.expect(h.get("Auth-Status"), "OK", "escaped DEL: %r" % h)
    for bad in ("ta%0db", "ta%0ab", "ta%00b"):
        st, h, _ = login(srv, "tabby", bad)
        T.expect_true(h.get("Auth-Status", "OK") != "OK", "%s refused"
                      % bad, h)
    for bad in (b"\0tabby\0ta\rb", b"\0tabby\0ta\nb"):
        with T.Raw(srv.port) as r:
            r.line()
            got = r.cmd(b"AUTH PLAIN " + base64.b64encode(bad))
            T.expect(got[:4], b"-ERR", "AUTH PLAIN with %r" % bad)


@T.test(users=USERS, start=False)
def refusals(srv):
    """Methods other than plain/login, control bytes in the name or the
    password, attempts over limit failures, malformed requests: refused,
    never OK, the daemon serving on."""
    router(srv)
    srv.start()
    for m in ("apop", "cram-md5", "external", "none"):
        st, h, took = login(srv, "alice", "alice-pw", method=m)
        T.expect(h["Auth-Status"], "[AUTH] authentication method not "
                 "supported", m + " refused")
    for u, p in (("alice%0d%0aDELE 1", "alice-pw"),
                 ("alice", "alice-pw%0d%0aDELE%201"),
                 ("al\x7fice", "alice-pw")):
        st, h, _ = login(srv, u, p)
        T.expect(h["Auth-Status"], "[AUTH] invalid characters in user "
                 "name or password", "control bytes: %r" % u)
    # A DEL is part of a password (issue 37): a wrong one here.
    st, h, _ = login(srv, "alice", "alice-pw\x7f")
    T.expect(h["Auth-Status"], "[AUTH] invalid user name or password",
             "DEL in a password")
    st, h, _ = login(srv, "alice", "alice-pw", attempt=4)
    T.expect(h["Auth-Status"], "[AUTH] too many failures", "attempt 4")
    st, h, _ = login(srv, "alice", "wrong", attempt=3)
    T.expect((h["Auth-Status"], "Auth-Wait" in h),
             ("[AUTH] too many failures", False),
             "the last attempt: nginx closes")
    for bad in (b"garbage\r\n\r\n",
                b"GET /auth HTTP/1.0\r\n" + b"X-A: b\r\n" * 33 + b"\r\n",
                b"GET /auth HTTP/1.0\r\nX: " + b"a" * 5000,
                request("alice", "pw", client="not-an-address"),
                request("alice", "pw").replace(b"Auth-Pass", b"X-Pass")):
        st, h, _ = ask(srv, bad)
        T.expect(st, "HTTP/1.0 400 Bad Request", "400 for %r" % bad[:40])
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(h["Auth-Status"], "OK", "still serving")


# Each shape of a header value (percent-encoded as nginx sends a byte
# below 0x21, raw, or over-long), in each field: authpop's answer.
SHAPES = {"CR": "%0d", "LF": "%0a", "NUL": "%00", "tab": "%09",
          "raw tab": "\t", "long": "x" * 600}
BADCHARS = "[AUTH] invalid characters in user name or password"
WRONG = "[AUTH] invalid user name or password"


@T.test(users=USERS, start=False)
def header_shapes_reach_no_login(srv):
    """No byte nginx forwards reaches a login field (DESIGN 36): a CR,
    LF, NUL or tab in Auth-User, or a CR, LF or NUL in Auth-Pass, is
    refused as such; a tab in a password (a byte of it, issue 37) and
    an over-long value are wrong passwords; a Client-IP that is not an
    address is a 400 (a tab after it is HTTP's own whitespace).  No
    answer is OK but the last, and no log line names what followed the
    byte."""
    router(srv)
    srv.start()
    # None: a 400, no Auth-Status.
    want = {
        "user": [BADCHARS] * 5 + [WRONG],
        "pw": [BADCHARS] * 3 + [WRONG] * 3,
        "client": [None] * 4 + ["OK", None],
    }
    for field, answers in want.items():
        for (shape, code), answer in zip(SHAPES.items(), answers):
            u, p, c = "alice", "alice-pw", "192.0.2.7"
            if field == "user":
                u += code + "evil"
            elif field == "pw":
                p += code + "evil"
            else:
                c += code
            st, h, _ = login(srv, u, p, client=c)
            T.expect((st, h.get("Auth-Status")),
                     ("HTTP/1.0 400 Bad Request" if answer is None
                      else "HTTP/1.0 200 OK", answer),
                     "%s with %s" % (field, shape))
    T.expect([ln for ln in srv.log().splitlines() if "evil" in ln], [],
             "log lines naming what followed the byte")


@T.test(users=USERS, start=False)
def stored_password_unusable(srv):
    """Issue 69: a user whose stored hash popd will not take ({PLAIN})
    is loaded all the same; auth_http answers that the stored password
    cannot be used, in each protocol's words, never a wrong password;
    the others log in."""
    router(srv)
    with open(srv.authtab) as f:
        lines = [ln for ln in f if not ln.startswith("carol")]
    srv.rewrite_authtab("".join(lines) + "carol {PLAIN}carol-pw\n")
    srv.start()
    for proto, want, code in (
            ("pop3", "[SYS/PERM] the stored password cannot be used, "
             "contact the administrator", None),
            ("imap", "[CONTACTADMIN] The stored password cannot be used, "
             "contact the administrator", None),
            ("smtp", "The stored password cannot be used, contact the "
             "administrator", "554 5.7.0")):
        st, h, _ = login(srv, "carol", "carol-pw", proto=proto)
        T.expect(h.get("Auth-Status"), want, "carol over " + proto)
        T.expect(h.get("Auth-Error-Code"), code, "the code, " + proto)
    T.expect_true("failed login" not in srv.log(), "no failed login",
                  srv.log_tail())
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(h["Auth-Status"], "OK", "alice logs in")


@T.test(users=USERS, start=False)
def timing_and_delay(srv):
    """An unknown user is answered when a wrong password is (the
    constant failure time); the address's failure delay goes in
    Auth-Wait, not into the answer's time; another address is not held."""
    router(srv, extra="failure-delay 4s 8s\n")
    srv.start()
    wrong, unknown = [], []
    for i in range(6):
        # Fresh addresses: a failing one's next check waits its turn.
        wrong.append(login(srv, "alice", "wrong",
                           client="198.51.100.%d" % (10 + i))[2])
        unknown.append(login(srv, "nobody", "wrong",
                             client="198.51.100.%d" % (20 + i))[2])
    import statistics
    w, u = statistics.median(wrong), statistics.median(unknown)
    T.expect_true(abs(w - u) < 0.2 * w + 0.02, "unknown user as slow as "
                  "a wrong password (medians within 20%)", (wrong, unknown))
    st, h, took = login(srv, "alice", "wrong", client="203.0.113.9")
    T.expect_true(int(h["Auth-Wait"]) >= 3 and took < 2,
                  "the delay goes to nginx (Auth-Wait), not into the "
                  "answer", (h, took))
    # The address's next check waits out its delay (its queue), and
    # nginx is told the longer one that follows (another password: the
    # same wrong one again is not counted twice).
    time.sleep(4)
    st, h, took = login(srv, "alice", "wrong2", client="203.0.113.9")
    T.expect_true(int(h["Auth-Wait"]) >= 7, "the delay grows", h)
    st, h, took = login(srv, "alice", "alice-pw", client="203.0.113.10")
    T.expect((h["Auth-Status"], took < 1), ("OK", True),
             "another address is not held")


@T.test(users=USERS, start=False)
def tcp_from_proxies_only(srv):
    """A TCP auth-http listener answers the proxy statements' addresses
    and closes others, logged."""
    router(srv, tcp=True)
    srv.start()
    st, h, _ = ask(srv, request("alice", "alice-pw"), tcp=srv.httpport,
                   src="127.0.0.3")
    T.expect(h.get("Auth-Status"), "OK", "from a proxy")
    st, h, _ = ask(srv, request("alice", "alice-pw"), tcp=srv.httpport,
                   src="127.0.0.4")
    T.expect(st, None, "from elsewhere: closed")
    srv.wait_log("auth-http: 127.0.0.4 port")


@T.test(users=USERS, start=False)
def socket_user_only(srv):
    """Issue 42: with "user", the auth socket answers only that uid (and
    root), though its group lets others connect: on Debian PHP-FPM and
    web applications share nginx's www-data, and could otherwise ask
    with any Client-IP and Auth-Login-Attempt 1, so that no delay ever
    builds up."""
    T.need_root()
    import grp
    ngx = T.daemon_user("popdnginx")
    other = T.mailuser(3)
    router(srv, sockopts=" group popdnginx user popdnginx")
    srv.start()
    st = os.stat(srv.sock)
    T.expect((oct(st.st_mode & 0o777), st.st_uid, st.st_gid),
             (oct(0o660), ngx.pw_uid, grp.getgrnam("popdnginx").gr_gid),
             "the socket's mode and owner")
    req = request("alice", "alice-pw")
    h = T.Holder(srv.sock, ngx.pw_uid, ngx.pw_gid, 1, req)
    h.close()
    T.expect_true(h.got[0].startswith(b"HTTP/1.0 200") and
                  b"Auth-Status: OK" in h.got[0], "nginx's user answered",
                  h.got[0])
    # Another program in nginx's group: closed without an answer.
    h = T.Holder(srv.sock, other.pw_uid, ngx.pw_gid, 3, req)
    h.close()
    # Closed before or after its request was written: EOF, a reset, or
    # a broken pipe, never an answer.
    T.expect_true(all(g in (b"", b"error ConnectionResetError",
                            b"error BrokenPipeError")
                      for g in h.got), "another uid of the group: closed "
                  "without an answer", h.got)
    srv.wait_log("auth-http: uid %d is not the socket's user (uid %d), "
                 "closed" % (other.pw_uid, ngx.pw_uid))
    st, hd, _ = login(srv, "alice", "alice-pw")
    T.expect(hd.get("Auth-Status"), "OK", "root is answered")
    r = subprocess.run([T.POPD, "-n", "-v", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    T.expect_true('auth-http group "popdnginx" user "popdnginx"' in
                  r.stdout.decode(), "popd -n -v prints the user",
                  r.stdout.decode())


@T.test(users=USERS, start=False)
def router_only(srv):
    """A router with no POP3 listener at all starts, answers, reloads,
    and leaves no process restarting."""
    router(srv)
    srv.port = T.free_port()
    text, _ = srv.config()
    text = "\n".join(ln for ln in text.splitlines()
                     if not ln.startswith(("listen on 127", "pki ")))
    conf = os.path.join(srv.tmpdir, "router.conf")
    with open(conf, "w") as f:
        f.write(text + "\n")
    import subprocess
    logf = open(srv.logfile, "ab")
    p = subprocess.Popen([T.POPD, "-d", "-v", "-f", conf], stdout=logf,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        T.wait_for(lambda: os.path.exists(srv.sock) and
                   "ready" in srv.log(), 10, "the router's socket")
        st, h, _ = login(srv, "alice", "alice-pw")
        T.expect(h["Auth-Status"], "OK", "a router without POP3")
        os.kill(p.pid, 1)
        T.wait_for(lambda: "reloaded" in srv.log(), 10, "reload")
        st, h, _ = login(srv, "alice", "alice-pw")
        T.expect(h["Auth-Status"], "OK", "after a reload")
        T.expect_true("restarting" not in srv.log(), "no child restarted",
                      srv.log_tail())
    finally:
        p.terminate()
        p.wait(10)
        logf.close()
    # A clean exit removes the socket file it made (issue 37).
    T.expect_true(not os.path.exists(srv.sock), "socket file removed")


@T.test(users=USERS, start=False)
def tickets(srv):
    """The router's ticket is HMAC-SHA256 of what it says under the key
    (recomputed here), bound to the backend it routes to (Auth-Server);
    a backend (srv itself: the same key) logs alice in with a ticket
    made for its own address without a password check, once, and again
    not after a reload (issue 42: the parent keeps the spent ones);
    the router's ticket for 127.0.0.2 is nothing at srv's 127.0.0.1; a
    replay, another user's ticket, an expired one, one from another key
    and a forged one are checked as passwords and fail."""
    router(srv)
    srv.start()
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(h["Auth-Server"], "127.0.0.2", "alice's backend")
    t = h["Auth-Pass"]
    tag, expiry, nonce, mac = t.split(".")
    T.expect_true(tag == "popd2" and abs(int(expiry) - time.time() - 60)
                  < 5 and len(nonce) == 16, "ticket form", t)
    T.expect(mac, ticket_mac(KEY, "%s.%s.%s" % (tag, expiry, nonce),
                             "alice", "127.0.0.2"), "the ticket's HMAC-SHA256")

    def refused(user, pw, why):
        with srv.raw() as r:
            r.line()
            r.ok("USER " + user)
            resp = r.cmd("PASS " + pw)
            T.expect(resp[:12], b"-ERR [AUTH] ", why)
        srv.wait_log("a ticket for %s refused: %s" % (user, why))

    def taken(pw, what):
        with srv.raw() as r:
            r.line()
            r.ok("USER alice")
            T.expect(r.cmd("PASS " + pw)[:3], b"+OK", what)
            r.ok("QUIT")

    refused("alice", t, "not made for this user at this address with our "
            "key")
    good = make_ticket("alice")
    taken(good, "a ticket made for this backend")
    srv.wait_log("login alice with a ticket")
    T.expect(srv.log().count("password checkers"), 1, "no password check")
    time.sleep(0.2)
    refused("alice", good, "used before")
    srv.reload()
    T.wait_for(lambda: "reloaded" in srv.log(), 10, "the reload")
    T.wait_for(lambda: srv.log().count("password checkers") == 2, 10,
               "a new authpop")
    n = srv.log().count("refused: used before")
    refused("alice", good, "used before")
    T.expect(srv.log().count("refused: used before"), n + 1,
             "refused by the parent after the reload")
    refused("carol", make_ticket("alice", nonce="2" * 16), "not made for "
            "this user at this address with our key")
    refused("alice", make_ticket("alice", expiry=int(time.time()) - 1),
            "expired")
    refused("alice", make_ticket("alice", key=b"another key" * 4),
            "not made for this user at this address with our key")
    refused("alice", make_ticket("alice", expiry=int(time.time()) + 3600),
            "from the future: are the clocks apart?")
    refused("alice", "popd2.1.zz.00", "malformed")
    # A fresh good one, made here with the key: taken once.
    taken(make_ticket("alice", nonce="fedcba9876543210"), "our own ticket")
    # An auth_http request never takes a ticket for a password.
    st, h, _ = login(srv, "alice", make_ticket("alice", nonce="1" * 16))
    T.expect(h["Auth-Status"], "[AUTH] invalid user name or password",
             "no ticket through auth_http")


@T.test(users=USERS, start=False)
def route_values(srv):
    """nginx takes only a literal IP in Auth-Server: a route file with a
    host name is refused naming its line; a database's answer that is
    not an address (a host name) is [SYS/TEMP], logged, never sent to
    nginx; two rows are a pool, of which one backend is sent."""
    import sqlite3
    import subprocess
    router(srv)
    srv.port = T.free_port()
    with open(os.path.join(srv.tmpdir, "routes"), "w") as f:
        f.write("alice 127.0.0.2\nbob@example.org mail2.example.org\n")
    text, _ = srv.config()
    conf = os.path.join(srv.tmpdir, "r.conf")
    with open(conf, "w") as f:
        f.write(text)
    r = subprocess.run([T.POPD, "-n", "-f", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    T.expect_true(r.returncode != 0 and b'routes:2: "bob@example.org": '
                  b'"mail2.example.org" is not an IPv4 or IPv6 address'
                  in r.stdout, "a host name in a route file", r.stdout)
    T.need_root()
    D.need_backend("sqlite")
    db = D.Sqlite(srv.tmpdir).start()
    con = sqlite3.connect(db.db)
    with con:
        con.execute("CREATE TABLE routes (k TEXT, v TEXT)")
        con.executemany("INSERT INTO routes VALUES (?, ?)",
                        [("alice", "mail1.example.org"),
                         ("carol", "127.0.0.2"), ("carol", "127.0.0.3"),
                         ("example.org", "127.0.0.4")])
    con.close()
    sqlite_routes(srv, db)
    try:
        srv.start()
        st, h, _ = login(srv, "bob%40example.org", "bob-pw")
        T.expect(h["Auth-Server"], "127.0.0.4", "bob by his domain")
        st, h, _ = login(srv, "alice", "alice-pw")
        T.expect((h["Auth-Status"], "Auth-Server" in h),
                 ("[SYS/TEMP] cannot log in now, try again later",
                  False), "alice's route is not an address")
        srv.wait_log("route <routes>: the backend of alice is not an "
                     "IPv4 or IPv6 address, or a pool of 8 at most")
        # Two rows are a pool: carol is sent to one of them.
        st, h, _ = login(srv, "carol", "carol-pw")
        T.expect_true(h.get("Auth-Server") in ("127.0.0.2", "127.0.0.3"),
                      "carol's backend, of her two rows", h)
    finally:
        srv.stop()
        db.cleanup()


@T.test(users=USERS, start=False)
def request_deadline_and_limit(srv):
    """Before its request is whole, an auth_http connection has 10 s;
    at most limit sessions are open at once, the next ones closed at
    once and logged; then requests are answered again."""
    router(srv, extra="limit sessions 3\n")
    srv.start()
    held = []
    for i in range(3):
        s = socket.socket(socket.AF_UNIX)
        s.connect(srv.sock)
        s.sendall(b"GET /auth HTTP/1.0\r\nAuth-Method: pl")
        held.append(s)
    time.sleep(0.3)
    st, h, took = login(srv, "alice", "alice-pw")
    T.expect((st, took < 1), (None, True), "over limit sessions: closed")
    srv.wait_log("requests open (limit sessions)")
    t = time.monotonic()
    held[0].settimeout(20)
    T.expect(held[0].recv(100), b"", "a slow request closed")
    took = time.monotonic() - t
    T.expect_true(8 < took < 12, "within its 10 s", took)
    for s in held:
        s.close()
    time.sleep(0.3)
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(h.get("Auth-Status"), "OK", "answered again")


@T.test(users=USERS, start=False)
def bad_ticket_key(srv):
    """popd -n: a key others may read, or too short, is refused with
    its statement's place."""
    router(srv)
    import subprocess
    srv.port = T.free_port()
    text, _ = srv.config()
    conf = os.path.join(srv.tmpdir, "k.conf")
    with open(conf, "w") as f:
        f.write(text)
    for mode, data, why in ((0o644, KEY, "others may read it"),
                            (0o600, b"short", "must hold 32 to 4096 "
                             "bytes")):
        with open(srv.keyfile, "wb") as f:
            f.write(data)
        os.chmod(srv.keyfile, mode)
        r = subprocess.run([T.POPD, "-n", "-f", conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        T.expect_true(r.returncode != 0 and why.encode() in r.stdout and
                      b"k.conf:" in r.stdout, "popd -n: " + why, r.stdout)


class FakeHealth:
    """A backend's health port at addr:port that answers self.line to
    every connection, then closes (as popd's listener does)."""

    def __init__(self, addr, port, line=b"up 0\n"):
        self.line = line
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((addr, port))
        self.s.listen(16)
        self.s.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.s.accept()
            except OSError:
                continue
            try:
                c.sendall(self.line)
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.t.join(5)
        self.s.close()


@T.test(users=USERS, start=False, timeout=120)
def degraded_backend_gets_no_new_user(srv):
    """A backend whose health line says "degraded N" (a session stuck
    in its mail store, test_stuckstore.py) takes no new user: alice's
    next route is the pool's other backend, popctl show backends says
    degraded, the log says why; with every backend degraded she is
    routed to her own still; "up" again brings her back."""
    hport = T.free_port()
    fakes = [FakeHealth(a, hport) for a in ("127.0.0.2", "127.0.0.3")]
    try:
        router(srv)
        routes = os.path.join(srv.tmpdir, "routes")
        with open(routes, "w") as f:
            f.write("alice 127.0.0.2, 127.0.0.3\n")
        srv.conf_extra = srv.conf_extra.replace(
            "imap 1143", "imap 1143 health %d" % hport)
        srv.start()

        def backends():
            rc, out, err = srv.popctl("show", "backends")
            T.expect(rc, 0, "popctl show backends: " + err)
            return out
        T.wait_for(lambda: len(re.findall(r" up ", backends())) == 2,
                   timeout=5, what="both backends checked up")
        first = login(srv, "alice", "alice-pw")[1]["Auth-Server"]
        fake = fakes[["127.0.0.2", "127.0.0.3"].index(first)]
        fake.line = b"degraded 1\n"
        T.wait_for(lambda: re.search(r"^%s +degraded " % re.escape(first),
                                     backends(), re.M),
                   timeout=5, what=first + " shown degraded")
        other = login(srv, "alice", "alice-pw")[1]["Auth-Server"]
        T.expect_true(other != first, "alice routed away from the "
                      "degraded backend", other)
        T.expect_true("backend %s degraded" % first in srv.log(),
                      "the router's log says degraded")
        # All degraded: still served, by her own, never [SYS/TEMP].
        for f in fakes:
            f.line = b"degraded 1\n"
        T.wait_for(lambda: len(re.findall(r" degraded ", backends())) == 2,
                   timeout=5, what="both backends degraded")
        T.expect(login(srv, "alice", "alice-pw")[1].get("Auth-Server"),
                 first, "alice's route when every backend is degraded")
        for f in fakes:
            f.line = b"up 1\n"
        T.wait_for(lambda: login(srv, "alice", "alice-pw")[1].get(
            "Auth-Server") == first, timeout=5, interval=0.2,
                   what="alice back on " + first)
    finally:
        for f in fakes:
            f.close()



def httppop_pid(srv, other=None, timeout=10):
    """The pid of srv's httppop (not other), waited for."""
    def find():
        for p in T.descendants(srv.proc.pid):
            if "httppop" in T.proc_cmdline(p) and p != other:
                return p
        return None
    return T.wait_for(find, timeout, "an httppop")


@T.test(users=USERS, start=False)
def httppop_killed_mid_request(srv):
    """Issue 71: nginx's requests are read by httppop.  Killed while it
    reads one, it takes only that request: POP3 logins (authpop) go on,
    the parent restarts it, and auth_http answers again."""
    router(srv)
    srv.start()
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(h.get("Auth-Status"), "OK", "answered before")
    old = httppop_pid(srv)
    s = socket.socket(socket.AF_UNIX)
    s.connect(srv.sock)
    s.sendall(b"GET /auth HTTP/1.0\r\nAuth-Method: pl")
    time.sleep(0.3)
    os.kill(old, signal.SIGKILL)
    s.settimeout(10)
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    s.close()
    T.expect(got, b"", "the request in flight: closed, unanswered")
    p = srv.pop("carol", "carol-pw")
    p.quit()
    srv.wait_log("httppop (pid %d) killed by signal 9, restarting" % old)
    httppop_pid(srv, other=old)
    T.wait_for(lambda: login(srv, "alice", "alice-pw")[1].get(
        "Auth-Status") == "OK", 10, "auth_http answered again")


@T.test(users=USERS, start=False)
def authpop_killed_mid_request(srv):
    """Issue 71: httppop keeps nginx's connection while authpop checks
    the password.  authpop killed meanwhile, that request is answered
    as a temporary failure, and the restarted authpop checks the next."""
    router(srv)
    srv.start()
    T.expect(login(srv, "alice", "alice-pw")[1].get("Auth-Status"), "OK",
             "answered before")
    old = srv.pids()["authpop"]
    os.kill(old, signal.SIGSTOP)
    got = {}
    t = threading.Thread(target=lambda: got.update(
        h=login(srv, "alice", "alice-pw")[1]))
    t.start()
    time.sleep(0.5)
    os.kill(old, signal.SIGKILL)
    t.join(20)
    T.expect(got.get("h", {}).get("Auth-Status"),
             "[SYS/TEMP] cannot log in now, try again later",
             "the request in flight: a temporary failure")
    srv.wait_log("authpop (pid %d) killed by signal 9" % old)
    T.wait_for(lambda: login(srv, "alice", "alice-pw")[1].get(
        "Auth-Status") == "OK", 10, "auth_http answered again")


@T.test(users=USERS, start=False)
def httppop_holds_no_authtab(srv):
    """Issue 71: the process that parses auth_http requests holds no
    password hash: its memory maps and descriptors name no table, and
    its user cannot read authtab."""
    router(srv)
    srv.start()
    st, h, _ = login(srv, "alice", "alice-pw")
    T.expect(h.get("Auth-Status"), "OK", "answered")
    pid = httppop_pid(srv)
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    T.expect_true("authtab" not in maps and "usertab" not in maps,
                  "no table in its maps", maps)
    fds = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            fds.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            continue
    tables = (srv.authtab, srv.usertab, "authtab", "usertab", "memfd:")
    T.expect_true(fds and not any(t in l for l in fds for t in tables),
                  "no table among its descriptors", fds)
    with open("/proc/%d/status" % pid) as f:
        st = dict(ln.split(":", 1) for ln in f.read().splitlines())
    uid = int(st["Uid"].split()[0])
    gid = int(st["Gid"].split()[0])
    groups = [int(g) for g in st["Groups"].split()]
    T.expect_true(uid != 0 and gid != 0, "unprivileged", st["Uid"])
    child = os.fork()
    if child == 0:
        try:
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            with open(srv.authtab, "rb"):
                os._exit(1)
        except PermissionError:
            os._exit(0)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    T.expect(os.waitstatus_to_exitcode(status), 0,
             "httppop's user cannot read authtab")


@T.test(users=USERS, start=False)
def authpop_only_checks(srv):
    """Issue 71: authpop links no HTTP answer and no route (httppop
    answers nginx and asks tablepop); httppop links no ticket key and
    no password check (authpop makes the tickets)."""
    def syms(prog):
        out = subprocess.run(["nm", prog], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        return set(ln.split()[-1] for ln in out.splitlines() if ln.strip())
    httppop = os.path.join(T.REPO, "httppop", "httppop")
    a, h = syms(T.AUTHPOP), syms(httppop)
    T.expect(sorted(a & {"http_answer", "http_token", "texts",
                         "authpop_table_route", "http_route"}), [],
             "authpop: no HTTP answer, no route")
    T.expect_true("valid_httpreq" in a and "valid_verdict" in h,
                  "each checks what the other sends")
    T.expect(sorted(h & {"ticket_make", "ticket_init", "auth_start",
                         "valid_httpreq"}), [],
             "httppop: no ticket key, no password check")
    T.expect_true({"httppop_verify", "ticket_make", "apppass_mac"} <= a,
                  "authpop has auth_http, tickets and app passwords")


def chan_end(pid, peer):
    """A copy of process pid's end of its channel to process peer, found
    by the peer inode ss(8) reads from the kernel (a socketpair's
    credentials are its maker's, the parent's)."""
    out = subprocess.run([T.need_prog("ss"), "-xapH"], capture_output=True,
                         check=True).stdout.decode()
    ino = {}                    # inode -> (pid, fd)
    peers = {}                  # inode -> its peer's
    for ln in out.splitlines():
        f = ln.split()
        m = re.search(r"pid=%d,fd=(\d+)" % pid, ln)
        n = re.search(r"pid=%d,fd=(\d+)" % peer, ln)
        if len(f) < 8 or not (m or n):
            continue
        ino[f[5]] = (pid, int(m.group(1))) if m else (peer,
                                                      int(n.group(1)))
        peers[f[5]] = f[7]
    for i, (p, fd) in ino.items():
        if p == pid and ino.get(peers[i], (0,))[0] == peer:
            return T.steal_fd(pid, fd)
    raise AssertionError("no channel between %d and %d" % (pid, peer))


def sqlite_routes(srv, db):
    """router()'s route file replaced by db's table routes, asked with
    OpenSMTPD's table-sqlite (query_alias on routes (k, v))."""
    dbconf = os.path.join(db.dir, "routes.conf")
    with open(dbconf, "w") as f:
        f.write("dbpath %s\nquery_alias SELECT v FROM routes WHERE k = ?\n"
                % db.db)
    D._owned(dbconf, mode=0o640)
    srv.conf_extra = srv.conf_extra.replace(
        'route "%s"' % os.path.join(srv.tmpdir, "routes"),
        "table routes sqlite:%s\nroute <routes>" % dbconf)

def flood(srv, sender, receiver, name, msg, log):
    """As a compromised sender that reads nothing: SIGSTOP it, send
    receiver up to 5,000 messages name (msg, a ctypes structure with an
    id, numbered 1, 2, ...) on its channel, and wait for receiver's log
    line saying it cut the sender off; then SIGCONT."""
    import struct
    s = socket.socket(fileno=chan_end(sender, receiver))
    os.kill(sender, signal.SIGSTOP)
    try:
        version, mtype = T.msg_numbers(name)
        s.settimeout(0.5)
        for i in range(1, 5001):
            msg.id = i
            payload = bytes(msg)
            try:
                s.send(struct.pack("=IIII", mtype, version, len(payload),
                                   0) + payload)
            except (socket.timeout, BrokenPipeError,
                    ConnectionResetError):
                break
        srv.wait_log(log)
    finally:
        s.close()
        os.kill(sender, signal.SIGCONT)

def login_msg(user):
    """A struct msg_login (proto.h) for user, as ctypes lays it out."""
    import ctypes

    class Login(ctypes.Structure):
        _fields_ = [("id", ctypes.c_uint64), ("user", ctypes.c_char * 65),
                    ("nonce", ctypes.c_uint64), ("expiry", ctypes.c_int64),
                    ("app", ctypes.c_char * 33)]
    return Login(user=user)




@T.test(users=USERS, start=False)
def httppop_reads_no_verdict(srv):
    """A compromised httppop that sends requests without end and reads
    none of authpop's verdicts is cut off once more verdicts wait than
    limit sessions could make: authpop's memory stays bounded, and it
    goes on checking POP3 logins."""
    import ctypes

    class Req(ctypes.Structure):
        _fields_ = [("id", ctypes.c_uint64), ("method", ctypes.c_int32),
                    ("protocol", ctypes.c_int32),
                    ("attempt", ctypes.c_int32),
                    ("flags", ctypes.c_uint32 * 3),
                    ("af", ctypes.c_uint16), ("port", ctypes.c_uint16),
                    ("a", ctypes.c_ubyte * 16),
                    ("user", ctypes.c_char * 65),
                    ("pass_", ctypes.c_char * 512)]
    router(srv, extra="limit sessions 4\n")
    srv.start()
    hp, ap = httppop_pid(srv), srv.pids()["authpop"]
    req = Req(method=6, attempt=1, af=socket.AF_INET, user=b"x")
    req.a[:4] = [192, 0, 2, 7]
    flood(srv, hp, ap, "MSG_HTTP_VERIFY", req, "verdicts unread")
    T.expect(srv.pids()["authpop"], ap, "authpop goes on")
    p = srv.pop("carol", "carol-pw")
    p.quit()


@T.test(users=USERS, start=False)
def httppop_reads_no_route(srv):
    """A compromised httppop that asks routes without end and reads none
    of routepop's answers is cut off past what limit sessions allows:
    routepop's memory stays bounded, and it goes on routing."""
    router(srv, extra="limit sessions 4\n")
    srv.start()
    hp = httppop_pid(srv)
    rp = T.wait_for(lambda: next((p for p in T.descendants(srv.proc.pid)
                                  if "routepop" in T.proc_cmdline(p)),
                                 None), 10, "routepop")
    m = login_msg(b"alice")
    flood(srv, hp, rp, "MSG_HTTP_ROUTE", m, "routes unread")
    T.expect_true(rp in T.descendants(srv.proc.pid), "routepop goes on")


@T.test(users=USERS, start=False)
def routepop_reads_no_value(srv):
    """A compromised routepop that asks tablepop route values without
    end and reads none of the answers is cut off past what limit
    sessions allows: tablepop's memory stays bounded, and it goes on
    answering the parent (POP3 logins work)."""
    router(srv, extra="limit sessions 4\n")
    srv.start()
    rp = T.wait_for(lambda: next((p for p in T.descendants(srv.proc.pid)
                                  if "routepop" in T.proc_cmdline(p)),
                                 None), 10, "routepop")
    tp = T.tablepop_pid(srv)
    m = login_msg(b"alice")
    flood(srv, rp, tp, "MSG_ROUTE_LOOKUP", m, "answers unread")
    T.expect(T.tablepop_pid(srv), tp, "tablepop goes on")
    p = srv.pop("carol", "carol-pw")
    p.quit()


@T.test(users=USERS, start=False, timeout=180)
def routepop_backends_bounded(srv):
    """A compromised tablepop that answers routepop with pools of ever
    new addresses makes it keep no more backends than its page holds
    (4095): a route to none but new ones is then [SYS/TEMP], logged,
    and routepop's memory and health checks stay bounded."""
    import ctypes
    import struct

    class Login(ctypes.Structure):
        _fields_ = [("id", ctypes.c_uint64), ("user", ctypes.c_char * 65),
                    ("nonce", ctypes.c_uint64), ("expiry", ctypes.c_int64),
                    ("app", ctypes.c_char * 33)]

    class Val(ctypes.Structure):
        _fields_ = [("id", ctypes.c_uint64), ("status", ctypes.c_uint32),
                    ("value", ctypes.c_char * 512)]

    class Route(ctypes.Structure):
        _fields_ = [("id", ctypes.c_uint64), ("status", ctypes.c_uint32),
                    ("addr", ctypes.c_char * 46)]
    T.need_root()
    D.need_backend("sqlite")
    router(srv)
    db = D.Sqlite(srv.tmpdir).start()
    sqlite_routes(srv, db)
    try:
        srv.start()
        hp, tp = httppop_pid(srv), T.tablepop_pid(srv)
        rp = T.tablepop_pid(srv, "routepop")
        h = socket.socket(fileno=chan_end(hp, rp))
        t = socket.socket(fileno=chan_end(tp, rp))
        os.kill(hp, signal.SIGSTOP)
        os.kill(tp, signal.SIGSTOP)
        v, mroute, mlookup, mval = T.msg_numbers(
            "MSG_HTTP_ROUTE", "MSG_ROUTE_LOOKUP", "MSG_TABLE_ROUTEVAL")
        h.settimeout(10)
        t.settimeout(10)

        def send(s, mtype, m):
            b = bytes(m)
            s.send(struct.pack("=IIII", mtype, v, len(b), 0) + b)

        def route(i):
            send(h, mroute, Login(id=i, user=b"alice"))
            q = t.recv(4096)
            T.expect(struct.unpack_from("=I", q)[0], mlookup, "a question")
            pool = " ".join("127.%d.%d.%d" % (1 + (i * 8 + k) // 65536,
                                              (i * 8 + k) // 256 % 256,
                                              (i * 8 + k) % 256)
                            for k in range(8))
            send(t, mval, Val(id=struct.unpack_from("=Q", q, 16)[0],
                              status=1, value=pool.encode()))
            a = Route.from_buffer_copy(h.recv(4096)[16:])
            return a.status
        try:
            for i in range(512):                # 4096 new addresses
                T.expect(route(i), 1, "routed to a new pool %d" % i)
            T.expect(route(512), 3, "a pool of none but new: SYS/TEMP")
            srv.wait_log("backends: 4095 already")
        finally:
            os.kill(hp, signal.SIGCONT)
            os.kill(tp, signal.SIGCONT)
            h.close()
            t.close()
    finally:
        srv.stop()
        db.cleanup()


def holds(pid, secret):
    """Whether process pid's writable memory holds secret (root)."""
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for ln in maps:
            f = ln.split()
            if "w" not in f[1]:
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            try:
                mem.seek(lo)
                if secret in mem.read(hi - lo):
                    return True
            except (OSError, ValueError, OverflowError):
                continue
    return False


@T.test(users=USERS, start=False)
def refused_request_password_wiped(srv):
    """A request authpop refuses unchecked (over limit sessions) leaves
    no copy of its password in authpop's memory."""
    import ctypes
    import struct

    class Req(ctypes.Structure):
        _fields_ = [("id", ctypes.c_uint64), ("method", ctypes.c_int32),
                    ("protocol", ctypes.c_int32),
                    ("attempt", ctypes.c_int32),
                    ("flags", ctypes.c_uint32 * 3),
                    ("af", ctypes.c_uint16), ("port", ctypes.c_uint16),
                    ("a", ctypes.c_ubyte * 16),
                    ("user", ctypes.c_char * 65),
                    ("pass_", ctypes.c_char * 512)]
    T.need_root()
    router(srv, extra="limit sessions 1\n")
    srv.start()
    hp, ap = httppop_pid(srv), srv.pids()["authpop"]
    s = socket.socket(fileno=chan_end(hp, ap))
    os.kill(hp, signal.SIGSTOP)
    try:
        version, mtype = T.msg_numbers("MSG_HTTP_VERIFY")
        secret = b"Wiped-" + os.urandom(8).hex().encode()
        for i, pw in ((1, b"wrong-pw"), (2, secret)):
            req = Req(id=i, method=0, attempt=1, af=socket.AF_INET,
                      user=b"alice", pass_=pw)
            req.a[:4] = [192, 0, 2, 7]
            b = bytes(req)
            s.send(struct.pack("=IIII", mtype, version, len(b), 0) + b)
        srv.wait_log("requests open (limit sessions), refused one")
        T.expect(holds(ap, secret), False, "the refused password wiped")
    finally:
        s.close()
        os.kill(hp, signal.SIGCONT)


@T.test(users=USERS, start=False)
def httppop_keeps_no_password(srv):
    """After a request's answer, httppop's memory holds no copy of its
    password: not in the message it sent authpop, freed since."""
    T.need_root()
    router(srv)
    srv.start()
    secret = "Wiped-" + os.urandom(8).hex()
    st, h, _ = login(srv, "alice", secret)
    T.expect(h.get("Auth-Status"), "[AUTH] invalid user name or password",
             "a wrong password")
    T.expect(holds(httppop_pid(srv), secret.encode()), False,
             "httppop holds no copy of the password")


if __name__ == "__main__":
    T.main(users=USERS)
