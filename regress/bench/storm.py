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

"""storm.py -- a login storm (issue 72): every client reconnects at once,
with `listeners 1` and `listeners 2`, full TLS handshakes and resumed
ones, side by side with Dovecot 2.3.

pollers.py's users, maildirs and polls (connect, TLS, USER, PASS, UIDL,
QUIT), C client processes (-c, default 8), each from its own loopback
address (127.0.2.1, ...: the kernel steers each to one listener) and on
its own users, so that no maildrop is asked for twice at once.  For each
configuration the clients first log every user in once (popd's login
cache warm, a TLS session per user), then poll as fast as they can for
T seconds (-t): logins/s, server CPU a login (its whole process tree,
reaped wrkrpops included, from /proc/PID/stat), the same by process
(parent, listener, keypop, authpop, tablepop, wrkrpop: the reaped
sessions), the listeners' share of the server's CPU and how it split
between the listeners.

  popd-l1 / -l2            full handshakes (the clients offer no session)
  popd-l1-res / -l2-res    every client offers its user's last session
  dovecot-best             Dovecot with its auth cache (pollers.py's)

    python3 regress/bench/storm.py [--users 2000] [-c 8] [-t 10]
                                   [--no-dovecot] [--quiet]

Runs as root.  A benchmark: it prints, it does not judge.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402
import pollers as P  # noqa: E402

KINDS = ("listener", "keypop", "parent", "authpop", "tablepop", "reaped")


def kind(pid):
    return T.classify(pid) or ("tablepop" if "tablepop" in
                               T.proc_cmdline(pid) else "other")


def storm(pool, label, roots, seconds, ckind):
    """The clients as fast as they can: a row of figures."""
    start = time.monotonic() + 0.3
    pool.send(("sat", start, start + seconds))
    P.wait_until(start)
    s0, c0 = P.snap(roots, ckind), P.cpu(roots)
    res = pool.collect("sat", start + seconds + P.TIMEOUT * 5 + 30)
    wall = max(r["end"] for r in res) - start
    s1 = P.snap(roots, ckind)
    server = P.cpu(roots) - c0
    kinds = P.by_kind(s0, s1)
    okn = sum(r["ok"] for r in res)
    lis = []
    for pid, (k, own, _) in s1.items():
        if k == "listener" and pid in s0:
            lis.append((own - s0[pid][1]) / P.HZ)
    lis = sorted(lis, reverse=True)
    row = {"rate": okn / wall, "ms": 1000 * server / okn if okn else None,
           "kinds": {k: 1000 * v / okn for k, v in kinds.items()} if okn
           else {}, "lshare": sum(lis) / server if server else None,
           "split": [x / sum(lis) for x in lis] if sum(lis) else [],
           "resumed": 100.0 * sum(r["resumed"] for r in res) / okn
           if okn else 0, "fail": P.failures(res)}
    print("%-13s %d logins in %.1f s = %.1f/s, server CPU %s ms a login, "
          "%.0f%% resumed (%s)" % (label, okn, wall, row["rate"],
                                   P.fmt(row["ms"], "%.3f"), row["resumed"],
                                   row["fail"]), flush=True)
    print("%-13s by process, ms a login: %s" % (label, ", ".join(
        "%s %.3f" % kv for kv in sorted(row["kinds"].items(),
                                        key=lambda kv: -kv[1]))), flush=True)
    if lis:
        print("%-13s listeners: %.0f%% of the server's CPU, split %s"
              % (label, 100 * row["lshare"], " / ".join(
                  "%.0f%%" % (100 * x) for x in row["split"])), flush=True)
    return row


def run(label, port, roots, names, a, resume, ckind=kind):
    P.probe(port, names[0], a.messages, label)
    pool = P.Pool(port, names, a.messages, a.clients, resume)
    try:
        P.phase_warm(pool, label, len(names))
        return storm(pool, label, roots, a.time, ckind)
    finally:
        pool.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("-c", "--clients", type=int, default=8)
    ap.add_argument("-t", "--time", type=float, default=10.0)
    ap.add_argument("--cost", type=int, default=10)
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--quiet", action="store_true",
                    help="popd without -v, as in production")
    a = ap.parse_args()
    T.need_root()
    a.clients = max(1, min(a.clients, a.users, 250))
    dovecot = None if a.no_dovecot else T.find_dovecot()
    hsh = T.make_hash(P.PW, a.cost)
    srv = (P.Quiet if a.quiet else T.Server)(users=[], cost=a.cost)
    pe = T.mailuser(1)
    rows = {}
    try:
        names, passwd, _ = P.populate(srv, a.users, a.messages, hsh,
                                      pe.pw_uid, pe.pw_gid)
        print("# login storm: %d users, %d clients, %.0f s a phase, bcrypt "
              "cost %d, popd %s; %s, %d CPUs, load %.2f %.2f %.2f"
              % ((a.users, a.clients, a.time, a.cost,
                  "without -v" if a.quiet else "-v",
                  os.uname().release, os.cpu_count()) + os.getloadavg()),
              flush=True)
        for n in (1, 2):
            srv.conf_extra = "listeners %d\n" % n
            srv.start(timeout=60)
            root = [srv.proc.pid]
            rows["popd-l%d" % n] = run("popd-l%d" % n, srv.port, root,
                                       names, a, False)
            rows["popd-l%d-res" % n] = run("popd-l%d-res" % n, srv.port,
                                           root, names, a, True)
            srv.stop()
        if dovecot is not None:
            dv = T.Dovecot(dovecot, srv, extra=P.DOVECOT_BEST,
                           passwd_extra=passwd)
            try:
                dv.start()
                rows["dovecot-best"] = run("dovecot-best", dv.port,
                                           [dv.proc.pid], names, a, False,
                                           P.dovecot_kind)
            finally:
                dv.cleanup()
    finally:
        if srv.running:
            srv.stop()
        srv.cleanup()
    print()
    print("%-13s %8s %7s %9s %8s  %s" % ("configuration", "logins/s",
                                         "CPU ms", "listeners", "split",
                                         " ".join("%8s" % k for k in KINDS)))
    for label, r in rows.items():
        print("%-13s %8.1f %7s %9s %8s  %s" % (
            label, r["rate"], P.fmt(r["ms"], "%.3f"),
            P.fmt(r["lshare"] and 100 * r["lshare"], "%.0f%%"),
            "/".join("%.0f" % (100 * x) for x in r["split"]) or "-",
            " ".join("%8s" % P.fmt(r["kinds"].get(k), "%.3f")
                     for k in KINDS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
