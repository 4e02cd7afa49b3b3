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

"""mailbox.py -- how fast a big maildrop opens (a benchmark, not a test).

Builds maildirs of 1,000, 10,000 and 100,000 small messages (names with
,S= and ,W= as mda writes them; nine in ten in cur/), then times, over
POP3S with a bcrypt cost 10 authtab:

  login    connect, TLS, USER, PASS up to the +OK (bcrypt + open)
  stat     STAT: from the PASS reply to STAT's
  uidl     UIDL: from STAT's reply to the end of the UIDL list
  quit     QUIT (no DELE): to its reply
  total    login + STAT + UIDL + QUIT

warm (popcache current), cold (popcache removed before each run),
the CPU wrkrpop spends on a warm open, STAT and UIDL (its schedstat),
migrated (cold, with a dovecot-uidlist naming every message, whose UIDLs
are taken over: a maildir coming from Dovecot) and mda deliveries per
second.  With dovecot-pop3d installed (or
installable: apt-get, as root) a private Dovecot on loopback serves a
copy of the same maildir and its figures are printed alongside.

    python3 regress/bench/mailbox.py [-n 2000,10000,100000] [-r runs]
        [--junk N]

--junk N: popd merges a .Junk of N more messages (popd.conf junk Junk
merge tag, issue 55) into every maildrop; its counts include them,
Dovecot serves INBOX alone as before.

Then, for each size: UIDL alone, 10 times in one session, over TLS and
in plaintext, with the server's CPU for one (all its processes); QUIT
after DELE of 1,000 messages (popd and Dovecot); and popd's warm login
on each size less its login on the smallest (issue 22: within 3 ms of
2,000 messages' on 100,000).  The client reads a multi-line answer into
one buffer and looks only at its end, as a mail client in C does.

Targets: s+u on 100,000 messages under 60 ms warm; a cold open
(no popcache, sizes in names) under 1 s.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402

SETTLE = 2.2    # popcache trusts directory stamps once 2 s old


# --- building maildirs ----------------------------------------------------

def build(md, n, uid, gid):
    rng = random.Random(n)
    t = 1700000000
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(md, sub), 0o700, exist_ok=True)
    for i in range(n):
        body = (b"From: someone@example.org\nTo: bench@example.org\n"
                b"Subject: message %d\nMessage-ID: <%d@bench>\n\n"
                b"%s\n" % (i, i, b"word " * rng.randrange(5, 60)))
        w = len(body) + body.count(b"\n")
        base = "%d.M%06dP%dR%08x.bench.example.org,S=%d,W=%d" % (
            t + i, rng.randrange(1000000), 1000 + i % 30000,
            rng.getrandbits(32), len(body), w)
        if i % 10 == 9:
            path = os.path.join(md, "new", base)
        else:
            path = os.path.join(md, "cur", base + ":2,S")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.close(fd)
        if T.is_root:
            os.chown(path, uid, gid)
    if T.is_root:
        for sub in ("", "tmp", "new", "cur"):
            os.chown(os.path.join(md, sub), uid, gid)


def build_junk(md, n, uid, gid):
    """A .Junk of n messages, in cur/ as a filter that marked them seen
    files them, named before INBOX's (popd lists them after)."""
    top = os.path.join(md, ".Junk")
    shutil.rmtree(top, ignore_errors=True)
    for sub in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(top, sub), 0o700, exist_ok=True)
        if T.is_root:
            os.chown(os.path.join(top, sub), uid, gid)
    for i in range(n):
        body = (b"From: spam@example.org\nTo: bench@example.org\n"
                b"Subject: offer %d\n\n%s\n" % (i, b"buy " * (i % 50 + 5)))
        path = os.path.join(top, "cur", "%d.M%06dP1.junk,S=%d:2,S" % (
            1600000000 + i, i, len(body)))
        with open(path, "wb") as f:
            f.write(body)
        if T.is_root:
            os.chown(path, uid, gid)


# --- one session ------------------------------------------------------------

TERM = b"\r\n.\r\n"


