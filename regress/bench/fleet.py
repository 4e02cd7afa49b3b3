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

"""fleet.py -- logins through nginx and a popd fleet against one popd
(issue 18).

N concurrent clients (default 8, one mail user each) log in over TLS
again and again for a fixed time (default 10 s): connect, TLS, USER,
PASS, STAT, QUIT, against

  direct  one popd with every user (TLS 1.3, bcrypt cost 10)
  fleet   nginx's mail proxy (TLS 1.2 and 1.3 terminated there, a master
          and one worker as www-data) asking a popd router on a unix
          socket (auth_http: the password checked, the user's backend
          from a route file, a ticket in Auth-Pass), then logging in to
          one of two popd backends (127.0.0.21 and .22, half of the
          users each) with USER and the ticket over a PROXY listener

Each case runs -r times (default 3), in turn; the best round (other work
only lowers a rate) is kept.  Printed for each run: logins/s, the
median session time the clients saw, the CPU time per login of the
servers' processes (popd's every process; for the fleet also nginx's)
and of the authpop processes alone, and the share of the machine's CPU
other processes took meanwhile.  Then side by side: the rates, the ms
a login through the fleet adds (median session time, the part of it
until the greeting, and CPU per login), and the bcrypt checks per login in the whole fleet, counted
two ways:

  logs  each check is a log line of popd -v: the router's "login USER,
        pop3 to ..." (httppop's) and "failed login", a backend's "login
        USER" (not "... with a ticket") and "failed login"; checks /
        logins
  CPU   the fleet's authpop CPU per login (router and backends) over
        the direct popd's authpop CPU per login, which is one bcrypt
        check of cost 10 and a session's own work

    python3 regress/bench/fleet.py [-c clients] [-t seconds] [-r rounds]
                                   [--cost N]
    quick: -c 2 -t 2 --cost 4 -r 1

Runs as root (nginx's worker as www-data reaches the router's socket
through its group) and installs nginx's mail module when missing.  This
is a benchmark, not a test: it prints figures and exits 0 unless a
server cannot be started.
"""

import argparse
import os
import re
import shutil
import socket
import ssl
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import popdtest as T  # noqa: E402
from tables import cpu, busy, ours, fmt, clients  # noqa: E402

B1, B2 = "127.0.0.21", "127.0.0.22"
MSG = b"From: a@example.org\r\nSubject: fleet\r\n\r\nhello\r\n"


def session(port, user, password, ctx):
    """connect, TLS, USER, PASS, STAT, QUIT: the time from the connect
    to the greeting if all went well, else None."""
    t = time.monotonic()
    with T.Raw(port, ctx=ctx, timeout=30) as c:
        if not c.line().startswith(b"+OK"):
            return None
        greeted = time.monotonic() - t
        c.cmd(b"USER %s" % user.encode())
        ok = c.cmd(b"PASS %s" % password.encode()).startswith(b"+OK")
        ok = ok and c.cmd(b"STAT").startswith(b"+OK 1 ")
        c.send(b"QUIT\r\n")
        try:
            c.line()
        except (EOFError, OSError):
            pass
        return greeted if ok else None


def worker(port, user, password, start, deadline, q):
    ctx = T.client_ctx(ssl.TLSVersion.TLSv1_2)
    ok = bad = 0
    took, greet = [], []
    first_err = None
    while time.time() < start:
        time.sleep(0.001)
    while time.time() < deadline:
        t = time.monotonic()
        try:
            g = session(port, user, password, ctx)
            if g is not None:
                ok += 1
                took.append(time.monotonic() - t)
                greet.append(g)
            else:
                bad += 1
        except (OSError, EOFError, ssl.SSLError) as e:
            bad += 1
            if first_err is None:
                first_err = repr(e)
    q.put((ok, bad, first_err, took, greet))


