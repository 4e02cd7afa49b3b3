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

--failover-logins (issue 87): what a client sees during each takeover,
popd running the guide's settings (doc/fleet.md: `timeout store 20s`, a
health port, `health probe` as a user of its own).  From 2 s before the
kill until 5 s after the takeover, a login every 0.5 s (TLS, USER/PASS,
STAT, UIDL, QUIT; a client that gives up after 10 s, nginx's `timeout`
in the guide), each as the next of 32 users of 10 messages: when it
began after the kill, how long its PASS waited, and its answer.  A
session logged in before the kill sends RETR 1 a second after it and
STAT, RETR 2, QUIT after the takeover; the health line is read every
0.25 s; every user's STAT is checked at the end (nothing lost).

-n STORE=SIZES gives one store maildrops of other sizes (GlusterFS
copied 38 to 171 files/s here, CephFS 98 to 460, by the load: 100,000
messages take 4 to 45 min; -n glusterfs=2000,20000).

Every wait is bounded: --deadline for the whole run (SIGALRM; 30 s
later the FUSE mounts are aborted, which frees a call stuck in one);
the clusters and their mounts are removed at the end, also on failure
or SIGTERM.

    python3 regress/bench/cephfs.py [-n 2000,100000] [-n STORE=SIZES]
        [-r 3] [-t 5] [-f 300] [-j 8] [--stores local,glusterfs,cephfs]
        [--deadline S] [--failover-logins]
