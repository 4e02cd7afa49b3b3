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

"""load.py -- load and soak test of popd (a benchmark, not part of make test).

Starts popd through the test harness (regress/popdtest.py) with many mail
users (bcrypt cost 4 by default, so that the figures are about the
server rather than bcrypt; --cost 10 for the production cost) and runs
three phases on loopback, printing figures as it goes:

 1. Concurrency: N logged-in sessions held open at once (one per user:
    a second login of a user is answered [IN-USE], which is checked),
    each running STAT, UIDL, RETR k, NOOP in a loop for T seconds, while
    M idle TLS connections sit in the AUTHORIZATION state.  Reports
    failures, sessions/s while they log in, command latency (median,
    p99), RSS/PSS and open descriptors of the listener, authpop, the
    parent and the sum of the wrkrpops, and that a fresh login works at
    the peak and after every client is gone, with the descriptor and
    process counts back at their baseline.
 2. Churn: K short sessions (connect, USER, PASS, UIDL, QUIT) from 16
    threads; logins/s, errors, descriptors and RSS against the baseline.
 3. The same churn with an abuse mix running alongside: clients that
    disconnect mid-handshake, mid-login and mid-RETR, that send 100 KB
    lines (before and after login), that never read, wrong passwords
    and unknown users, DELE without QUIT.  The well-behaved clients must
    see no failure, and the maildir file counts must not change except
    for the control sessions that end DELE with QUIT.

    python3 regress/bench/load.py [-n 300] [-m 1000] [-t 20] [-k 2000]
                                  [--users U] [--cost 4|10] [--quick]

Runs as root (real uids, full privilege separation).  Exit status 1 if a
check failed (failures of well-behaved clients, leaked descriptors or
processes, deleted mail, a crash in the daemon log).  All traffic goes
to 127.0.0.1; every loop is bounded in time.
"""

import argparse
import multiprocessing as mp
import os
import queue
import random
import resource
import socket
import ssl
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402

HOST = "127.0.0.1"
SIZES = (600, 3000, 12000, 40000)       # the messages of every user
BIG = 2 * 1024 * 1024                   # extra message of the abuse users
NCTRL = 40                              # messages of the DELE users
CHURN_THREADS = 16
CHURN_PROCS = 4
ABUSE_THREADS = 12

CHECKS = []                             # (ok, text) for the summary


def check(ok, text):
    CHECKS.append((bool(ok), text))
    print("  [%s] %s" % ("ok" if ok else "FAIL", text))
    sys.stdout.flush()
    return ok


def out(*a):
    print(*a)
    sys.stdout.flush()


# --- client ------------------------------------------------------------

_CTX = None


def ctx():
    global _CTX
    if _CTX is None:
        _CTX = T.client_ctx(ssl.TLSVersion.TLSv1_2)
    return _CTX


ProtoError = T.ProtoError


class Client(T.Raw):
    """The harness's Raw client (TLS 1.2 or later), the greeting read by
    the constructor and checked by login()."""

    def __init__(self, port, timeout=30, tls=True, rcvbuf=None):
        super().__init__(port, HOST, tls=tls, ctx=ctx(), timeout=timeout,
                         rcvbuf=rcvbuf)
        self.greeting = self.line()

    def login(self, user, pw):
        if not self.greeting.startswith(b"+OK"):
            raise ProtoError("greeting %r" % self.greeting[:100])
        return super().login(user, pw)


def errname(e):
    s = "%s: %s" % (type(e).__name__, e)
    return s[:160]


