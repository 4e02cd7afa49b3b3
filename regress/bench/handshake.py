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

"""handshake.py -- logins with a full TLS handshake each, the key in
keypop (keypop(8)), beside the key in the listener and Dovecot.

N concurrent clients (default 4, one mail user each) log in over TLS 1.3
again and again for a fixed time (default 8 s): connect, a full
handshake (no session offered), the greeting, USER, PASS, QUIT.  The
hashes are bcrypt of cost 4 and popd keeps its login cache, so that the
handshake, not the password check, is what is measured.  Printed per
server: logins/s, the latency of the handshake and greeting (p50, p99),
and popd's CPU time on the TLS side per login (its listeners' and
keypops', from /proc), the figure the machine's other load moves
least.  Then the same with clients that resume their TLS 1.3 session
(popd's ticket): a resumed handshake signs nothing, so it must not
change.

The key in the listener is popd before keypop, built from another tree
(--baseline DIR: a checkout of main, f8264e5, built with make): its
popd runs its own helpers.  Both popds run at once, and the servers
take turns within each round, each round starting with another one,
so that the machine's other load falls on each alike.  Each kind of key in turn: RSA 2048 (the dearest
signature) and EC P-256.  Dovecot (dovecot-pop3d, as login.py runs it)
serves the same certificate, users and hashes.  Each figure is the
median of --rounds runs.

    python3 regress/bench/handshake.py [-c clients] [-t seconds]
        [-r rounds] [--baseline DIR] [--keys rsa2048,p256] [--no-dovecot]

This is a benchmark, not a test: it prints figures and exits 0 unless a
server cannot be started.
"""

import argparse
import multiprocessing
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402

NEWKEY = {
    "rsa2048": ["-newkey", "rsa:2048"],
    "p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
}


def login(port, user, password, ctx, session):
    """(PASS got +OK, handshake+greeting seconds, session, resumed)."""
    t0 = time.perf_counter()
    sock = socket.create_connection((T.HOST, port), timeout=30)
    with ctx.wrap_socket(sock, session=session) as s:
        f = s.makefile("rb")
        if not f.readline().startswith(b"+OK"):
            return False, 0.0, None, False
        lat = time.perf_counter() - t0
        s.sendall(b"USER %s\r\nPASS %s\r\nQUIT\r\n"
                  % (user.encode(), password.encode()))
        f.readline()
        ok = f.readline().startswith(b"+OK")
        f.readline()
        return ok, lat, s.session, s.session_reused


