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

"""cephfs.py -- popd on CephFS through ceph-fuse, beside local disk and
GlusterFS (issue 73), in one run (a benchmark, not a test).

For each store (local: a directory on /var/tmp; glusterfs and cephfs:
regress/sharedfs.py's clusters, popd on their first mount), one popd:

  open N   login + STAT + UIDL + QUIT of an N-message maildrop
           (mailbox.py's maildirs and session), warm (popcache current)
           and cold (popcache removed), median of -r runs
  fetch    RETR of every message of the first maildrop, one session:
           messages/s and MB/s
  lmtp     deliveries over LMTP, one connection, one message each,
           for -t seconds: messages/s

Then, on CephFS, the MDS takeover: the active MDS killed -9 and failed
at once (`ceph mds fail`), and without the `mds fail` (the mon waits for
the beacon grace, 8 s here): the time until a file created through
each mount is seen through the other.

    python3 regress/bench/cephfs.py [-n 2000,100000] [-r 3] [-t 5]
        [--stores local,glusterfs,cephfs]
"""

import argparse
import os
import shutil
import smtplib
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import popdtest as T  # noqa: E402
import sharedfs  # noqa: E402
import mailbox as MB  # noqa: E402


def server(top, sizes):
    """A started popd whose users mN have N-message maildirs under top."""
    users = [("m%d" % n, "pw") for n in sizes]
    srv = T.Server(users=users, cost=4)
    srv.sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % srv.sock
    lines = ""
    for name, _ in users:
        u = srv.users[name]
        home = os.path.join(top, name)
        shutil.rmtree(home, ignore_errors=True)
        t0 = time.monotonic()
        MB.build(home, int(name[1:]), u["uid"], u["gid"])
        print("  %s: %s built in %.0fs" % (top, name,
                                          time.monotonic() - t0),
              flush=True)
        u["home"] = u["maildir"] = home
        lines += "%s\t%d:%d:%s\n" % (name, u["uid"], u["gid"], home)
    srv.rewrite_usertab(lines)
    srv.start()
    return srv


def opens(srv, n, runs):
    user = "m%d" % n
    pc = os.path.join(srv.users[user]["maildir"], "popcache")
    MB.one_session(srv.port, user, "pw", n)     # builds the popcache
    time.sleep(MB.SETTLE)
    warm = MB.median([MB.one_session(srv.port, user, "pw", n)["total"]
                      for _ in range(runs)])
    cold = []
    for _ in range(runs):
        os.unlink(pc)
        cold.append(MB.one_session(srv.port, user, "pw", n)["total"])
    return warm, MB.median(cold)


def fetch(srv, n):
    c = T.Raw(srv.port, timeout=300)
    c.line()
    c.login("m%d" % n, "pw")
    t0 = time.perf_counter()
    octets = 0
    for i in range(1, n + 1):
        c.send(b"RETR %d\r\n" % i)
        if not c.line().startswith(b"+OK"):
            raise RuntimeError("RETR %d" % i)
        octets += len(c.read_until(b"\r\n.\r\n"))
    t = time.perf_counter() - t0
    c.ok("QUIT")
    c.close()
    return n / t, octets / t / 1e6


def lmtp(srv, user, seconds):
    body = (b"From: a@example.org\r\nSubject: bench\r\n\r\n" +
            b"word " * 200 + b"\r\n")
    n = 0
    with smtplib.LMTP(srv.sock, timeout=60) as c:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            c.sendmail("a@example.org", [user], body)
            n += 1
        return n / (time.perf_counter() - t0)


def seen_both_ways(eng, tag, timeout=120):
    """Seconds until a file created through each mount is seen through
    the other (each create blocks while the fs has no MDS)."""
    t0 = time.monotonic()
    for i in (0, 1):
        p = os.path.join(eng.mounts[i], "probe.%s.%d" % (tag, i))
        open(p, "w").close()
        q = os.path.join(eng.mounts[1 - i], os.path.basename(p))
        T.wait_for(lambda: os.path.exists(q), timeout=timeout,
                   interval=0.05, what=q)
    return time.monotonic() - t0


def takeover(eng, fail):
    """The active MDS killed -9 (then failed at once if fail): seconds
    until both mounts work again."""
    name = eng.active_mds()
    t0 = time.monotonic()
    eng._kill("mds." + name)
    if fail:
        eng.ceph("mds", "fail", name)
    seen_both_ways(eng, "%s%d" % (name, fail))
    t = time.monotonic() - t0
    eng.daemon("ceph-mds", "-i", name)
    T.wait_for(lambda: name in eng.standbys(), timeout=30, interval=0.5,
               what="mds.%s a standby again" % name)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", default="2000,100000")
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("-t", type=float, default=5.0)
    ap.add_argument("--stores", default="local,glusterfs,cephfs")
    a = ap.parse_args()
    sizes = [int(x) for x in a.n.split(",")]
    res = {}
    for store in a.stores.split(","):
        top = None
        if store == "local":
            top = tempfile.mkdtemp(prefix="popdbench.", dir="/var/tmp")
            os.chmod(top, 0o755)
            eng = None
        else:
            eng = sharedfs.start(store)
            top = eng.mounts[0]
        srv = server(top, sizes)
        try:
            r = {}
            for n in sizes:
                r["open%d" % n] = opens(srv, n, a.r)
            r["fetch"] = fetch(srv, sizes[0])
            r["lmtp"] = lmtp(srv, "m%d" % sizes[0], a.t)
            if store == "cephfs":
                r["takeover_fail"] = takeover(eng, True)
                r["takeover_grace"] = takeover(eng, False)
            res[store] = r
            print("%s: %r" % (store, r), flush=True)
        finally:
            srv.stop()
            srv.cleanup()
            if eng is None:
                shutil.rmtree(top, ignore_errors=True)
            else:
                for n in sizes:
                    shutil.rmtree(os.path.join(top, "m%d" % n),
                                  ignore_errors=True)
    print()
    print("%-10s %s %10s %14s %9s" % (
        "store", " ".join("%17s" % ("open %d w/c ms" % n) for n in sizes),
        "fetch m/s", "fetch MB/s", "lmtp m/s"))
    for store, r in res.items():
        print("%-10s %s %10.0f %14.1f %9.0f" % (
            store, " ".join("%8.0f/%8.0f" % (r["open%d" % n][0] * 1e3,
                                             r["open%d" % n][1] * 1e3)
                            for n in sizes),
            r["fetch"][0], r["fetch"][1], r["lmtp"]))
    if "cephfs" in res:
        print("MDS takeover (both mounts working again): %.1fs with "
              "`ceph mds fail` at once, %.1fs on the beacon grace (8 s)"
              % (res["cephfs"]["takeover_fail"],
                 res["cephfs"]["takeover_grace"]))


if __name__ == "__main__":
    main()
