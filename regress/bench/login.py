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

"""login.py -- login throughput of popd, side by side with Dovecot.

N concurrent clients (default 8, one mail user each) log in over TLS
again and again for a fixed time (default 10 s): connect, USER, PASS,
QUIT.  Passwords are bcrypt hashes of cost 10 (the popd default).  The
figure is successful logins per second.

If Dovecot's POP3 server is installed (Debian: dovecot-pop3d; as root the
script tries `apt-get install -y dovecot-pop3d` when it is missing), a
private Dovecot instance runs on another loopback port with the same
users, the same hashes ({BLF-CRYPT} in a passwd-file), the same maildirs
and the same certificate, and is measured the same way.

    python3 regress/bench/login.py [-c clients] [-t seconds] [--cost N]
                                   [--no-dovecot]

popd runs three times: with "login cache 0", every login a full bcrypt
check as Dovecot as shipped makes (the "popd" line, which the ratio
uses); with its default login cache, where these clients, returning
with the same password, are let in without one (the "popd-cached" line;
see authpop(8)); and the same with clients that keep their TLS 1.3
session and resume it with the listener's ticket, as Thunderbird does
("popd-resumed", with the share of connections resumed; popd.conf(5)
"tls tickets").

This is a benchmark, not a test: it prints figures and exits 0 unless a
server cannot be started.
"""

import argparse
import multiprocessing
import os
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402


def one_login(port, user, password, ctx):
    """One full session; True if PASS got +OK."""
    with T.Raw(port, ctx=ctx, timeout=30) as c:
        if not c.line().startswith(b"+OK"):
            return False
        c.cmd(b"USER %s" % user.encode())
        ok = c.cmd(b"PASS %s" % password.encode()).startswith(b"+OK")
        c.send(b"QUIT\r\n")
        try:
            c.line()
        except (EOFError, OSError):
            pass
        return ok


def resumed_login(port, user, password, ctx, session):
    """One full session offering session: (PASS got +OK, the session to
    offer next, whether this one was resumed)."""
    sock = socket.create_connection((T.HOST, port), timeout=30)
    with ctx.wrap_socket(sock, session=session) as s:
        f = s.makefile("rb")
        if not f.readline().startswith(b"+OK"):
            return False, None, False
        s.sendall(b"USER %s\r\nPASS %s\r\nQUIT\r\n"
                  % (user.encode(), password.encode()))
        f.readline()
        ok = f.readline().startswith(b"+OK")
        f.readline()
        return ok, s.session, s.session_reused


def worker(port, user, password, start, deadline, q, resume=False):
    ctx = T.client_ctx(ssl.TLSVersion.TLSv1_3 if resume else
                       ssl.TLSVersion.TLSv1_2)
    ok = bad = resumed = 0
    session = None
    first_err = None
    while time.time() < start:
        time.sleep(0.001)
    while time.time() < deadline:
        try:
            if resume:
                good, session, again = resumed_login(port, user, password,
                                                     ctx, session)
                resumed += again
            else:
                good = one_login(port, user, password, ctx)
            if good:
                ok += 1
            else:
                bad += 1
        except (OSError, EOFError, ssl.SSLError) as e:
            bad += 1
            if first_err is None:
                first_err = repr(e)
    q.put((ok, bad, first_err, resumed))


def measure(name, port, users, seconds, resume=False):
    """Run len(users) client processes for `seconds`; logins/s."""
    q = multiprocessing.Queue()
    start = time.time() + 0.5
    deadline = start + seconds
    procs = [multiprocessing.Process(target=worker,
                                     args=(port, u, pw, start, deadline, q,
                                           resume))
             for u, pw in users]
    for p in procs:
        p.start()
    res = [q.get() for _ in procs]
    for p in procs:
        p.join()
    # Sessions in flight at the deadline finish late: count real time.
    elapsed = time.time() - start
    ok = sum(r[0] for r in res)
    bad = sum(r[1] for r in res)
    errs = [r[2] for r in res if r[2]]
    rate = ok / elapsed
    resumed = sum(r[3] for r in res)
    print("%-12s %6d logins in %5.1f s = %6.1f logins/s  (%d failed%s)%s"
          % (name, ok, elapsed, rate, bad,
             ": " + errs[0] if errs else "",
             ", %.0f%% resumed" % (100.0 * resumed / max(ok + bad, 1))
             if resume else ""))
    sys.stdout.flush()
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--clients", type=int, default=8)
    ap.add_argument("-t", "--time", type=float, default=10.0)
    ap.add_argument("--cost", type=int, default=10)
    ap.add_argument("--no-dovecot", action="store_true")
    args = ap.parse_args()

    users = [("bench%d" % i, "benchpw%d" % i)
             for i in range(1, args.clients + 1)]
    srv = T.Server(users=users, cost=args.cost,
                   conf_extra="login cache 0\n")
    print("login benchmark: %d clients, %.0f s each, TLS, USER/PASS/QUIT, "
          "bcrypt cost %d, %d CPUs"
          % (args.clients, args.time, args.cost, os.cpu_count()))
    rates = {}
    try:
        srv.start()
        rates["popd"] = measure("popd", srv.port, users, args.time)
        if not srv.alive():
            print("popd died during the benchmark:\n%s" % srv.log_tail())
        srv.stop()
        srv.conf_extra = ""
        srv.start()
        rates["popd-cached"] = measure("popd-cached", srv.port, users,
                                       args.time)
        rates["popd-resumed"] = measure("popd-resumed", srv.port, users,
                                        args.time, resume=True)
        srv.stop()

        dovecot = None if args.no_dovecot else T.find_dovecot()
        if dovecot is None:
            if not args.no_dovecot:
                print("dovecot    not installed: no comparison")
        else:
            try:
                with T.Dovecot(dovecot, srv) as d:
                    rates["dovecot"] = measure("dovecot", d.port, users,
                                               args.time)
            except RuntimeError as e:
                print("dovecot    could not run: %s" % e)
    finally:
        if srv.running:
            srv.stop()
        srv.cleanup()
    if "popd" in rates and "dovecot" in rates and rates["dovecot"] > 0:
        print("popd/dovecot: %.2f" % (rates["popd"] / rates["dovecot"]))
        print("popd-cached/dovecot: %.2f"
              % (rates["popd-cached"] / rates["dovecot"]))
        print("popd-resumed/dovecot: %.2f"
              % (rates["popd-resumed"] / rates["dovecot"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