def worker(port, user, password, start, deadline, q, resume):
    ctx = T.client_ctx(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
    ok = bad = resumed = 0
    lats = []
    session = None
    err = None
    while time.time() < start:
        time.sleep(0.001)
    while time.time() < deadline:
        try:
            good, lat, sess, again = login(port, user, password, ctx,
                                           session if resume else None)
            if resume:
                session = sess
            resumed += again
            if good:
                ok += 1
                lats.append(lat)
            else:
                bad += 1
        except (OSError, EOFError, ssl.SSLError) as e:
            bad += 1
            err = err or repr(e)
    q.put((ok, bad, lats, resumed, err))


def tls_cpu(srv):
    """CPU seconds the TLS side of srv has used: its listeners' and
    keypops' (None for Dovecot)."""
    if srv is None:
        return None
    ticks = 0
    for pid in T.descendants(srv.proc.pid):
        if T.classify(pid) in ("listener", "keypop"):
            t = T.cpu_ticks(pid)
            ticks += sum(t[:2]) if t else 0
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(port, users, seconds, resume, srv=None):
    cpu0 = tls_cpu(srv)
    q = multiprocessing.Queue()
    start = time.time() + 0.5
    deadline = start + seconds
    procs = [multiprocessing.Process(target=worker, args=(
        port, u, pw, start, deadline, q, resume)) for u, pw in users]
    for p in procs:
        p.start()
    res = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.time() - start
    ok = sum(r[0] for r in res)
    lats = sorted(x for r in res for x in r[2])
    pct = (lambda p: 1000 * lats[min(len(lats) - 1, int(p * len(lats)))]
           if lats else 0.0)
    cpu = tls_cpu(srv)
    return {"rate": ok / elapsed, "p50": pct(0.50), "p99": pct(0.99),
            "cpu": 1000 * (cpu - cpu0) / max(ok, 1) if cpu0 is not None
            else None,
            "failed": sum(r[1] for r in res),
            "resumed": sum(r[3] for r in res) / max(ok, 1),
            "err": next((r[4] for r in res if r[4]), None)}


def show(label, runs, resume=False):
    """The median run of runs, printed."""
    runs = sorted(runs, key=lambda r: r["rate"])
    m = runs[len(runs) // 2]
    print("%-26s %7.1f logins/s  handshake+greeting p50 %6.2f ms  p99 "
          "%7.2f ms%s%s%s" % (label, m["rate"], m["p50"], m["p99"],
                              "  TLS CPU %.2f ms/login" % m["cpu"]
                              if m["cpu"] is not None else "",
                            ", %.0f%% resumed" % (100 * m["resumed"])
                            if resume else "",
                            ", %d failed: %s" % (m["failed"], m["err"])
                            if m["failed"] else ""))
    sys.stdout.flush()
    return m


def server(users, popd, cert, key):
    """A popd of binary popd serving cert and key, started."""
    srv = T.Server(users=users, cost=4)
    for src, dst in ((cert, srv.cert), (key, srv.key)):
        with open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
    saved = T.POPD
    T.POPD = popd
    try:
        srv.start()
    finally:
        T.POPD = saved
    return srv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--clients", type=int, default=4)
    ap.add_argument("-t", "--time", type=float, default=8.0)
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--baseline", default="/tmp/popd-main",
                    help="a built tree of popd before keypop")
    ap.add_argument("--keys", default="rsa2048,p256")
    ap.add_argument("--no-dovecot", action="store_true")
    args = ap.parse_args()

    base = os.path.join(args.baseline, "popd", "popd")
    if not os.access(base, os.X_OK):
        print("no baseline popd at %s: the key process alone" % base)
        base = None
    users = [("bench%d" % i, "benchpw%d" % i)
             for i in range(1, args.clients + 1)]
    dovecot = None if args.no_dovecot else T.find_dovecot()
    print("handshake benchmark: %d clients, %.0f s x %d rounds (median; "
          "the servers take turns in each round), TLS 1.3, USER/PASS/QUIT, "
          "bcrypt cost 4, login cache on, %d CPUs"
          % (args.clients, args.time, args.rounds, os.cpu_count()))
    keydir = tempfile.mkdtemp(prefix="handshake.")
    cert, key = os.path.join(keydir, "cert.pem"), os.path.join(keydir,
                                                                "key.pem")
    for kind in args.keys.split(","):
        subprocess.run(["openssl", "req", "-x509"] + NEWKEY[kind] +
                       ["-nodes", "-keyout", key, "-out", cert, "-days",
                        "2", "-subj", "/CN=localhost"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(key, 0o600)
        print("-- %s" % kind)
        srvs = {"keypop": server(users, T.POPD, cert, key)}
        dov = None
        try:
            if base is not None:
                srvs["in-listener"] = server(users, base, cert, key)
            if dovecot is not None:
                dov = T.Dovecot(dovecot, srvs["keypop"]).__enter__()
            runs = {}
            turns = [(label, srv, resume) for label, srv in srvs.items()
                     for resume in (False, True)]
            if dov is not None:
                turns.append(("dovecot", None, False))
            for r in range(args.rounds):
                # Each round starts with another server: none always
                # follows Dovecot's bcrypt at cost 4 or its own kind.
                k = r % len(turns)
                for label, srv, resume in turns[k:] + turns[:k]:
                    runs.setdefault((label, resume), []).append(
                        measure(srv.port if srv else dov.port, users,
                                args.time, resume, srv))
            m = {k: show("%s %s" % ("popd " + k[0] if k[0] != "dovecot"
                                    else k[0],
                                    "resumed" if k[1] else "full"), v, k[1])
                 for k, v in runs.items()}
        finally:
            if dov is not None:
                dov.__exit__(None, None, None)
            for srv in srvs.values():
                srv.stop()
                srv.cleanup()
        if ("in-listener", False) in m:
            print("keypop/in-listener: full %.2f (p50 %+.2f ms, p99 "
                  "%+.2f ms, TLS CPU %+.2f ms a login), resumed %.2f" % (
                      m["keypop", False]["rate"] /
                      m["in-listener", False]["rate"],
                      m["keypop", False]["p50"] -
                      m["in-listener", False]["p50"],
                      m["keypop", False]["p99"] -
                      m["in-listener", False]["p99"],
                      m["keypop", False]["cpu"] -
                      m["in-listener", False]["cpu"],
                      m["keypop", True]["rate"] /
                      m["in-listener", True]["rate"]))
        if ("dovecot", False) in m:
            print("keypop/dovecot: full %.2f" % (
                m["keypop", False]["rate"] / m["dovecot", False]["rate"]))
    shutil.rmtree(keydir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