def answer(c, cmd, view):
    """Send cmd, receive its whole answer into view (a memoryview of a
    preallocated buffer) and return its length: as a mail client in C
    reads it, not line by line (the harness's Raw.block searches and
    copies in Python: 6 MB of UIDLs cost it more than the server).  The
    answer ends where what was received ends in CRLF.CRLF: nothing was
    sent after cmd, and a dot-stuffed body never holds that sequence."""
    c.send(cmd + b"\r\n")
    n = len(c.buf)
    view[:n] = c.buf
    c.buf = bytearray()
    while n < 5 or view[n - 5:n] != TERM:
        r = c.sock.recv_into(view[n:])
        if r == 0:
            raise EOFError("closed during %r" % cmd)
        n += r
    if view[:3] != b"+OK":
        raise RuntimeError("%r: %r" % (cmd, bytes(view[:80])))
    return n


def one_session(port, user, pw, want):
    view = memoryview(bytearray(max(1 << 20, want * 128)))
    c = T.Raw(port, timeout=120)
    c.line()
    c.login(user, pw)
    t_login = time.perf_counter()
    stat = c.ok(b"STAT")
    t_stat = time.perf_counter()
    k = answer(c, b"UIDL", view)
    t_uidl = time.perf_counter()
    c.ok(b"QUIT")
    t_end = time.perf_counter()
    c.close()
    n = int(stat.split()[1])
    lines = bytes(view[:k]).count(b"\r\n") - 2
    if n != want or lines != want:
        raise RuntimeError("expected %d messages, STAT says %d, UIDL has "
                           "%d lines" % (want, n, lines))
    return {"login": t_login - c.t0, "stat": t_stat - t_login,
            "uidl": t_uidl - t_stat, "quit": t_end - t_uidl,
            "total": t_end - c.t0}


def dele_count(n, k=1000):
    """Sessions dele_runs takes the median of: 3 where the maildrop has
    room for them (each removes k more), else one."""
    return 3 if n >= 10 * k else 1


def dele_runs(port, user, pw, n, k=1000):
    """QUIT after DELE of k messages: the median of dele_count(n)."""
    return median([dele_session(port, user, pw, min(k, n))
                   for _ in range(dele_count(n, k))])


def dele_session(port, user, pw, k):
    """DELE of messages 1..k (pipelined), then QUIT: its time."""
    c = T.Raw(port, timeout=300)
    c.line()
    c.login(user, pw)
    c.send(b"".join(b"DELE %d\r\n" % i for i in range(1, k + 1)))
    for _ in range(k):
        r = c.line()
        if not r.startswith(b"+OK"):
            raise RuntimeError("DELE: %r" % r)
    t0 = time.perf_counter()
    r = c.ok(b"QUIT")
    t = time.perf_counter() - t0
    c.close()
    return t


def uidl_alone(port, tls, user, pw, n, root, count=10):
    """count UIDLs of n messages in one session: the median time and the
    server's CPU (all its processes, /proc/PID/schedstat) for one, and
    the octets of the answer."""
    view = memoryview(bytearray(max(1 << 20, n * 128)))
    c = T.Raw(port, tls=tls, timeout=120)
    c.line()
    c.login(user, pw)
    answer(c, b"UIDL", view)
    ts, cpu = [], []
    for _ in range(count):
        c0 = server_cpu(root)
        t0 = time.perf_counter()
        k = answer(c, b"UIDL", view)
        ts.append(time.perf_counter() - t0)
        cpu.append(server_cpu(root) - c0)
    c.ok(b"QUIT")
    c.close()
    return median(ts), median(cpu), k


def server_cpu(root):
    """On-CPU seconds of root and its descendants."""
    ns = 0
    for p in [root] + T.descendants(root):
        try:
            with open("/proc/%d/schedstat" % p) as f:
                ns += int(f.read().split()[0])
        except (OSError, ValueError):
            pass
    return ns / 1e9


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def runs(port, user, pw, n, count, before=None):
    out = []
    for _ in range(count):
        if before is not None:
            before()
        out.append(one_session(port, user, pw, n))
    return {k: median([r[k] for r in out]) for k in out[0]}


# --- popd -----------------------------------------------------------------