def pctl(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


# --- server side measurements -------------------------------------------

def mem(pid):
    """(rss_kb, pss_kb) from smaps_rollup."""
    rss = pss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for ln in f:
                if ln.startswith("Rss:"):
                    rss = int(ln.split()[1])
                elif ln.startswith("Pss:"):
                    pss = int(ln.split()[1])
    except OSError:
        pass
    return rss, pss


def nfds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def snapshot(srv):
    """Per role: pid, rss, pss, fds; wrkrpop summed."""
    p = srv.pids()
    out_ = {}
    for role in ("parent", "listener", "authpop"):
        pid = p[role]
        if pid is None:
            out_[role] = None
            continue
        r, s = mem(pid)
        out_[role] = {"pid": pid, "rss": r, "pss": s, "fds": nfds(pid)}
    rs = ss = fd = 0
    fdmax = 0
    for pid in p["wrkrpop"]:
        r, s = mem(pid)
        n = nfds(pid)
        rs += r
        ss += s
        fd += max(n, 0)
        fdmax = max(fdmax, n)
    out_["wrkrpop"] = {"n": len(p["wrkrpop"]), "rss": rs, "pss": ss,
                       "fds": fd, "fdmax": fdmax}
    out_["all_pids"] = len(T.descendants(srv.proc.pid))
    return out_


def print_snaps(title, snaps):
    """snaps: [(label, snapshot)] side by side."""
    out("  %s" % title)
    hdr = "    %-22s" % "" + "".join("%18s" % lb for lb, _ in snaps)
    out(hdr)
    for role in ("parent", "listener", "authpop"):
        for key, unit in (("rss", "RSS KB"), ("pss", "PSS KB"),
                          ("fds", "fds")):
            row = "    %-22s" % ("%s %s" % (role, unit))
            for _, sn in snaps:
                v = sn[role][key] if sn[role] else None
                row += "%18s" % ("-" if v is None else v)
            out(row)
    for key, lab in (("n", "wrkrpop count"), ("rss", "wrkrpop RSS KB sum"),
                     ("pss", "wrkrpop PSS KB sum"), ("fds", "wrkrpop fds sum"),
                     ("fdmax", "wrkrpop fds max")):
        row = "    %-22s" % lab
        for _, sn in snaps:
            row += "%18s" % sn["wrkrpop"][key]
        out(row)
    row = "    %-22s" % "daemon processes"
    for _, sn in snaps:
        row += "%18s" % sn["all_pids"]
    out(row)


def settle(srv, base, timeout=90):
    """Wait until no wrkrpop is left and the parent's, listener's and
    authpop's descriptor counts are back at base; the last snapshot."""
    deadline = time.monotonic() + timeout
    while True:
        sn = snapshot(srv)
        back = sn["wrkrpop"]["n"] == 0 and all(
            sn[r] and base[r] and sn[r]["fds"] == base[r]["fds"] and
            sn[r]["pid"] == base[r]["pid"]
            for r in ("parent", "listener", "authpop"))
        if back or time.monotonic() > deadline:
            return sn, back
        time.sleep(0.5)


def fresh_login(port, user, pw):
    """A new session that logs in, STATs and QUITs; (ok, seconds, why)."""
    t0 = time.perf_counter()
    try:
        c = Client(port, timeout=30)
        try:
            c.login(user, pw)
            c.ok(b"STAT")
            c.ok(b"QUIT")
        finally:
            c.close()
        return True, time.perf_counter() - t0, ""
    except Exception as e:
        return False, time.perf_counter() - t0, errname(e)


def maildir_counts(srv):
    out_ = {}
    for u in srv.users:
        md = srv.maildir(u)
        out_[u] = sum(len(os.listdir(os.path.join(md, d)))
                      for d in ("new", "cur"))
    return out_


def log_summary(srv):
    """Counts of notable daemon log lines."""
    pats = ["killed by signal", "restarting", "dropped", "pausing",
            "fatal", "read buffer full", "relay buffer", "send to worker",
            "exited", "cannot", "maildrop in use", "too many failures",
            "client takes no data", "TLS handshake timeout",
            "sent .* octets, announced"]
    import re
    counts = {}
    text = srv.log()
    for ln in text.splitlines():
        for p in pats:
            if re.search(p, ln):
                counts[p] = counts.get(p, 0) + 1
    return counts


# --- phase 1: concurrency -----------------------------------------------

def idle_holder(port, m, ready_q, release, hold_max):
    """Open m TLS connections, read their greetings, keep them open
    until release is set (or hold_max seconds), then close them."""
    conns = []
    fails = []
    lock = threading.Lock()
    todo = list(range(m))

    def opener():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            try:
                c = Client(port, timeout=60)
                if not c.greeting.startswith(b"+OK"):
                    fails.append("greeting %r" % c.greeting[:80])
                    c.close()
                    continue
                with lock:
                    conns.append(c)
            except Exception as e:
                fails.append(errname(e))

    t0 = time.perf_counter()
    ths = [threading.Thread(target=opener) for _ in range(8)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    ready_q.put(("idle-ready", len(conns), fails[:5], len(fails),
                 time.perf_counter() - t0))
    release.wait(hold_max)
    # Still open?  A closed one reads EOF at once.
    alive = 0
    for c in conns:
        try:
            c.settimeout(0.0)
            try:
                d = c.sock.recv(1)
                if d:
                    alive += 1      # unexpected data, but open
            except (ssl.SSLWantReadError, BlockingIOError):
                alive += 1
        except Exception:
            pass
    for c in conns:
        c.close()
    ready_q.put(("idle-done", alive, len(conns)))


def session_worker(port, users, start_ev, go_ev, go_at, seconds, think,
                   release, q, wid):
    """Threads, one per user: log in, wait for go, loop, hold, QUIT."""
    res = {"lat": {"STAT": [], "UIDL": [], "RETR": [], "NOOP": []},
           "login": [], "fail": [], "quitok": 0, "cmds": 0}
    lock = threading.Lock()

    def fail(what):
        with lock:
            res["fail"].append(what)

    def run(user, pw):
        c = None
        try:
            start_ev.wait(120)
            t0 = time.perf_counter()
            c = Client(port, timeout=60)
            c.login(user, pw)
            dt = time.perf_counter() - t0
            with lock:
                res["login"].append(dt)
            q.put(("logged", True, ""))
        except Exception as e:
            fail("login %s: %s" % (user, errname(e)))
            q.put(("logged", False, errname(e)))
            if c:
                c.close()
            return
        lat = {k: [] for k in res["lat"]}
        n = 0
        try:
            if not go_ev.wait(180):
                raise ProtoError("no go")
            end = go_at.value + seconds
            k = 0
            while time.time() < end:
                t = time.perf_counter()
                r = c.ok(b"STAT")
                if r.split()[1] != b"%d" % len(SIZES):
                    raise ProtoError("STAT %r" % r)
                t2 = time.perf_counter()
                lat["STAT"].append(t2 - t)
                c.ok(b"UIDL")
                body = c.block()
                if body.count(b"\r\n") != len(SIZES):
                    raise ProtoError("UIDL %r" % body[:200])
                t3 = time.perf_counter()
                lat["UIDL"].append(t3 - t2)
                i = k % len(SIZES)
                r = c.ok(b"RETR %d" % (i + 1))
                body = c.block()
                # Message numbers follow the scan, not the delivery.
                sz = int(r.split()[1])
                if len(body) != sz or sz not in SIZES:
                    raise ProtoError("RETR %d: %r, %d bytes" %
                                     (i + 1, r, len(body)))
                t4 = time.perf_counter()
                lat["RETR"].append(t4 - t3)
                c.ok(b"NOOP")
                lat["NOOP"].append(time.perf_counter() - t4)
                n += 4
                k += 1
                if think:
                    time.sleep(think)
            q.put(("looped", True, ""))
        except Exception as e:
            fail("loop %s: %s" % (user, errname(e)))
            q.put(("looped", False, errname(e)))
            c.close()
            with lock:
                for kk in lat:
                    res["lat"][kk] += lat[kk]
                res["cmds"] += n
            return
        with lock:
            for kk in lat:
                res["lat"][kk] += lat[kk]
            res["cmds"] += n
        try:
            release.wait(300)
            r = c.cmd(b"QUIT")
            if not r.startswith(b"+OK"):
                raise ProtoError("QUIT %r" % r)
            with lock:
                res["quitok"] += 1
        except Exception as e:
            fail("quit %s: %s" % (user, errname(e)))
        finally:
            c.close()

    ths = [threading.Thread(target=run, args=u, daemon=True) for u in users]
    for t in ths:
        t.start()
    for t in ths:
        t.join(seconds + 600)
    q.put(("result", wid, res))


def phase1(srv, args, good, spare):
    out("\n== 1. concurrency: %d logged-in sessions looping %d s, "
        "%d idle TLS connections pre-login" % (args.n, args.t, args.m))
    base = snapshot(srv)
    q = mp.Queue()
    release_idle = mp.Event()
    idle = mp.Process(target=idle_holder,
                      args=(srv.port, args.m, q, release_idle,
                            args.t + 900))
    idle.start()
    m_ok = m_fail = 0
    m_time = 0.0
    try:
        msg = q.get(timeout=300)
        assert msg[0] == "idle-ready"
        _, m_ok, m_errs, m_fail, m_time = msg
    except queue.Empty:
        m_errs = ["timed out"]
    out("  idle TLS connections: %d open (greeting read) in %.1f s, "
        "%d failed %s" % (m_ok, m_time, m_fail, m_errs[:3] or ""))
    snap_idle = snapshot(srv)

    users = good[:args.n]
    nproc = min(args.procs, len(users))
    start_ev, go_ev, release = mp.Event(), mp.Event(), mp.Event()
    go_at = mp.Value("d", 0.0)
    procs = []
    for w in range(nproc):
        part = users[w::nproc]
        p = mp.Process(target=session_worker,
                       args=(srv.port, part, start_ev, go_ev, go_at,
                             args.t, args.think, release, q, w))
        p.start()
        procs.append(p)
    time.sleep(1.0)             # let every thread reach start_ev
    t0 = time.perf_counter()
    start_ev.set()
    logged = lfail = 0
    lerr = []
    deadline = time.monotonic() + 180
    while logged + lfail < len(users) and time.monotonic() < deadline:
        try:
            kind, ok, why = q.get(timeout=5)[:3]
        except queue.Empty:
            continue
        if kind == "logged":
            if ok:
                logged += 1
            else:
                lfail += 1
                lerr.append(why)
    ramp = time.perf_counter() - t0
    out("  %d sessions logged in at once in %.2f s = %.1f sessions/s, "
        "%d failed %s" % (logged, ramp, logged / ramp if ramp else 0,
                          lfail, lerr[:3] or ""))
    snap_logged = snapshot(srv)

    # A second login of a user in session: [IN-USE].
    try:
        c = Client(srv.port)
        c.ok(b"USER " + users[0][0].encode())
        r = c.cmd(b"PASS " + users[0][1].encode())
        c.close()
    except Exception as e:
        r = errname(e).encode()
    check(r.startswith(b"-ERR [IN-USE]"),
          "second login of a user in session answered %r" % r[:60])

    go_at.value = time.time()
    go_ev.set()
    time.sleep(args.t / 2.0)
    snap_peak = snapshot(srv)
    ok_f, dt_f, why_f = fresh_login(srv.port, spare[0][0], spare[0][1])
    check(ok_f, "fresh login at the peak (%d sessions + %d idle): %.3f s %s"
          % (logged, m_ok, dt_f, why_f))
    looped = lpfail = 0
    lperr = []
    deadline = time.monotonic() + args.t + 120
    while looped + lpfail < logged and time.monotonic() < deadline:
        try:
            kind, ok, why = q.get(timeout=5)[:3]
        except queue.Empty:
            continue
        if kind == "looped":
            if ok:
                looped += 1
            else:
                lpfail += 1
                lperr.append(why)
    elapsed = time.time() - go_at.value
    snap_hold = snapshot(srv)
    ok_h, dt_h, why_h = fresh_login(srv.port, spare[1][0], spare[1][1])
    check(ok_h, "fresh login with all sessions held: %.3f s %s"
          % (dt_h, why_h))
    release.set()
    results = []
    deadline = time.monotonic() + 300
    while len(results) < nproc and time.monotonic() < deadline:
        try:
            msg = q.get(timeout=5)
        except queue.Empty:
            continue
        if msg[0] == "result":
            results.append(msg[2])
    for p in procs:
        p.join(30)
    release_idle.set()
    idle_alive = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            msg = q.get(timeout=5)
        except queue.Empty:
            continue
        if msg[0] == "idle-done":
            idle_alive = msg[1]
            break
    idle.join(30)

    lat = {k: [] for k in ("STAT", "UIDL", "RETR", "NOOP")}
    fails, logins, cmds, quitok = [], [], 0, 0
    for r in results:
        for k in lat:
            lat[k] += r["lat"][k]
        fails += r["fail"]
        logins += r["login"]
        cmds += r["cmds"]
        quitok += r["quitok"]
    allc = [x for k in lat for x in lat[k]]
    out("  %d commands in %.1f s = %.0f commands/s; QUIT +OK: %d/%d"
        % (cmds, elapsed, cmds / elapsed if elapsed else 0, quitok,
           len(users)))
    out("    %-8s %9s %9s %9s %9s" % ("latency", "n", "median ms",
                                      "p99 ms", "max ms"))
    for k in ("STAT", "UIDL", "RETR", "NOOP"):
        xs = lat[k]
        out("    %-8s %9d %9.2f %9.2f %9.2f" % (
            k, len(xs), pctl(xs, 50) * 1e3, pctl(xs, 99) * 1e3,
            (max(xs) if xs else float("nan")) * 1e3))
    out("    %-8s %9d %9.2f %9.2f %9.2f" % (
        "all", len(allc), pctl(allc, 50) * 1e3, pctl(allc, 99) * 1e3,
        (max(allc) if allc else float("nan")) * 1e3))
    out("    %-8s %9d %9.2f %9.2f %9.2f" % (
        "login", len(logins), pctl(logins, 50) * 1e3,
        pctl(logins, 99) * 1e3,
        (max(logins) if logins else float("nan")) * 1e3))
    check(not fails and m_fail == 0 and lfail == 0,
          "failures: %d session(s), %d idle connection(s) %s"
          % (len(fails), m_fail, fails[:3] + m_errs[:2]))
    check(idle_alive == m_ok, "idle pre-login connections still open at the "
          "end: %s/%d" % (idle_alive, m_ok))
    snap_end, back = settle(srv, base)
    ok_e, dt_e, why_e = fresh_login(srv.port, spare[0][0], spare[0][1])
    print_snaps("daemon processes", [("baseline", base),
                                     ("+%d idle" % m_ok, snap_idle),
                                     ("+%d logged in" % logged, snap_logged),
                                     ("looping (T/2)", snap_peak),
                                     ("held, idle", snap_hold),
                                     ("after", snap_end)])
    w = snap_peak["wrkrpop"]
    if w["n"]:
        out("  per logged-in session: wrkrpop %.0f KB RSS, %.0f KB PSS; "
            "listener +%.1f KB PSS per connection; authpop +%.1f KB PSS "
            "per pre-login connection" % (
                w["rss"] / w["n"], w["pss"] / w["n"],
                (snap_peak["listener"]["pss"] - base["listener"]["pss"]) /
                max(1, logged + m_ok),
                (snap_idle["authpop"]["pss"] - base["authpop"]["pss"]) /
                max(1, m_ok)))
    check(back, "after all clients left: no wrkrpop, parent/listener/authpop "
          "fds back to baseline (%s)" % ", ".join(
              "%s %s->%s" % (r, base[r]["fds"], snap_end[r]["fds"])
              for r in ("parent", "listener", "authpop")))
    check(snap_end["all_pids"] == base["all_pids"],
          "daemon process count back to baseline (%d -> %d)"
          % (base["all_pids"], snap_end["all_pids"]))
    check(ok_e, "fresh login after all clients left: %.3f s %s"
          % (dt_e, why_e))
    return snap_end


# --- phases 2 and 3: churn and abuse --------------------------------------

def churn_worker(port, jobs, q, wid, stop_at):
    """jobs: per thread a list of (user, pw) to cycle through, and a
    session count."""
    res = {"ok": 0, "err": [], "lat": []}
    lock = threading.Lock()

    def run(users, count):
        for i in range(count):
            if time.time() > stop_at:
                with lock:
                    res["err"].append("stopped at the time limit")
                return
            user, pw = users[i % len(users)]
            t0 = time.perf_counter()
            c = None
            try:
                c = Client(port, timeout=60)
                c.login(user, pw)
                c.ok(b"UIDL")
                body = c.block()
                if body.count(b"\r\n") < 1:
                    raise ProtoError("UIDL empty")
                r = c.cmd(b"QUIT")
                if not r.startswith(b"+OK"):
                    raise ProtoError("QUIT %r" % r)
                with lock:
                    res["ok"] += 1
                    res["lat"].append(time.perf_counter() - t0)
            except Exception as e:
                with lock:
                    res["err"].append("%s: %s" % (user, errname(e)))
            finally:
                if c:
                    c.close()

    ths = [threading.Thread(target=run, args=j, daemon=True) for j in jobs]
    for t in ths:
        t.start()
    for t in ths:
        t.join(max(1, stop_at - time.time() + 120))
    q.put(("churn", wid, res))


def client_hello():
    """The bytes of a real TLS ClientHello."""
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx().wrap_bio(inc, outg)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outg.read()


def abuse_worker(port, tid, users, wrong, ctrl, dele_user, stop, q,
                 max_seconds):
    """One abuse thread: cycle through the kinds until stop is set."""
    tally = {}
    hello = client_hello()
    user, pw = users
    rng = random.Random(tid)

    def note(kind, outcome):
        k = (kind, outcome)
        tally[k] = tally.get(k, 0) + 1

    def hs_none():
        s = socket.create_connection((HOST, port), timeout=10)
        s.close()
        return "closed"

    def hs_half():
        s = socket.create_connection((HOST, port), timeout=10)
        s.sendall(hello[:len(hello) // 2])
        time.sleep(0.05)
        s.close()
        return "closed"

    def hs_garbage():
        s = socket.create_connection((HOST, port), timeout=10)
        s.sendall(b"USER plaintext\r\nPASS nope\r\n")
        try:
            d = s.recv(100)
            r = "server closed" if not d else "got %r" % d[:20]
        except OSError:
            r = "server reset"
        s.close()
        return r

    def mid_user():
        c = Client(port, timeout=20)
        c.ok(b"USER " + user.encode())
        c.abort()
        return "aborted"

    def mid_pass():
        # Correct password, gone before the answer: authpop hands a dead
        # socket to a wrkrpop, which must just end.
        c = Client(port, timeout=20)
        c.send(b"USER %s\r\nPASS %s\r\n" % (user.encode(), pw.encode()))
        c.abort()
        return "aborted"

    def mid_pass_wrong():
        c = Client(port, timeout=20)
        c.send(b"USER %s\r\nPASS %s\r\n" % (user.encode(), b"wrong"))
        c.close()
        return "closed"

    def wrong_pw():
        c = Client(port, timeout=20)
        r = None
        for i in range(3):
            u = rng.choice(wrong)
            c.ok(b"USER " + u.encode())
            r = c.cmd(b"PASS not-the-password")
            if not r.startswith(b"-ERR [AUTH]"):
                c.close()
                return "unexpected %r" % r[:40]
        try:
            c.line()
            r2 = "open after 3 failures"
        except (EOFError, OSError):
            r2 = "closed after 3 failures"
        c.close()
        return r2 if b"too many" in r else "no too-many: %r" % r[:40]

    def unknown_user():
        c = Client(port, timeout=20)
        c.ok(b"USER nosuchuser%d" % tid)
        r = c.cmd(b"PASS whatever")
        c.ok(b"QUIT")
        c.close()
        return "-ERR [AUTH]" if r.startswith(b"-ERR [AUTH]") else \
            "unexpected %r" % r[:40]

    def long_pre():
        c = Client(port, timeout=30)
        c.send(b"USER " + b"x" * 100000 + b"\r\n")
        r = c.line()
        r2 = c.cmd(b"CAPA")
        if r2.startswith(b"+OK"):
            c.block()
        c.ok(b"QUIT")
        c.close()
        return "answered %r" % r[:30]

    def long_pre_nolf():
        c = Client(port, timeout=30)
        c.send(b"y" * 100000)
        c.close()
        return "closed"

    def long_post():
        c = Client(port, timeout=30)
        r = c.login(user, pw)
        c.send(b"NOOP " + b"z" * 100000 + b"\r\n")
        r = c.line()
        c.ok(b"STAT")
        c.ok(b"QUIT")
        c.close()
        return "answered %r" % r[:30]

    def mid_retr():
        c = Client(port, timeout=30)
        c.login(user, pw)
        r = c.ok(b"RETR %d" % (len(SIZES) + 1))
        c.fill()
        c.fill()
        if rng.random() < 0.5:
            c.abort()
        else:
            c.close()
        return "aborted"

    def never_read_post():
        c = Client(port, timeout=30, rcvbuf=4096)
        c.login(user, pw)
        c.settimeout(3)
        try:
            for i in range(50):
                c.send(b"RETR %d\r\n" % (len(SIZES) + 1))
            r = "all sent"
        except (socket.timeout, TimeoutError):
            r = "send blocked"
        time.sleep(2)
        c.abort()
        return r

    def never_read_pre():
        c = Client(port, timeout=30, rcvbuf=4096)
        c.settimeout(3)
        try:
            c.send(b"CAPA\r\n" * 20000)
            r = "all sent"
        except (socket.timeout, TimeoutError):
            r = "send blocked"
        time.sleep(1)
        c.close()
        return r

    def dele_noquit():
        # DELE everything, then gone without QUIT: nothing removed.
        c = Client(port, timeout=30)
        c.login(dele_user[0], dele_user[1])
        r = c.ok(b"STAT")
        n = int(r.split()[1])
        c.send(b"".join(b"DELE %d\r\n" % (i + 1) for i in range(n)))
        for i in range(n):
            c.line()
        how = rng.choice(("abort", "close", "rset"))
        if how == "rset":
            c.ok(b"RSET")
            c.ok(b"QUIT")
            c.close()
        elif how == "abort":
            c.abort()
        else:
            c.close()
        return how

    def dele_quit():
        # The control: DELE 1 and QUIT removes exactly one message.
        c = Client(port, timeout=30)
        c.login(ctrl[0], ctrl[1])
        r = c.ok(b"STAT")
        if int(r.split()[1]) == 0:
            c.ok(b"QUIT")
            c.close()
            return "empty"
        c.ok(b"DELE 1")
        r = c.cmd(b"QUIT")
        c.close()
        return "deleted" if r.startswith(b"+OK") else \
            "QUIT %r" % r[:40]

    kinds = [hs_none, hs_half, hs_garbage, mid_user, mid_pass,
             mid_pass_wrong, wrong_pw, unknown_user, long_pre,
             long_pre_nolf, long_post, mid_retr, never_read_post,
             never_read_pre]
    if tid == 0:
        kinds += [dele_quit]
    if tid == 1:
        kinds = [dele_noquit, hs_half, wrong_pw]
    t_end = time.monotonic() + max_seconds
    i = tid
    while not stop.is_set() and time.monotonic() < t_end:
        fn = kinds[i % len(kinds)]
        i += 1
        try:
            note(fn.__name__, fn())
        except Exception as e:
            msg = errname(e)
            # [IN-USE]: our previous, abandoned session still runs.
            if "IN-USE" in msg:
                msg = "[IN-USE]"
            note(fn.__name__, "exc " + msg[:70])
    q.put(("abuse", tid, tally))


def abuse_proc(port, tids, users, wrong, ctrl, dele_user, stop, q,
               max_seconds):
    ths = [threading.Thread(target=abuse_worker,
                            args=(port, t, users[t], wrong, ctrl,
                                  dele_user, stop, q, max_seconds),
                            daemon=True) for t in tids]
    for t in ths:
        t.start()
    for t in ths:
        t.join(max_seconds + 120)


def churn(srv, args, good, with_abuse, abuse_users, ctrl, dele_user):
    label = "3. churn + abuse mix" if with_abuse else "2. churn"
    out("\n== %s: %d sessions (connect, USER, PASS, UIDL, QUIT) from %d "
        "threads" % (label, args.k, CHURN_THREADS))
    base = snapshot(srv)
    q = mp.Queue()
    stop = mp.Event()
    aprocs = []
    if with_abuse:
        wrong = [u for u, _ in good[:50]]
        tids = list(range(ABUSE_THREADS))
        for part in (tids[0::2], tids[1::2]):
            p = mp.Process(target=abuse_proc,
                           args=(srv.port, part, abuse_users, wrong, ctrl,
                                 dele_user, stop, q, args.abuse_max))
            p.start()
            aprocs.append(p)
        time.sleep(0.5)
    # Thread t uses users t, t+16, ...: no two threads share a user.
    per = [args.k // CHURN_THREADS + (1 if t < args.k % CHURN_THREADS
                                      else 0)
           for t in range(CHURN_THREADS)]
    jobs = [(good[t::CHURN_THREADS], per[t]) for t in range(CHURN_THREADS)]
    stop_at = time.time() + args.churn_max
    t0 = time.perf_counter()
    cprocs = []
    for w in range(CHURN_PROCS):
        p = mp.Process(target=churn_worker,
                       args=(srv.port, jobs[w::CHURN_PROCS], q, w, stop_at))
        p.start()
        cprocs.append(p)
    mid = None
    res, tallies = [], []
    deadline = time.monotonic() + args.churn_max + 180
    while len(res) < CHURN_PROCS and time.monotonic() < deadline:
        try:
            msg = q.get(timeout=1)
        except queue.Empty:
            if mid is None and time.perf_counter() - t0 > 3:
                mid = snapshot(srv)
            continue
        if msg[0] == "churn":
            res.append(msg[2])
        elif msg[0] == "abuse":
            tallies.append(msg[2])
    elapsed = time.perf_counter() - t0
    stop.set()
    deadline = time.monotonic() + args.abuse_max + 60
    while with_abuse and len(tallies) < ABUSE_THREADS and \
            time.monotonic() < deadline:
        try:
            msg = q.get(timeout=1)
        except queue.Empty:
            continue
        if msg[0] == "abuse":
            tallies.append(msg[2])
    for p in cprocs + aprocs:
        p.join(30)
    ok = sum(r["ok"] for r in res)
    errs = [e for r in res for e in r["err"]]
    lat = [x for r in res for x in r["lat"]]
    out("  %d sessions ok in %.1f s = %.1f logins/s; errors: %d %s"
        % (ok, elapsed, ok / elapsed, len(errs), errs[:5] or ""))
    out("  session time (connect..QUIT reply): median %.1f ms, p99 %.1f ms,"
        " max %.1f ms" % (pctl(lat, 50) * 1e3, pctl(lat, 99) * 1e3,
                         (max(lat) if lat else float("nan")) * 1e3))
    check(ok == args.k and not errs,
          "%s: well-behaved clients: %d/%d ok, %d errors"
          % (label, ok, args.k, len(errs)))
    dq = 0
    if with_abuse:
        tot = {}
        for t in tallies:
            for k, v in t.items():
                tot[k] = tot.get(k, 0) + v
        out("  abuse clients (%d threads), outcomes:" % len(tallies))
        for (kind, outcome), v in sorted(tot.items()):
            out("    %-16s %6d  %s" % (kind, v, outcome))
        dq = tot.get(("dele_quit", "deleted"), 0)
    sn, back = settle(srv, base)
    snaps = [("before", base)]
    if mid is not None:
        snaps.append(("during", mid))
    snaps.append(("after", sn))
    print_snaps("daemon processes", snaps)
    check(back, "%s: no wrkrpop left, parent/listener/authpop fds back to "
          "baseline (%s)" % (label, ", ".join(
              "%s %s->%s" % (r, base[r]["fds"], sn[r]["fds"])
              for r in ("parent", "listener", "authpop"))))
    for r in ("parent", "listener", "authpop"):
        out("  %s RSS %d -> %d KB (%+d)" % (r, base[r]["rss"], sn[r]["rss"],
                                            sn[r]["rss"] - base[r]["rss"]))
    ok_e, dt_e, why_e = fresh_login(srv.port, good[0][0], good[0][1])
    check(ok_e, "%s: fresh login afterwards: %.3f s %s" % (label, dt_e,
                                                           why_e))
    return sn, dq


# --- setup ----------------------------------------------------------------

class LoadServer(T.Server):
    """The harness's server, without -v unless asked: per-command debug
    lines from hundreds of sessions would measure the log file."""

    def __init__(self, *a, **kw):
        self.log_verbose = kw.pop("log_verbose", False)
        super().__init__(*a, **kw)

    def argv(self):
        a = super().argv()
        if not self.log_verbose:
            a.remove("-v")
        return a


def body(size, seed):
    """A message of exactly size octets once LFs become CRLFs."""
    head = (b"From: load@example.org\nTo: user@example.org\n"
            b"Subject: load %d\n\n" % seed)
    line = b"the quick brown fox jumps over the lazy dog %d\n" % seed
    wire = lambda b: len(b) + b.count(b"\n")      # noqa: E731
    n = max(0, (size - wire(head)) // wire(line) - 1)
    b = head + line * n
    need = size - wire(b)
    while need >= wire(line) + 2:
        b += line
        need -= wire(line)
    if need >= 2:
        b += b"x" * (need - 2) + b"\n"
    elif need == 1:
        b = b[:-1] + b"y\n"
    assert wire(b) == size, (size, len(b))
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=300,
                    help="logged-in sessions held at once")
    ap.add_argument("-m", type=int, default=1000,
                    help="idle TLS connections pre-login")
    ap.add_argument("-t", type=float, default=20, help="seconds of looping")
    ap.add_argument("-k", type=int, default=2000, help="churn sessions")
    ap.add_argument("--users", type=int, default=200,
                    help="mail users (raised to n + 2 if smaller)")
    ap.add_argument("--cost", type=int, default=4, help="bcrypt cost")
    ap.add_argument("--think", type=float, default=0.0,
                    help="pause between command rounds (s)")
    ap.add_argument("--procs", type=int, default=6,
                    help="client processes for phase 1")
    ap.add_argument("--churn-max", type=float, default=600,
                    help="time limit of a churn phase (s)")
    ap.add_argument("--abuse-max", type=float, default=600,
                    help="time limit of the abuse threads (s)")
    ap.add_argument("--phases", default="123",
                    help="phases to run, in order; may repeat (\"11\")")
    ap.add_argument("--log-verbose", action="store_true",
                    help="run popd with -v")
    ap.add_argument("--quick", action="store_true",
                    help="small figures, to try the script")
    args = ap.parse_args()
    if args.quick:
        args.n, args.m, args.t, args.k = 20, 50, 3, 200
        args.users = min(args.users, 40)
    if os.geteuid() != 0:
        sys.exit("load.py: run as root (real uids, privilege separation)")

    # The client side needs a descriptor per connection.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, args.n + args.m + 1024))
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ValueError, OSError) as e:
        out("setrlimit: %s" % e)
    if want < args.n + args.m + 200:
        out("warning: only %d descriptors for the clients" % want)

    ngood = max(args.users, args.n + 2)
    good = [("u%d" % i, "pw-u%d" % i) for i in range(1, ngood + 1)]
    spare = good[args.n:args.n + 2]
    abuse = [("a%d" % i, "pw-a%d" % i) for i in range(ABUSE_THREADS)]
    ctrl = ("ctrldel", "pw-ctrl")
    dele_user = ("delnoquit", "pw-dnq")
    allusers = good + abuse + [ctrl, dele_user]
    out("setting up %d mail users (bcrypt cost %d) ..." % (len(allusers),
                                                          args.cost))
    t0 = time.time()
    # Every client is on 127.0.0.1: the per-address limits (popd.conf(5))
    # stand aside for this measure of capacity, as an admin would set
    # them for a proxy in front.
    srv = LoadServer(users=allusers, cost=args.cost,
                     log_verbose=args.log_verbose,
                     conf_extra="limit per-address handshakes 100000\n"
                     "limit per-address sessions 100000\n"
                     "limit per-address logged-in 100000\n"
                     "limit handshakes 100000\nlimit logged-in 100000\n")
    try:
        for u, _ in good:
            for j, sz in enumerate(SIZES):
                srv.deliver(u, body(sz, j))
        for u, _ in abuse:
            for j, sz in enumerate(SIZES):
                srv.deliver(u, body(sz, j))
            srv.deliver(u, body(BIG, 99))
        for u in (ctrl[0], dele_user[0]):
            for j in range(NCTRL):
                srv.deliver(u, body(SIZES[j % len(SIZES)], j))
        srv.start()
        out("popd on 127.0.0.1:%d, %d users, setup %.1f s; tmp %s"
            % (srv.port, len(allusers), time.time() - t0, srv.tmpdir))
        with open("/proc/%d/limits" % srv.pids()["listener"]) as f:
            for ln in f:
                if ln.startswith("Max open files"):
                    out("listener: %s" % " ".join(ln.split()))
        counts0 = maildir_counts(srv)
        base = snapshot(srv)
        dq = 0
        # In the order given; a repeated phase tells a leak (growth on
        # every round) from memory kept after a peak.
        for ph in args.phases:
            if ph == "1":
                phase1(srv, args, good, spare)
                check(maildir_counts(srv) == counts0,
                      "phase 1: maildir file counts unchanged")
            elif ph == "2":
                churn(srv, args, good, False, abuse, ctrl, dele_user)
            elif ph == "3":
                dq += churn(srv, args, good, True, abuse, ctrl,
                            dele_user)[1]
        counts2 = maildir_counts(srv)
        changed = {u: (counts0[u], counts2[u]) for u in counts0
                   if counts0[u] != counts2[u]}
        want_ctrl = max(0, counts0[ctrl[0]] - dq)
        ok_ctrl = counts2[ctrl[0]] == want_ctrl
        changed.pop(ctrl[0], None)
        check(not changed and ok_ctrl,
              "maildirs: no message removed except by DELE+QUIT "
              "(control user: %d -> %d, %d DELE+QUIT sessions); others "
              "changed: %s" % (counts0[ctrl[0]], counts2[ctrl[0]], dq,
                               changed or "none"))
        end, _ = settle(srv, base, timeout=30)
        out("\n== whole run: baseline -> end")
        print_snaps("daemon processes", [("baseline", base), ("end", end)])
        check(end["all_pids"] == base["all_pids"] and
              end["wrkrpop"]["n"] == 0,
              "no leftover processes (%d -> %d)" % (base["all_pids"],
                                                   end["all_pids"]))
        ls = log_summary(srv)
        out("  daemon log: %s" % (", ".join("%r: %d" % kv for kv in
                                             sorted(ls.items())) or
                                   "nothing notable"))
        bad = srv.crashes()
        check(not bad, "no crash or restart in the daemon log %s"
              % (bad[:3] or ""))
        check(srv.alive(), "daemon alive at the end")
    finally:
        srv.stop()
        left = srv.leftovers
        if left:
            check(False, "processes left after stop: %s" % left[:5])
        if os.environ.get("POPDTEST_KEEP"):
            out("kept %s" % srv.tmpdir)
        else:
            srv.cleanup()
    nfail = sum(1 for ok, _ in CHECKS if not ok)
    out("\n%d checks, %d failed" % (len(CHECKS), nfail))
    for ok, text in CHECKS:
        if not ok:
            out("  FAIL " + text)
    sys.exit(1 if nfail else 0)


if __name__ == "__main__":
    main()