def measure(label, port, users, seconds, roots, authpops):
    """The clients for seconds: {rate, ms (median session), cpu (ms per
    login, roots' trees), auth (ms per login, authpops), others}."""
    c0, a0 = cpu(roots), cpu(authpops)
    b0, o0, w0 = busy(), ours(), time.monotonic()
    res, elapsed = clients(worker, port, users, seconds)
    used, auth = cpu(roots) - c0, cpu(authpops) - a0
    others = max(0, busy() - b0 - used - (ours() - o0)) / \
        ((time.monotonic() - w0) * os.cpu_count())
    ok = sum(r[0] for r in res)
    bad = sum(r[1] for r in res)
    errs = [r[2] for r in res if r[2]]
    took = [x for r in res for x in r[3]]
    greet = [x for r in res for x in r[4]]
    out = {"rate": ok / elapsed, "logins": ok,
           "ms": 1000 * statistics.median(took) if took else None,
           "greet": 1000 * statistics.median(greet) if greet else None,
           "cpu": 1000 * used / ok if ok else None,
           "auth": 1000 * auth / ok if ok else None, "others": others}
    print("%-7s %5d logins in %4.1f s = %6.1f logins/s, session %s ms "
          "(greeting %s), CPU %s ms/login (authpop %s), others %2.0f%% "
          "(%d failed%s)"
          % (label, ok, elapsed, out["rate"], fmt(out["ms"], "%.1f"),
             fmt(out["greet"], "%.1f"),
             fmt(out["cpu"], "%.1f"), fmt(out["auth"], "%.1f"),
             100 * others, bad, ": " + errs[0] if errs else ""))
    sys.stdout.flush()
    return out


def checks(servers, marks):
    """bcrypt checks in the log lines of servers written since marks
    (their log lengths): each login or failure without a ticket."""
    n = 0
    for s, m in zip(servers, marks):
        for ln in s.log()[m:].splitlines():
            if not ln.startswith(("authpop[", "httppop[")):
                continue
            if "failed login for" in ln or \
                    (re.search(r": login \S+", ln) and
                     not ln.endswith("with a ticket")):
                n += 1
    return n


class Fleet:
    """nginx, the router and two backends for users, their hashes of
    cost; the direct popd beside them."""

    def __init__(self, nginx, users, cost):
        self.top = tempfile.mkdtemp(prefix="popdfleet.", dir="/tmp")
        os.chmod(self.top, 0o755)
        self.servers = []
        self.nginx = None
        sock = os.path.join(self.top, "auth.sock")
        key = os.path.join(self.top, "ticket.key")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        half = len(users) // 2 or 1
        routes = os.path.join(self.top, "routes")
        with open(routes, "w") as f:
            f.write("".join("%s %s\n" % (u, B1 if i < half else B2)
                            for i, (u, _) in enumerate(users)))
        port = free_on(B1, B2)
        self.direct = self.server(users, cost, "")
        self.backends = [
            self.server(part, cost,
                        "listen on %s port %d starttls proxy-protocol\n"
                        'proxy "127.0.0.1" trusted\nticket key "%s"\n'
                        % (addr, port, key))
            for part, addr in ((users[:half], B1), (users[half:], B2))
            if part]
        self.router = self.server(
            users, cost, 'listen on socket "%s" auth-http group www-data\n'
            'route "%s" pop3 %d\nticket key "%s"\n' % (sock, routes, port,
                                                      key))
        for b in [self.direct] + self.backends:
            for u in b.users:
                b.deliver(u, MSG)
        self.nginx = T.Nginx(nginx, self.top, self.direct.cert,
                             self.direct.key, "unix:%s:/auth" % sock,
                             {"pop3s": ("pop3", True, "pop3_auth plain;\n"
                                        "        proxy_protocol on;\n"
                                        "        ssl_protocols TLSv1.2 "
                                        "TLSv1.3;")},
                             user="www-data").start()

    def server(self, users, cost, conf):
        s = T.Server(users=users, cost=cost, conf_extra=conf)
        self.servers.append(s)
        return s.start(timeout=30)

    def cleanup(self):
        if self.nginx is not None:
            self.nginx.cleanup()
        for s in self.servers:
            s.cleanup()
        shutil.rmtree(self.top, ignore_errors=True)


