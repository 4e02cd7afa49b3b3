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

The maildrops are built once on local disk (/var/tmp) and copied into
each shared store with parallel cp (-j processes; a Python build through
ceph-fuse took 937 s for 100,000 messages here); local disk serves the
built copy itself, last.  For each store (glusterfs and cephfs:
regress/sharedfs.py's clusters, popd on their first mount), one popd:

  copy     seconds to copy the maildrops into the store (files/s)
  open N   login + STAT + UIDL + QUIT of an N-message maildrop
           (mailbox.py's maildirs and session), warm (popcache current)
           and cold (popcache removed), median of -r runs
  fetch    RETR of every message of a maildrop of -f messages of 1 KB
           to 2 MB (fetch.py's mixed set), TLS, 256 commands in flight,
           after a warm-up session, median of -r: MB/s, popd's CPU per
           MB (all its processes, /proc/PID/schedstat) and the FUSE
           client's CPU per MB (ceph-fuse, glusterfs)
  lmtp     deliveries over LMTP into an empty maildrop, one connection,
           one 1 KB message each, for -t seconds: messages/s

Then, on CephFS, the MDS takeover: the active MDS killed -9 and failed
at once (`ceph mds fail`), and without the `mds fail` (the mon waits for
the beacon grace, 8 s here): the time until a file created through
each mount is seen through the other.

-n STORE=SIZES gives one store maildrops of other sizes (GlusterFS
copied 38 to 171 files/s here, CephFS 98 to 460, by the load: 100,000
messages take 4 to 45 min; -n glusterfs=2000,20000).

Every wait is bounded: --deadline for the whole run (SIGALRM; 30 s
later the FUSE mounts are aborted, which frees a call stuck in one);
the clusters and their mounts are removed at the end, also on failure
or SIGTERM.

    python3 regress/bench/cephfs.py [-n 2000,100000] [-n STORE=SIZES]
        [-r 3] [-t 5] [-f 300] [-j 8] [--stores local,glusterfs,cephfs]
        [--deadline S]
"""

import argparse
import os
import random
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import popdtest as T  # noqa: E402
import sharedfs  # noqa: E402
import mailbox as MB  # noqa: E402
import fetch as F  # noqa: E402

PW = "pw"
# ceph-fuse trims its cache past client_cache_size inodes (16,384) and,
# on these kernels, does so by remounting, which hung after the
# 100,000-message build; the MDS recalls caps past its cache limit (64 MB
# in sharedfs.py).  Room for the largest maildrop in both.
CEPH_BENCH = """[client]
client_cache_size = 262144
[mds]
mds_cache_memory_limit = 1G
"""


class Deadline(Exception):
    pass


def _deadline(signum, frame):
    raise Deadline("the run's --deadline passed")


def _term(signum, frame):
    raise SystemExit("terminated")


def _abort_mounts():
    """Every started store's FUSE mounts aborted: a call stuck in one
    gets ENOTCONN, so the run's Deadline can be raised and its clusters
    removed."""
    print("  the deadline passed 30 s ago: aborting the FUSE mounts",
          flush=True)
    for eng in list(sharedfs._started.values()):
        sharedfs.abort_fuse(sharedfs.fuse_conns(eng.mounts))


def stage(top, sizes, nfetch):
    """The maildrops under top, owned by the mail users popdtest.py's
    Server will give these names (by their order): mN (mailbox.py's, N
    messages), f (nfetch of fetch.py's mixed set), d (empty, for LMTP).
    {name: messages}, in that order."""
    names = ["m%d" % n for n in sizes] + ["f", "d"]
    users = {}
    for i, name in enumerate(names, 1):
        pe = T.mailuser(i)
        md = os.path.join(top, name)
        t0 = time.monotonic()
        if name == "f":
            octets = F.build(md, F.mixed_sizes(random.Random("mixed"),
                                               nfetch),
                             pe.pw_uid, pe.pw_gid, "mixed")
            users[name] = nfetch
            print("  staged f: %d messages, %.1f MB on the wire" % (
                nfetch, octets / 1e6), flush=True)
            continue
        n = 0 if name == "d" else int(name[1:])
        MB.build(md, n, pe.pw_uid, pe.pw_gid)
        users[name] = n
        print("  staged %s in %.1fs" % (name, time.monotonic() - t0),
              flush=True)
    return users


def copy_in(src, top, names, jobs, timeout):
    """src's maildrops named names copied into top, owners and times
    kept: the directories first, then the files by jobs cp processes at
    once.  Seconds, files."""
    t0 = time.monotonic()
    files = []
    for name in names:
        os.makedirs(os.path.join(top, name), 0o700)
        st = os.stat(os.path.join(src, name))
        os.chown(os.path.join(top, name), st.st_uid, st.st_gid)
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(top, name, sub), 0o700)
            st = os.stat(os.path.join(src, name, sub))
            os.chown(os.path.join(top, name, sub), st.st_uid, st.st_gid)
            for f in os.listdir(os.path.join(src, name, sub)):
                files.append(os.path.join(name, sub, f))
    p = subprocess.Popen(["xargs", "-0", "-P", str(jobs), "-n", "500",
                          "cp", "-a", "--parents",
                          "-t", top], cwd=src, stdin=subprocess.PIPE)
    try:
        p.communicate("\0".join(files).encode(), timeout=timeout)
    except BaseException:       # a timeout, the Deadline, SIGTERM
        p.kill()
        p.wait()
        raise
    if p.returncode != 0:
        raise RuntimeError("copy into %s: exit %d" % (top, p.returncode))
    return time.monotonic() - t0, len(files)


def server(top, users, names):
    """A started popd whose users (in stage()'s order) have their
    maildirs under top, those not named in names none."""
    srv = T.Server(users=[(u, PW) for u in users], cost=4)
    srv.sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % srv.sock
    lines = ""
    for name in users:
        u = srv.users[name]
        home = os.path.join(top, name)
        if name in names and u["uid"] != os.stat(home).st_uid:
            raise RuntimeError("%s: not %s's" % (home, name))
        u["home"] = u["maildir"] = home
        lines += "%s\t%d:%d:%s\n" % (name, u["uid"], u["gid"], home)
    srv.rewrite_usertab(lines)
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    return srv


def opens(srv, n, runs):
    user = "m%d" % n
    pc = os.path.join(srv.users[user]["maildir"], "popcache")
    MB.one_session(srv.port, user, PW, n)      # builds the popcache
    time.sleep(MB.SETTLE)
    warm = MB.median([MB.one_session(srv.port, user, PW, n)["total"]
                      for _ in range(runs)])
    cold = []
    for _ in range(runs):
        os.unlink(pc)
        cold.append(MB.one_session(srv.port, user, PW, n)["total"])
    return warm, MB.median(cold)


def proc_cpu(pid):
    """CPU seconds of every thread of pid (the FUSE clients have many:
    schedstat counts one)."""
    with open("/proc/%d/stat" % pid) as f:
        x = f.read().rsplit(")", 1)[1].split()
    return (int(x[11]) + int(x[12])) / os.sysconf("SC_CLK_TCK")


def fetch(srv, n, runs, fuse):
    """fetch.py's measure (TLS, pipelined) of user f, and the CPU of the
    FUSE client pid fuse (or None) per MB over all its sessions."""
    c0 = proc_cpu(fuse) if fuse else 0
    m = F.measure(srv.port, "f", PW, True, n, srv.proc.pid, runs,
                  F.WINDOW)
    if fuse:
        m["fuse"] = (proc_cpu(fuse) - c0) * 1e3 / (m["octets"] *
                                                   (runs + 1) / 1e6)
    return m


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


def one_store(store, a, src, users, sizes):
    """store's figures; its server stopped, its cluster left to the
    next start() or exit."""
    eng = None
    if store == "local":
        top = src
    else:
        eng = sharedfs.start(store)
        top = os.path.join(eng.mounts[0], "bench")
        os.makedirs(top)
        os.chmod(top, 0o755)
    r = {}
    names = ["m%d" % n for n in sizes] + ["f", "d"]
    if eng is not None:
        t, nf = copy_in(src, top, names, a.j, a.deadline)
        r["copy"] = (t, nf)
        print("  %s: %d files copied in %.0fs (%.0f/s)" % (store, nf, t,
                                                         nf / t),
              flush=True)
    srv = server(top, users, names)
    try:
        for n in sizes:
            r["open%d" % n] = opens(srv, n, a.r)
            print("  %s: open %d warm/cold %.0f/%.0f ms" % (
                store, n, r["open%d" % n][0] * 1e3,
                r["open%d" % n][1] * 1e3), flush=True)
        r["fetch"] = fetch(srv, users["f"], a.r,
                           eng.client_pids()[0] if eng else None)
        r["lmtp"] = lmtp(srv, "d", a.t)
        if store == "cephfs":
            r["takeover_fail"] = takeover(eng, True)
            r["takeover_grace"] = takeover(eng, False)
        print("  %s: %r" % (store, r), flush=True)
    finally:
        srv.stop()
        srv.cleanup()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", action="append", default=[],
                    help="SIZES or STORE=SIZES")
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("-t", type=float, default=5.0)
    ap.add_argument("-f", type=int, default=300,
                    help="messages of the fetch maildrop")
    ap.add_argument("-j", type=int, default=8, help="cp processes")
    ap.add_argument("--stores", default="local,glusterfs,cephfs")
    ap.add_argument("--deadline", type=int, default=3600)
    a = ap.parse_args()
    stores = a.stores.split(",")
    sizes = dict.fromkeys(stores, [2000, 100000])
    for x in a.n:
        store, _, x = x.rpartition("=")
        for s in [store] if store else stores:
            sizes[s] = [int(n) for n in x.split(",")]
    every = sorted(set(n for s in stores for n in sizes[s]))
    signal.signal(signal.SIGALRM, _deadline)
    signal.signal(signal.SIGTERM, _term)
    signal.alarm(a.deadline)
    abort = threading.Timer(a.deadline + 30, _abort_mounts)
    abort.daemon = True
    abort.start()
    sharedfs.Ceph.extra = CEPH_BENCH
    print("# %s, %d cores, load average %s, median of %d runs" % (
        os.uname().release, os.cpu_count(),
        " ".join(open("/proc/loadavg").read().split()[:3]), a.r),
        flush=True)
    src = tempfile.mkdtemp(prefix="popdbench.", dir="/var/tmp")
    os.chmod(src, 0o755)
    res = {}
    try:
        users = stage(src, every, a.f)
        # The shared stores first: local disk serves the staged copy.
        for store in sorted(stores, key=lambda s: s == "local"):
            res[store] = one_store(store, a, src, users, sizes[store])
    finally:
        try:
            signal.alarm(0)
        except Deadline:        # its handler ran late, here: tear down
            pass
        for eng in list(sharedfs._started.values()):
            eng.stop()
        sharedfs._started.clear()
        abort.cancel()
        shutil.rmtree(src, ignore_errors=True)
    table(stores, res, every)


def table(stores, res, every):
    """The figures, a column for each store."""
    rows = [("open %d warm/cold ms" % n, lambda r, n=n: "%.0f/%.0f" % (
        r["open%d" % n][0] * 1e3, r["open%d" % n][1] * 1e3)) for n in every]
    rows += [
        ("copy files/s (files, s)", lambda r: "%.0f (%d, %.0f)" % (
            r["copy"][1] / r["copy"][0], r["copy"][1], r["copy"][0])),
        ("fetch MB/s", lambda r: "%.1f" % r["fetch"]["mbs"]),
        ("popd CPU ms/MB", lambda r: "%.2f" % r["fetch"]["cpu"]),
        ("FUSE client CPU ms/MB", lambda r: "%.2f" % r["fetch"]["fuse"]),
        ("LMTP messages/s", lambda r: "%.1f" % r["lmtp"]),
        ("MDS takeover, mds fail s", lambda r: "%.1f" %
         r["takeover_fail"]),
        ("MDS takeover, grace 8 s", lambda r: "%.1f" % r["takeover_grace"]),
    ]
    print()
    print("%-26s" % "" + "".join("%18s" % s for s in stores
                                   if s in res))
    for label, f in rows:
        cells = []
        for s in stores:
            if s not in res:
                continue
            try:
                cells.append(f(res[s]))
            except KeyError:
                cells.append("-")
        print("%-26s" % label + "".join("%18s" % c for c in cells))


if __name__ == "__main__":
    main()