"""

import argparse
import os
import random
import re
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
POOL = 32               # --failover-logins: its users, l0 to l31
POOL_N = 10             # their messages
CLIENT_TIMEOUT = 10     # nginx's `timeout 10s` in doc/fleet.md


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


def stage(top, sizes, nfetch, failover):
    """The maildrops under top, owned by the mail users popdtest.py's
    Server will give these names (by their order): mN (mailbox.py's, N
    messages), f (nfetch of fetch.py's mixed set), d (empty, for LMTP);
    if failover, p (empty: the store probe's), h and l0 to l31 (POOL_N
    messages each).  {name: messages}, in that order."""
    names = ["m%d" % n for n in sizes] + ["f", "d"]
    if failover:
        names += ["p", "h"] + ["l%d" % i for i in range(POOL)]
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
        n = {"d": 0, "p": 0}.get(name[0], POOL_N) if name[0] != "m" \
            else int(name[1:])
        MB.build(md, n, pe.pw_uid, pe.pw_gid)
        users[name] = n
        if name[0] in "md":
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


def server(top, users, names, guide):
    """A started popd whose users (in stage()'s order) have their
    maildirs under top, those not named in names none; if guide, with
    doc/fleet.md's settings for CephFS (its health port srv.hport)."""
    srv = T.Server(users=[(u, PW) for u in users], cost=4)
    srv.sock = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % srv.sock
    if guide:
        srv.hport = T.free_port()
        srv.conf_extra += ("timeout store 20s\nlisten on %s port %d health"
                           "\nhealth probe p\n" % (T.HOST, srv.hport))
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


def takeover(eng, fail, watch=None):
    """The active MDS killed -9 (then failed at once if fail): seconds
    until both mounts work again.  watch (a Failover) is told when."""
    name = eng.active_mds()
    t0 = time.monotonic()
    eng._kill("mds." + name)
    if watch:
        watch.killed(t0)
    if fail:
        eng.ceph("mds", "fail", name)
    seen_both_ways(eng, "%s%d" % (name, fail))
    t = time.monotonic() - t0
    if watch:
        watch.back(t)
    eng.daemon("ceph-mds", "-i", name)
    T.wait_for(lambda: name in eng.standbys(), timeout=30, interval=0.5,
               what="mds.%s a standby again" % name)
    return t


def login_once(port, user):
    """One poll as a client that gives up CLIENT_TIMEOUT s after its
    connect: TLS, USER/PASS, STAT, UIDL, QUIT.  A record: start
    (monotonic), pass (seconds its PASS waited), answer (PASS's, or why
    none), step reached, count (STAT's and UIDL's)."""
    t0 = time.monotonic()
    rec = {"start": t0, "user": user, "step": "connect", "answer": ""}
    c = None

    def step(name):
        rec["step"] = name
        left = CLIENT_TIMEOUT - (time.monotonic() - t0)
        if left <= 0:
            raise TimeoutError()
        c.settimeout(left)

    try:
        c = T.Raw(port, timeout=CLIENT_TIMEOUT)
        step("greeting")
        c.line()
        step("USER")
        c.ok("USER " + user)
        step("PASS")
        tp = time.monotonic()
        r = c.cmd("PASS " + PW)
        rec["answered"] = time.monotonic()
        rec["pass"] = rec["answered"] - tp
        rec["answer"] = r.decode(errors="replace")
        if r.startswith(b"+OK"):
            step("STAT")
            n = int(c.ok("STAT").split()[1])
            step("UIDL")
            c.ok("UIDL")
            rec["count"] = (n, len(c.multiline()))
            step("QUIT")
            c.ok("QUIT")
            rec["step"] = "done"
    except TimeoutError:
        rec["answer"] = "timeout (%s)" % rec["step"]
    except (OSError, EOFError, T.ProtoError) as e:
        rec["answer"] = "%s (%s): %s" % (type(e).__name__, rec["step"], e)
    finally:
        if c is not None:
            c.close()
    rec["total"] = time.monotonic() - t0
    return rec


def kind(rec):
    a = rec["answer"]
    if rec["step"] == "done":
        return "+OK"
    for k in ("[SYS/TEMP]", "[IN-USE]"):
        if a.startswith("-ERR " + k):
            return k
    return "-ERR other" if a.startswith("-ERR") else \
        "hung" if a.startswith("timeout") else "failed"


class Failover:
    """What clients of srv see around an MDS takeover (--failover-logins):
    start(), takeover(eng, fail, watch), finish()."""

    AFTER = 5           # seconds of logins after the takeover

    def __init__(self, srv, pool, held, tag):
        self.srv, self.pool, self.held, self.tag = srv, pool, held, tag
        self.recs, self.health, self.threads = [], [], []
        self.kill = self.kill_wall = self.end = self.takeover = None
        self.done = threading.Event()
        self.retr = None

    def start(self):
        h = self.h = T.Raw(self.srv.port, timeout=120)
        h.line()
        h.login(self.held, PW)
        self.held_n = int(h.ok("STAT").split()[1])
        self.logged = len(self.srv.log())
        self.loops = [threading.Thread(target=f, daemon=True)
                      for f in (self._logins, self._health)]
        for t in self.loops:
            t.start()
        time.sleep(2)       # logins before the kill: the usual answer

    def _logins(self):
        t0, i = time.monotonic(), 0
        while self.end is None or time.monotonic() < self.end:
            user = self.pool[i % len(self.pool)]
            t = threading.Thread(target=lambda u=user: self.recs.append(
                login_once(self.srv.port, u)), daemon=True)
            t.start()
            self.threads.append(t)
            i += 1
            time.sleep(max(0, t0 + i * 0.5 - time.monotonic()))

    def _health(self):
        while not self.done.is_set():
            try:
                w = T.health_line(self.srv.hport).split()
                w = w[0] if w else "empty"
            except OSError as e:
                w = type(e).__name__
            if not self.health or self.health[-1][1] != w:
                self.health.append((time.monotonic(), w))
            self.done.wait(0.25)

    def killed(self, t0):
        self.kill, self.kill_wall = t0, time.time()
        t = threading.Thread(target=self._retr, daemon=True)
        t.start()
        self.threads.append(t)

    def _retr(self):
        """RETR 1 of the session open since before the kill, a second
        after it: when it was answered, and how."""
        time.sleep(max(0, self.kill + 1 - time.monotonic()))
        t = time.monotonic()
        try:
            r = self.h.cmd("RETR 1")
            if r.startswith(b"+OK"):
                self.h.block()
            self.retr = (t - self.kill, time.monotonic() - t,
                         r.decode(errors="replace")[:60])
        except (OSError, EOFError) as e:
            self.retr = (t - self.kill, time.monotonic() - t, repr(e))

    def back(self, t):
        self.takeover = t
        self.end = time.monotonic() + self.AFTER

    def finish(self):
        """Waits for every login, then the held session's STAT, RETR 2,
        QUIT and every user's STAT: a summary, also printed."""
        self.loops[0].join()
        for t in self.threads:
            t.join(CLIENT_TIMEOUT + 130)
        self.done.set()
        self.loops[1].join(10)
        try:
            self.h.settimeout(60)
            after = [self.h.cmd(c).decode(errors="replace")[:40]
                     for c in ("STAT", "RETR 2")]
            if after[1].startswith("+OK"):
                self.h.block()
            after.append(self.h.cmd("QUIT").decode(errors="replace")[:40])
        except (OSError, EOFError) as e:
            after = [repr(e)]
        self.h.close()
        lost = self._counts()
        return self._report(after, lost)

    def _counts(self):
        """Users whose STAT is not what was staged (tried for 60 s:
        a worker stuck in the store holds its user's maildrop)."""
        want = dict.fromkeys(self.pool, POOL_N)
        want[self.held] = self.held_n
        t0 = time.monotonic()
        while want and time.monotonic() - t0 < 60:
            for user in list(want):
                r = login_once(self.srv.port, user)
                if r["step"] == "done" and r["count"] == (want[user],) * 2:
                    del want[user]
            time.sleep(1)
        return want

    def _report(self, after, lost):
        k0 = self.kill
        recs = sorted(self.recs, key=lambda r: r["start"])
        print("  logins around the MDS takeover (%s, %.1f s; the kill at "
              "%s): began after the kill, PASS waited, answer" % (
                  self.tag, self.takeover, time.strftime(
                      "%H:%M:%S", time.gmtime(self.kill_wall))))
        for r in recs:
            print("    %+5.1f s %-4s %5s  %s" % (
                r["start"] - k0, r["user"], "%.2f" % r["pass"]
                if "pass" in r else "-", r["answer"][:70]), flush=True)
        # In flight: begun before the takeover's end, not answered
        # before the kill.
        flight = [r for r in recs if r["start"] - k0 < self.takeover and
                  r.get("answered", k0 + 1) > k0]
        kinds = {}
        for r in flight:
            p = round(r.get("pass", r["total"]), 1)
            n, lo, hi = kinds.get(kind(r), (0, p, p))
            kinds[kind(r)] = (n + 1, min(lo, p), max(hi, p))
        oks = [r["answered"] - k0 for r in recs
               if r["start"] >= k0 and kind(r) == "+OK"]
        late = [r for r in recs if kind(r) == "hung" or
                r.get("pass", 0) > 7]
        bad = [r for r in recs if kind(r) == "+OK" and
               r["count"] != (POOL_N, POOL_N)]
        s = {"tag": self.tag, "takeover": self.takeover,
             "in_flight": len(flight), "kinds (n, PASS waited)": kinds,
             "worst_pass": max([r.get("pass", 0) for r in recs] + [0]),
             "worst_total": max(r["total"] for r in recs),
             "first_ok": min(oks) if oks else None,
             "over_7s": len(late), "wrong_count": len(bad),
             "health": [(round(t - k0, 1), w) for t, w in self.health],
             "held_retr1": self.retr, "held_after": after,
             "lost": lost, "attempts": len(recs)}
        for k, v in s.items():
            print("  %s: %r" % (k, v), flush=True)
        for ln in self.srv.log()[self.logged:].splitlines():
            if re.search(r"store|health|stuck", ln):
                print("    log: " + ln[:160])
        return s


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
    names = [u for u in users if u[0] != "m" or int(u[1:]) in sizes]
    if eng is not None:
        t, nf = copy_in(src, top, names, a.j, a.deadline)
        r["copy"] = (t, nf)
        print("  %s: %d files copied in %.0fs (%.0f/s)" % (store, nf, t,
                                                         nf / t),
              flush=True)
    guide = a.failover_logins and store == "cephfs"
    srv = server(top, users, names, guide)
    try:
        for n in sizes:
            r["open%d" % n] = opens(srv, n, a.r)
            print("  %s: open %d warm/cold %.0f/%.0f ms" % (
                store, n, r["open%d" % n][0] * 1e3,
                r["open%d" % n][1] * 1e3), flush=True)
        r["fetch"] = fetch(srv, users["f"], a.r,
                           eng.client_pids()[0] if eng else None)
        r["lmtp"] = lmtp(srv, "d", a.t)
        for k, fail in (("fail", True), ("grace", False)):
            if store != "cephfs":
                break
            w = None
            if guide:
                w = Failover(srv, [u for u in users if u[0] == "l"], "h",
                             k)
                w.start()
            try:
                r["takeover_" + k] = takeover(eng, fail, w)
            except BaseException:
                if w:
                    w.end = time.monotonic()    # its logins stop
                raise
            if w:
                r["logins_" + k] = w.finish()
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
    ap.add_argument("--failover-logins", action="store_true",
                    help="logins during the MDS takeovers (issue 87)")
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
        users = stage(src, every, a.f, a.failover_logins)
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
