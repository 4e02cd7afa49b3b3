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

"""attack.py -- a legitimate user's logins under an attack mix, popd side
by side with Dovecot (a benchmark, not part of make test).

While one legitimate client (127.0.0.1) logs in, STATs, RETRs a message
and QUITs once a second over TLS (bcrypt cost 10), the attackers, all
from other loopback addresses, run at once:

  idle      connections from ONE address (127.0.0.2) that finish TLS and
            say nothing, reopened when closed (-i, 5,000 wanted)
  handshake half-finished TLS handshakes (a ClientHello cut short) from
            127.0.10.0-127.0.34.255, reopened when closed (-s, 5,000)
  spray     password guesses at full speed from 50 addresses
            (127.0.9.x), 4 connections each, reconnecting when closed
  garbage   4 clients sending megabytes of junk lines
  noread    20 logged-in clients (users of their own) that RETR a 4 MB
            message and never read

With --shared the attack is instead the one behind a shared address
(NAT, CGNAT, webmail): the legitimate user, 4 connections spraying wrong
passwords back to back and a client with a stale saved password (one
wrong try every 3 s, always the same) all come from 127.0.0.5 (issue 16;
goal: the user's median within 2x unloaded and no worse than tuned
Dovecot's, guesses checked no more than before).

Printed for popd, Dovecot with stock settings and Dovecot tuned
(performance login mode, raised limits, auth_failure_delay 2s), the same
users and hashes: the legitimate round trip's median and p99 and its
failures, unloaded and loaded; the guesses per second the sprayers had
checked (failure replies received) after the warm-up and from the start
of the attack; for popd, the guesses it checked by its log, answered or
not (a spray client gives up on a reply after 30 s, an attacker need
not); and the server's memory (RSS of all its processes) and descriptors
at the end of the attack.  popd's failure delays grow 1, 2, 4, 8 s
before they reach 15 s, longer than the warm-up: compare servers' guesses
from the start too, or a server that holds the first guesses longer
shows more of them after the warm-up.  The goals of
issue 9: a median within 2x of unloaded, p99 no worse than tuned
Dovecot's, no failure, no more guesses checked than Dovecot allows.

    python3 regress/bench/attack.py [-t 60] [-i 5000] [-s 5000]
                                    [--no-dovecot] [--scale F] [--shared]

The attack and the servers share this machine's cores, so the figures
are of both together.  Runs as root; every loop ends with the run.
"""

import argparse
import multiprocessing
import os
import resource
import signal
import socket
import ssl
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import popdtest as T  # noqa: E402

BIG = 4 * 1024 * 1024
MSG = b"From: a@example.org\r\nSubject: legit\r\n\r\n" + b"x" * 4000 + b"\r\n"
SHARED = "127.0.0.5"	# --shared: the user and the attack behind it
HELLO_CUT = bytes.fromhex("16030100c8010000c40303") + os.urandom(16)

DOVECOT_TUNED = """
auth_failure_delay = 2s
default_client_limit = 30000
default_process_limit = 3000
service pop3-login {
  service_count = 0
  process_min_avail = 2
  client_limit = 15000
  vsz_limit = 2G
}
service pop3 {
  process_limit = 3000
}
service anvil {
  client_limit = 30000
}
service auth {
  client_limit = 30000
}
"""