def bench_popd(srv, n, count, rss):
    md = srv.maildir("bench")
    pw = srv.password("bench")
    # Build the popcache, then let the stamps settle and record them.
    one_session(srv.port, "bench", pw, n)
    time.sleep(SETTLE)
    one_session(srv.port, "bench", pw, n)
    warm = runs(srv.port, "bench", pw, n, count)
    if rss is not None:
        rss[n] = session_rss(srv, "bench", pw)

    def drop():
        try:
            os.unlink(os.path.join(md, "popcache"))
        except FileNotFoundError:
            pass
    cold = runs(srv.port, "bench", pw, n, max(1, count // 2), drop)
    # Migrated from Dovecot: its dovecot-uidlist next to the messages,
    # every UIDL taken from it at the first open.
    uidlist(md, srv.uid("bench"), srv.gid("bench"))

    def drop_migrated():
        drop()
        try:
            os.unlink(os.path.join(md, "popd.migrated"))
        except FileNotFoundError:
            pass
    migrated = runs(srv.port, "bench", pw, n, max(1, count // 2),
                    drop_migrated)
    os.unlink(os.path.join(md, "dovecot-uidlist"))
    drop_migrated()
    # Leave a settled popcache behind for the mda figures.
    one_session(srv.port, "bench", pw, n)
    return warm, cold, migrated


def uidlist(md, uid, gid):
    """A dovecot-uidlist (version 3) for every message of md, UIDs in
    name order, with the W (virtual size) field Dovecot writes."""
    names = sorted(os.listdir(os.path.join(md, "cur")) +
                   os.listdir(os.path.join(md, "new")))
    path = os.path.join(md, "dovecot-uidlist")
    with open(path, "w") as f:
        f.write("3 V1700000000 N%d G0123456789abcdef\n" % (len(names) + 1))
        for i, name in enumerate(names, 1):
            f.write("%d :%s\n" % (i, name.split(":")[0]))
    if T.is_root:
        os.chown(path, uid, gid)


def wrkrpop_cpu(srv, user, pw, n, count):
    """The CPU a warm session's wrkrpop spends on its open (the PASS
    answer), STAT and the UIDL of n messages, read from its
    /proc/PID/schedstat before QUIT: the median of count sessions, in
    seconds.  Unlike the times above, other work on the machine hardly
    moves it."""
    view = memoryview(bytearray(max(1 << 20, n * 128)))
    out = []
    # A popcache whose stamps have settled: a warm open.
    one_session(srv.port, user, pw, n)
    time.sleep(SETTLE)
    one_session(srv.port, user, pw, n)
    T.wait_for(lambda: not srv.pids()["wrkrpop"], 10, "wrkrpop's exit")
    for _ in range(count):
        c = T.Raw(srv.port, timeout=120)
        c.line()
        c.login(user, pw)
        c.ok(b"STAT")
        answer(c, b"UIDL", view)
        pids = srv.pids()["wrkrpop"]
        if len(pids) != 1:
            raise RuntimeError("wrkrpop processes: %r" % pids)
        with open("/proc/%d/schedstat" % pids[0]) as f:
            out.append(int(f.read().split()[0]) / 1e9)
        c.ok(b"QUIT")
        c.close()
        T.wait_for(lambda: not srv.pids()["wrkrpop"], 10, "wrkrpop's exit")
    return median(out)


def session_rss(srv, user, pw):
    """Peak resident memory of a wrkrpop that has sent the UIDL list."""
    c = T.Raw(srv.port, timeout=120)
    c.line()
    c.login(user, pw)
    c.ok(b"UIDL")
    c.block()
    kb = None
    for pid in srv.pids()["wrkrpop"]:
        try:
            with open("/proc/%d/status" % pid) as f:
                for ln in f:
                    if ln.startswith("VmHWM:"):
                        kb = int(ln.split()[1])
        except OSError:
            pass
    c.ok(b"QUIT")
    c.close()
    return kb


def mda_rate(srv, seconds=3.0, parallel=1):
    env = {"PATH": "/usr/bin:/bin", "HOME": srv.users["bench"]["home"]}
    uid, gid = srv.uid("bench"), srv.gid("bench")

    def drop():
        if T.is_root:
            os.setgroups([gid])
            os.setgid(gid)
            os.setuid(uid)
    msg = b"From: a@example.org\nSubject: rate\n\n" + b"body line\n" * 40
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        procs = [subprocess.Popen([T.MDA], stdin=subprocess.PIPE, env=env,
                                  preexec_fn=drop)
                 for _ in range(parallel)]
        for p in procs:
            p.communicate(msg)
            if p.returncode != 0:
                raise RuntimeError("mda exited %d" % p.returncode)
        done += parallel
    return done / (time.perf_counter() - t0)


# --- Dovecot --------------------------------------------------------------

# The harness's Dovecot (popdtest.Dovecot) with indexes on disk, as a
# server keeps them, and UIDLs from the file names: its cheapest setup.
DOVECOT_BENCH = """
ssl_min_protocol = TLSv1.3
mail_location = maildir:~
pop3_uidl_format = %f
disable_plaintext_auth = no
service pop3-login {{
  inet_listener pop3 {{
    port = {plain}
  }}
}}
service anvil {{
  chroot =
}}
"""


def bench_dovecot(dv, n, count):
    md = os.path.join(dv.home, "bench")

    def drop():
        for x in os.listdir(md):
            if x.startswith("dovecot"):
                p = os.path.join(md, x)
                if os.path.isdir(p):
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
    one_session(dv.port, "bench", "benchpw", n)
    time.sleep(SETTLE)
    one_session(dv.port, "bench", "benchpw", n)
    warm = runs(dv.port, "bench", "benchpw", n, count)
    cold = runs(dv.port, "bench", "benchpw", n, max(1, count // 2), drop)
    return warm, cold


# --- main -----------------------------------------------------------------

def row(n, server, tag, r):
    print("%-8d %-8s %-8s %s %s %s %s %s" % (
          n, server, tag, ms(r["login"]), ms(r["stat"]), ms(r["uidl"]),
          ms(r["quit"]), ms(r["total"])), flush=True)


def ms(x):
    return "%8.1f" % (x * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", default="2000,10000,100000")
    ap.add_argument("-r", type=int, default=5, help="runs per figure")
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--junk", type=int, default=0,
                    help="messages in a merged .Junk (popd only)")
    a = ap.parse_args()
    sizes = [int(x) for x in a.n.split(",")]
    j = a.junk

    plain = T.free_port()
    srv = T.Server(users=[("bench", "benchpw")], cost=10,
                   extra_args=["-p", "%s:%d" % (T.HOST, plain),
                               "-t", "127.0.0.0/8"],
                   conf_extra="junk Junk merge tag\n" if j else "")
    dv = None
    try:
        srv.start()
        binary = None if a.no_dovecot else T.find_dovecot()
        if binary is not None:
            dv_plain = T.free_port()
            dv = T.Dovecot(binary, srv,
                           extra=DOVECOT_BENCH.format(plain=dv_plain),
                           own_homes=True).start()
        elif not a.no_dovecot:
            print("# dovecot-pop3d not available: popd figures only")
        print("# %s, %d cores, bcrypt cost 10, median of %d runs (cold: "
              "%d); times in ms" % (os.uname().release, os.cpu_count(),
                                     a.r, max(1, a.r // 2)))
        print("%-8s %-8s %-8s %8s %8s %8s %8s %8s" % (
              "messages", "server", "open", "login", "stat", "uidl",
              "quit", "total"))
        rss = {}
        cpus = {}
        rates = {}
        logins, dele, uidls = {}, {}, {}
        pw = srv.password("bench")
        md = srv.maildir("bench")
        for n in sizes:
            for sub in ("new", "cur", "tmp"):
                shutil.rmtree(os.path.join(md, sub), ignore_errors=True)
            for x in os.listdir(md):
                if x.startswith("popcache"):
                    os.unlink(os.path.join(md, x))
            t0 = time.perf_counter()
            build(md, n, srv.uid("bench"), srv.gid("bench"))
            if j:
                build_junk(md, j, srv.uid("bench"), srv.gid("bench"))
            print("# built %d messages%s in %.1f s" % (n, " and %d in "
                  ".Junk" % j if j else "", time.perf_counter() - t0),
                  flush=True)
            warm, cold, migrated = bench_popd(srv, n + j, a.r, rss)
            if (n + j) in rss:
                rss[n] = rss.pop(n + j)
            cpus[n] = wrkrpop_cpu(srv, "bench", pw, n + j, max(5, 2 * a.r))
            uidls[n] = [("popd", "TLS", uidl_alone(srv.port, True, "bench",
                                                   pw, n + j,
                                                   srv.proc.pid)),
                        ("popd", "plaintext", uidl_alone(
                            plain, False, "bench", pw, n + j,
                            srv.proc.pid))]
            for tag, r in (("warm", warm), ("cold", cold),
                           ("migrated", migrated)):
                row(n, "popd", tag, r)
            logins[n] = warm["login"]
            if dv is not None:
                dmd = os.path.join(dv.home, "bench")
                shutil.rmtree(dmd, ignore_errors=True)
                subprocess.run(["cp", "-a", md, dmd], check=True)
                for x in os.listdir(dmd):
                    if x.startswith("popcache") or x == "popd.lock":
                        os.unlink(os.path.join(dmd, x))
                try:
                    dwarm, dcold = bench_dovecot(dv, n, a.r)
                    for tag, port, tls in (("TLS", dv.port, True),
                                           ("plaintext", dv_plain, False)):
                        uidls[n].append(("dovecot", tag, uidl_alone(
                            port, tls, "bench", "benchpw", n,
                            dv.proc.pid)))
                    for tag, r in (("warm", dwarm), ("cold", dcold)):
                        row(n, "dovecot", tag, r)
                    dele[n] = dele.get(n, ()) + (dele_runs(
                        dv.port, "bench", "benchpw", n),)
                except Exception as e:
                    print("# dovecot failed: %s %s" % (e, dv.log_tail(20)))
                shutil.rmtree(dmd, ignore_errors=True)
            dele[n] = (dele_runs(srv.port, "bench", pw, n + j),) + \
                dele.get(n, ())
            rates[n] = (mda_rate(srv, 3.0, 1), mda_rate(srv, 3.0, 2))
        print()
        base = min(logins) if logins else None
        for n in sizes:
            if base is not None and n != base:
                print("popd warm login on %d messages: %+.1f ms against "
                      "%d messages" % (n, (logins[n] - logins[base]) * 1e3,
                                       base))
        for n in sizes:
            print("wrkrpop CPU, warm open+STAT+UIDL of %d messages%s: "
                  "%.2f ms (median of %d)" % (n, " and %d in .Junk" % j
                                              if j else "", cpus[n] * 1e3,
                                              max(5, 2 * a.r)))
        for n in sizes:
            print("UIDL of %d messages (%.1f MB), 10 in one session, "
                  "median: %s" % (n, uidls[n][0][2][2] / 1e6, "; ".join(
                      "%s %s %.1f ms (server CPU %.1f ms)" % (
                          who, tag, r[0] * 1e3, r[1] * 1e3)
                      for who, tag, r in uidls[n])))
        for n in sizes:
            d = dele.get(n, ())
            print("QUIT after DELE of %d of %d messages (median of %d): "
                  "popd %.1f ms%s" % (
                  min(1000, n), n, dele_count(n), d[0] * 1e3,
                  ", dovecot %.1f ms" %
                  (d[1] * 1e3) if len(d) > 1 else ""))
        for n in sizes:
            print("mda into %d messages (popcache current): %.0f "
                  "deliveries/s sequential, %.0f with 2 in parallel"
                  % (n, rates[n][0], rates[n][1]))
        for n in sizes:
            if rss.get(n):
                print("wrkrpop peak RSS after UIDL of %d messages: %.1f MB"
                      % (n, rss[n] / 1024))
    except Exception:
        print("# popd log tail:\n" + srv.log_tail(20))
        raise
    finally:
        if dv is not None:
            dv.cleanup()
        srv.cleanup()


if __name__ == "__main__":
    main()