def free_on(*addrs):
    """A TCP port free on each of addrs."""
    for _ in range(100):
        first = socket.socket()
        first.bind((addrs[0], 0))
        port = first.getsockname()[1]
        held = [first]
        try:
            for a in addrs[1:]:
                s = socket.socket()
                held.append(s)
                s.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no port free on %s" % (addrs,))


def authpop(srv):
    return [p for p in [srv.pids()["authpop"]] if p]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--clients", type=int, default=8)
    ap.add_argument("-t", "--time", type=float, default=10.0)
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--cost", type=int, default=10)
    args = ap.parse_args()
    T.need_root()
    nginx = T.need_nginx()
    users = [("bench%d" % i, "benchpw%d" % i)
             for i in range(1, args.clients + 1)]
    load0 = os.getloadavg()
    print("fleet benchmark: %d clients, %.0f s each, %d round(s), TLS, "
          "USER/PASS/STAT/QUIT, bcrypt cost %d, %d CPUs, load %.2f %.2f "
          "%.2f" % ((args.clients, args.time, args.rounds, args.cost,
                     os.cpu_count()) + load0))
    sys.stdout.flush()
    f = Fleet(nginx, users, args.cost)
    runs = {"direct": [], "fleet": []}
    try:
        fleet_roots = [s.proc.pid for s in [f.router] + f.backends] + \
            [f.nginx.proc.pid]
        for _ in range(args.rounds):
            runs["direct"].append(measure(
                "direct", f.direct.port, users, args.time,
                [f.direct.proc.pid], authpop(f.direct)))
            fleet = [f.router] + f.backends
            marks = [len(s.log()) for s in fleet]
            r = measure("fleet", f.nginx.ports["pop3s"], users, args.time,
                        fleet_roots, sum((authpop(s) for s in fleet), []))
            time.sleep(0.5)
            r["checks"] = checks(fleet, marks) / r["logins"] \
                if r["logins"] else None
            runs["fleet"].append(r)
        for s in f.servers:
            if not s.alive() or s.crashes():
                print("popd (%s) in trouble:\n%s" % (s.tmpdir,
                                                     s.log_tail()))
    finally:
        f.cleanup()

    best = {k: max(v, key=lambda x: x["rate"]) for k, v in runs.items()}

    def med(k, what):
        v = [x[what] for x in runs[k] if x.get(what) is not None]
        return statistics.median(v) if v else None
    print()
    print("%-7s %9s %11s %12s %13s %17s %7s" % (
        "case", "logins/s", "session ms", "greeting ms", "CPU ms/login",
        "authpop ms/login", "others"))
    for k in ("direct", "fleet"):
        print("%-7s %9.1f %11s %12s %13s %17s %6.0f%%" % (
            k, best[k]["rate"], fmt(med(k, "ms"), "%.1f"),
            fmt(med(k, "greet"), "%.1f"),
            fmt(med(k, "cpu"), "%.1f"), fmt(med(k, "auth"), "%.1f"),
            100 * best[k]["others"]))
    print()
    d, fl = best["direct"]["rate"], best["fleet"]["rate"]
    print("fleet/direct: %s logins/s" % fmt(fl / d if d else None, "%.2f"))
    for what, name in (("ms", "median session time"),
                       ("greet", "of which until the greeting"),
                       ("cpu", "CPU per login (all processes)")):
        a, b = med("fleet", what), med("direct", what)
        print("added per login through nginx and the fleet, %s: %s ms"
              % (name, fmt(a - b if None not in (a, b) else None,
                           "%+.1f")))
    a, b = med("fleet", "auth"), med("direct", "auth")
    print("bcrypt checks per login in the fleet: %s by the logs, %s by "
          "authpop CPU (fleet %s ms / direct %s ms)"
          % (fmt(med("fleet", "checks"), "%.2f"),
             fmt(a / b if a is not None and b else None, "%.2f"),
             fmt(a, "%.1f"), fmt(b, "%.1f")))
    print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f"
          % (load0 + os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