class Attack:
    """The attackers and the legitimate client against one port."""

    def __init__(self, port, args):
        self.port = port
        self.args = args
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.guesses = 0
        self.seq = 0
        self.idle_held = 0
        self.idle_refused = 0
        self.hs_held = 0
        self.threads = []

    def tls(self, src, timeout=10):
        """A POP3 client over TLS from src (greeting not read)."""
        return T.Raw(self.port, src=src, timeout=timeout)

    # --- attackers ---------------------------------------------------

    def idle(self):
        held = []
        while not self.stop.is_set():
            if len(held) >= self.args.idle:
                self._reap(held)
                self.stop.wait(0.5)
                continue
            try:
                c = self.tls("127.0.0.2", 5).sock
                c.settimeout(5)
                if c.recv(64).startswith(b"+OK"):
                    held.append(c)
                    with self.lock:
                        self.idle_held = len(held)
                    continue
                c.close()
            except (OSError, ssl.SSLError):
                pass
            with self.lock:
                self.idle_refused += 1
            self.stop.wait(0.01)
            if self.idle_refused % 100 == 0:
                self._reap(held)
        for c in held:
            c.close()

    def _reap(self, held):
        """Drop the connections the server has closed."""
        keep = []
        for c in held:
            try:
                c.setblocking(False)
                d = c.recv(64)
                if d == b"":
                    c.close()
                    continue
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            except (OSError, ssl.SSLError):
                c.close()
                continue
            keep.append(c)
        held[:] = keep
        with self.lock:
            self.idle_held = len(held)

    def handshakes(self):
        held = {}
        i = 0
        while not self.stop.is_set():
            while len(held) < self.args.handshakes and \
                    not self.stop.is_set():
                src = "127.0.%d.%d" % (10 + (i // 250) % 25, 1 + i % 250)
                i += 1
                try:
                    s = socket.create_connection((T.HOST, self.port), 2,
                                                 source_address=(src, 0))
                    s.send(HELLO_CUT)
                    s.setblocking(False)
                    held[s.fileno()] = s
                except OSError:
                    self.stop.wait(0.01)
                    break
            with self.lock:
                self.hs_held = len(held)
            self.stop.wait(1)
            for fd, s in list(held.items()):
                try:
                    if s.recv(1) == b"":
                        raise OSError
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                s.close()
                del held[fd]
        for s in held.values():
            s.close()

    def spray(self, src):
        while not self.stop.is_set():
            try:
                r = self.tls(src, 30)
                r.line()
                while not self.stop.is_set():
                    # Every guess a new one: the same user and password
                    # again tells an attacker nothing (and popd counts
                    # such a retry once, as a stale client's).
                    with self.lock:
                        self.seq += 1
                        n = self.seq
                    r.send(b"USER guess%d\r\n" % n)
                    r.line()
                    r.send(b"PASS password%d\r\n" % n)
                    rep = r.line()
                    if rep.startswith(b"-ERR [AUTH]"):
                        with self.lock:
                            self.guesses += 1
                    if not rep.startswith(b"-ERR [AUTH] invalid"):
                        break
                r.close()
            except (OSError, ssl.SSLError, EOFError):
                self.stop.wait(0.05)

    def garbage(self, src):
        junk = b"".join(b"%x junk \x01\xff%d\r\n" % (i, i) * 1
                        for i in range(40000))
        while not self.stop.is_set():
            try:
                c = self.tls(src, 10)
                c.send(junk)
                c.close()
            except (OSError, ssl.SSLError):
                self.stop.wait(0.2)

    def noread(self, src, k):
        while not self.stop.is_set():
            try:
                r = self.tls(src, 30)
                r.line()
                r.send(b"USER slow%d\r\nPASS slowpw%d\r\n" % (k, k))
                r.line()
                if not r.line().startswith(b"+OK"):
                    r.close()
                    self.stop.wait(1)
                    continue
                r.send(b"RETR 1\r\n")
                self.stop.wait(self.args.time + 10)
                r.close()
            except (OSError, ssl.SSLError, EOFError):
                self.stop.wait(1)

    def stale(self, src):
        """A client whose saved password is out of date: the same wrong
        one every 3 s."""
        while not self.stop.is_set():
            try:
                r = self.tls(src, 30)
                r.line()
                r.send(b"USER bob\r\nPASS old-password\r\n")
                r.line()
                r.line()
                r.send(b"QUIT\r\n")
                r.close()
            except (OSError, ssl.SSLError, EOFError):
                pass
            self.stop.wait(3)

    def start(self):
        add = self.threads.append
        if self.args.shared:
            for _ in range(4):
                add(threading.Thread(target=self.spray, args=(SHARED,),
                                     daemon=True))
            add(threading.Thread(target=self.stale, args=(SHARED,),
                                 daemon=True))
            for t in self.threads:
                t.start()
            return
        add(threading.Thread(target=self.idle, daemon=True))
        add(threading.Thread(target=self.handshakes, daemon=True))
        for a in range(self.args.sprayers):
            for _ in range(4):
                add(threading.Thread(target=self.spray,
                                     args=("127.0.9.%d" % (a + 1),),
                                     daemon=True))
        for g in range(4):
            add(threading.Thread(target=self.garbage,
                                 args=("127.0.8.%d" % (g + 1),), daemon=True))
        for k in range(self.args.noread):
            add(threading.Thread(target=self.noread,
                                 args=("127.0.7.%d" % (k % 4 + 1), k),
                                 daemon=True))
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)

    # --- the legitimate user -----------------------------------------

    def legit_once(self):
        t = time.monotonic()
        try:
            r = self.tls(SHARED if self.args.shared else "127.0.0.1", 30)
            ok = r.line().startswith(b"+OK")
            r.send(b"USER alice\r\nPASS pw1\r\n")
            ok = r.line().startswith(b"+OK") and ok
            ok = r.line().startswith(b"+OK") and ok
            r.send(b"STAT\r\nRETR 1\r\n")
            ok = r.line().startswith(b"+OK 1 ") and ok
            ok = r.line().startswith(b"+OK") and ok
            r.multiline()
            r.send(b"QUIT\r\n")
            r.line()
            r.close()
        except (OSError, ssl.SSLError, EOFError):
            ok = False
        return ok, time.monotonic() - t

    def legit(self, seconds):
        lat, fails = [], 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ok, d = self.legit_once()
            if ok:
                lat.append(d)
            else:
                fails += 1
            time.sleep(max(0.0, 1.0 - d))
        return lat, fails


def legit_proc(port, args, conn):
    conn.send(Attack(port, args).legit(args.time))
    conn.close()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


def group_usage(pgid):
    """RSS (MB) and descriptors of every process of a process group."""
    rss = fds = n = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            if int(st[st.rindex(")") + 2:].split()[2]) != pgid:
                continue
            with open("/proc/%s/status" % d) as f:
                for ln in f:
                    if ln.startswith("VmRSS:"):
                        rss += int(ln.split()[1])
            fds += len(os.listdir("/proc/%s/fd" % d))
            n += 1
        except (OSError, ValueError):
            continue
    return rss / 1024.0, fds, n


def run(name, port, pgid, args, log=None):
    """One server under the attack; log, if given, returns the server's
    log (popd's), where its own count of the sprayers' checks is."""
    a = Attack(port, args)
    base = [a.legit_once() for _ in range(5)]
    unloaded = statistics.median(d for ok, d in base if ok) \
        if any(ok for ok, _ in base) else float("nan")

    def checked():
        return log().count('failed login for "guess') if log else 0
    a.start()
    ts = time.monotonic()
    time.sleep(args.warmup)
    g0 = a.guesses
    c0 = checked()
    t0 = time.monotonic()
    # The legitimate user in a process of its own, off the attackers' GIL.
    here, there = multiprocessing.Pipe()
    p = multiprocessing.Process(target=legit_proc,
                                args=(port, args, there))
    p.start()
    lat, fails = here.recv()
    p.join()
    t1 = time.monotonic()
    rate = (a.guesses - g0) / (t1 - t0)
    # From the start too: the failure delays grow 1, 2, 4, 8 s before
    # they reach 15 s, longer than the warm-up, so a server that holds
    # the sprayers' first guesses longer shows more of them after it.
    rate_all = a.guesses / (t1 - ts)
    c1 = checked()
    crate, crate_all = (c1 - c0) / (t1 - t0), c1 / (t1 - ts)
    mem, fds, nproc = group_usage(pgid)
    r = {"name": name, "unloaded": unloaded, "n": len(lat),
         "median": statistics.median(lat) if lat else float("nan"),
         "p90": pct(lat, 0.90),
         "p99": pct(lat, 0.99), "fails": fails, "guesses": rate,
         "guesses_all": rate_all, "checked": crate,
         "checked_all": crate_all,
         "mem": mem, "fds": fds, "procs": nproc,
         "idle": a.idle_held, "idle_refused": a.idle_refused,
         "hs": a.hs_held}
    a.finish()
    print("%-15s unloaded %6.0f ms | loaded median %6.0f ms p90 %6.0f ms "
          "p99 %6.0f ms, %d/%d failed | %5.2f guesses/s (%.2f from the "
          "start%s) | %4.0f MB, %5d fds, %4d procs | held: %d idle (%d "
          "refused), %d handshakes"
          % (name, 1000 * unloaded, 1000 * r["median"], 1000 * r["p90"],
             1000 * r["p99"], fails, fails + len(lat), rate, rate_all,
             "; checked %.2f/s, %.2f from the start" % (crate, crate_all)
             if log else "", mem, fds, nproc, r["idle"], r["idle_refused"],
             r["hs"]))
    sys.stdout.flush()
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-t", "--time", type=float, default=60,
                    help="seconds of legitimate logins under attack")
    ap.add_argument("-w", "--warmup", type=float, default=10,
                    help="seconds of attack before measuring")
    ap.add_argument("-i", "--idle", type=int, default=5000)
    ap.add_argument("-s", "--handshakes", type=int, default=5000)
    ap.add_argument("--sprayers", type=int, default=50)
    ap.add_argument("--noread", type=int, default=20)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="scale every attacker count (0.05: a smoke run)")
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--shared", action="store_true",
                    help="the user, 4 sprayers and a stale client behind "
                    "one address")
    args = ap.parse_args()
    for k in ("idle", "handshakes", "sprayers", "noread"):
        setattr(args, k, max(1, int(getattr(args, k) * args.scale)))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    users = [("alice", "pw1"), ("bob", "pw2")] + \
        [("slow%d" % k, "slowpw%d" % k) for k in range(args.noread)]
    srv = T.Server(users=users, cost=10,
                   conf_extra="failure-delay 1s 15s\n")
    srv.nofile = hard
    srv.deliver("alice", MSG)
    big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * (BIG // 1000)
    for k in range(args.noread):
        srv.deliver("slow%d" % k, big)
    if args.shared:
        print("shared address %s: the user's login+STAT+RETR+QUIT once a "
              "second for %.0f s after %.0f s, 4 connections spraying "
              "wrong passwords, a stale client every 3 s; bcrypt cost 10"
              % (SHARED, args.time, args.warmup))
    else:
        print("attack mix: %d idle from one address, %d half handshakes, "
          "%d sprayers x 4, 4 garbage, %d never reading; legitimate "
          "login+STAT+RETR+QUIT once a second for %.0f s after %.0f s; "
          "bcrypt cost 10, %d CPUs shared by attack and server"
          % (args.idle, args.handshakes, args.sprayers, args.noread,
             args.time, args.warmup, os.cpu_count()))
    results = []
    try:
        srv.start()
        results.append(run("popd", srv.port, srv.proc.pid, args,
                           srv.log))
        if srv.crashes():
            print("popd crashed: %s" % srv.crashes())
        srv.stop()
        dovecot = None if args.no_dovecot else T.find_dovecot()
        if dovecot is None and not args.no_dovecot:
            print("dovecot         not installed: no comparison")
        for label, extra in (("dovecot stock", ""),
                             ("dovecot tuned", DOVECOT_TUNED)):
            if dovecot is None:
                break
            try:
                with T.Dovecot(dovecot, srv, extra=extra) as d:
                    results.append(run(label, d.port, d.proc.pid, args))
            except RuntimeError as e:
                print("%s could not run: %s" % (label, e))
    finally:
        if srv.running:
            srv.stop()
        srv.cleanup()
    goals(results)
    return 0


def goals(results):
    by = {r["name"]: r for r in results}
    p = by.get("popd")
    if p is None:
        return
    tuned = by.get("dovecot tuned")
    print("goals for popd:")
    print("  median within 2x of unloaded: %.2fx %s"
          % (p["median"] / p["unloaded"],
             "met" if p["median"] <= 2 * p["unloaded"] else "NOT met"))
    if tuned:
        print("  median no worse than tuned Dovecot's (%.0f ms): %.0f ms %s"
              % (1000 * tuned["median"], 1000 * p["median"],
                 "met" if p["median"] <= tuned["median"] else "NOT met"))
        print("  p99 no worse than tuned Dovecot's (%.0f ms): %.0f ms %s"
              % (1000 * tuned["p99"], 1000 * p["p99"],
                 "met" if p["p99"] <= tuned["p99"] else "NOT met"))
        print("  guesses/s no more than Dovecot's (%.2f): %.2f %s"
              % (tuned["guesses"], p["guesses"],
                 "met" if p["guesses"] <= tuned["guesses"] else "NOT met"))
    print("  no failed legitimate login: %d %s"
          % (p["fails"], "met" if p["fails"] == 0 else "NOT met"))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main())
