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

"""shared.py -- what shared storage costs popd (issue 56): the hosts of
regress/fleetns.py (network namespaces), the clients on the front host.

  local    one backend, the maildirs on local disk
  shared   two backends, the maildirs on a GlusterFS replica-3 volume
           (fleetns.py: a glusterd and a brick on each of the three
           hosts), each backend on its own FUSE mount, the users'
           sessions spread over both
  shared1  one backend on the volume (the filesystem alone, same
           process count as local)

For each: logins/s (C client processes, TLS straight to a backend,
USER, PASS, STAT, QUIT, for -t seconds, bcrypt cost 4: the login's
filesystem work shows) and fetch MB/s (C clients each RETR every message
of a maildrop of its own, N messages of S KB, no DELE, for -t seconds).
Best of -r rounds.  Then the failover time as test_fleetfaults.py
measures it: three backends on the volume, the popd router and nginx in
front; the backend alice logs in on is killed -9 and her logins through
nginx are tried every 50 ms until one is served elsewhere (-k times,
each backend restarted and taken back before the next).

--lost-host instead: alice in a session on her backend's host when
that host vanishes (its link down, so nothing closes its connections),
then alice and bob each try to log in through nginx every half second:
how long until each is in again (the volume's network.ping-timeout
--ping-timeout seconds, or GlusterFS's default).

    python3 regress/bench/shared.py [-c 8] [-t 5] [-r 3] [-n 40] [-s 256]
                                    [-k 5]
    python3 regress/bench/shared.py --lost-host [--ping-timeout 5]
    quick: -c 2 -t 1 -r 1 -n 10 -k 1

Runs as root; installs glusterfs and nginx's mail module when missing.
A benchmark, not a test: it prints figures."""

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import popdtest as T  # noqa: E402
import fleetns  # noqa: E402
import test_fleetfaults as FF  # noqa: E402


def users(n):
    return [("bench%d" % i, "pw%d" % i) for i in range(n)]


def login_worker(addr, user, pw, start, deadline, q):
    ok = bad = 0
    while time.time() < start:
        time.sleep(0.01)
    while time.time() < deadline:
        try:
            r = T.Raw(fleetns.DIRECT, host=addr, timeout=20)
            r.line()
            r.login(user, pw)
            r.ok("STAT")
            r.ok("QUIT")
            r.close()
            ok += 1
        except (OSError, EOFError, T.ProtoError):
            bad += 1
    q.put((ok, bad))


def fetch_worker(addr, user, pw, start, deadline, q):
    octets = bad = 0
    while time.time() < start:
        time.sleep(0.01)
    while time.time() < deadline:
        try:
            r = T.Raw(fleetns.DIRECT, host=addr, timeout=60)
            r.line()
            r.login(user, pw)
            n = int(r.ok("STAT").split()[1])
            for i in range(1, n + 1):
                r.ok("RETR %d" % i)
                octets += len(r.block())
            r.ok("QUIT")
            r.close()
        except (OSError, EOFError, T.ProtoError):
            bad += 1
    q.put((octets, bad))


def run(work, who, seconds):
    """One process per (backend address, user, password) in who, for
    seconds from half a second on: the sums of what they counted, and
    the real time."""
    q = multiprocessing.Queue()
    start = time.time() + 0.5
    procs = [multiprocessing.Process(target=work, args=(
        a, u, pw, start, start + seconds, q)) for a, u, pw in who]
    for p in procs:
        p.start()
    res = [q.get() for _ in procs]
    for p in procs:
        p.join()
    return (sum(r[0] for r in res), sum(r[1] for r in res),
            time.time() - start)


def fill(f, us, n, kb):
    """n messages of kb KB in each user's maildrop, written as an MDA
    does (tmp/, then new/), through the first backend's mount."""
    line = b"x" * 76 + b"\r\n"
    body = line * (kb * 1024 // len(line))
    for i, (u, _) in enumerate(us, 1):
        pe = T.mailuser(i)
        md = f.backends[0].users[u]["maildir"]
        for k in range(n):
            name = "%d.M%dP%d.bench" % (1700000000 + k, k, os.getpid())
            tmp = os.path.join(md, "tmp", name)
            with open(tmp, "wb") as fh:
                fh.write(b"Subject: %d\r\n\r\n" % k + body)
            os.chown(tmp, pe.pw_uid, pe.pw_gid)
            os.rename(tmp, os.path.join(md, "new", name))


def case(label, storage, nb, a):
    us = users(a.clients)
    f = fleetns.Fleet(us, backends=nb, storage=storage, nginx=False)
    try:
        f.start()
        fill(f, us, a.messages, a.size)
        who = [(f.backends[i % nb].addr, u, pw)
               for i, (u, pw) in enumerate(us)]
        run(login_worker, who, 1)           # warm: popcache, caches
        logins = fetch = 0
        for _ in range(a.rounds):
            ok, bad, secs = run(login_worker, who, a.seconds)
            logins = max(logins, ok / secs)
            octets, fbad, fsecs = run(fetch_worker, who, a.seconds)
            fetch = max(fetch, octets / fsecs / 1e6)
            print("%-8s %7.1f logins/s (%d failed)  %7.1f MB/s fetched "
                  "(%d failed)" % (label, ok / secs, bad,
                                   octets / fsecs / 1e6, fbad))
            sys.stdout.flush()
        return logins, fetch
    finally:
        f.stop()


def failover(a):
    us = [("alice", "pw-a")]
    router = T.Server(users=us)
    f = fleetns.Fleet(us, backends=3, storage="gluster")
    took = []
    try:
        f.start(router)
        for k in range(a.kills):
            r, rep, src = FF.nginx_login(f, "alice")
            r.cmd("QUIT")
            r.close()
            x = next(b for b in f.backends if b.addr == FF.where(f, src))
            x.kill_tree()
            while True:
                r, rep, src = FF.nginx_login(f, "alice")
                if rep.startswith(b"+OK"):
                    t = time.monotonic() - x.killed
                    r.cmd("QUIT")
                    r.close()
                    break
                r.close()
                if time.monotonic() - x.killed > 30:
                    raise RuntimeError("no failover in 30 s")
                time.sleep(0.05)
            on = FF.where(f, src)
            took.append(t)
            print("failover %d: %s killed -9, alice served by %s %.2f s "
                  "after" % (k + 1, x.addr, on, t))
            sys.stdout.flush()
            x.start()
            T.wait_for(lambda: f.states().get(x.addr) == "up", timeout=10,
                       what="%s up again" % x.addr)
            time.sleep(1)
    finally:
        f.stop()
        router.cleanup()
    return took


def lost_host(a):
    """alice in a session on her backend's host when that host vanishes
    (its link down: nothing closes its connections): how long until she
    logs in elsewhere, and until bob (no session open) does, each trying
    every half second with a 10 s timeout through nginx; the volume's
    network.ping-timeout as --ping-timeout says (GlusterFS's default:
    42 s)."""
    us = [("alice", "pw-a"), ("bob", "pw-b")]
    router = T.Server(users=us)
    f = fleetns.Fleet(us, backends=3, storage="gluster")
    try:
        f.start(router)
        if a.ping_timeout:
            f.vol.gluster("volume", "set", f.vol.name,
                          "network.ping-timeout", str(a.ping_timeout))
        held, rep, src = FF.nginx_login(f, "alice")
        x = FF.where(f, src)
        i = [b.addr for b in f.backends].index(x)
        subprocess.run(["ip", "-n", f.net.hosts[i], "link", "set", "eth0",
                        "down"], check=True)
        t0 = time.monotonic()
        back = {}

        def tries(user):
            while time.monotonic() - t0 < a.lost_wait:
                t1 = time.monotonic()
                try:
                    r, rep, _ = FF.nginx_login(f, user, timeout=10)
                    r.close()
                    what = rep[:13].decode(errors="replace")
                except (OSError, EOFError) as e:
                    rep, what = b"", e.__class__.__name__
                print("  %-5s %5.1f s: %s (in %.1f s)" % (
                    user, t1 - t0, what, time.monotonic() - t1))
                sys.stdout.flush()
                if rep.startswith(b"+OK"):
                    back[user] = time.monotonic() - t0
                    return
                time.sleep(0.5)

        th = [threading.Thread(target=tries, args=(u,)) for u, _ in us]
        for t in th:
            t.start()
        for t in th:
            t.join()
        print("host %s lost (ping-timeout %s), alice's session open "
              "there: alice in elsewhere after %s, bob after %s" % (
                  x, a.ping_timeout or "42 (default)",
                  "%.1f s" % back["alice"] if "alice" in back else "never",
                  "%.1f s" % back["bob"] if "bob" in back else "never"))
        held.close()
    finally:
        f.stop()
        router.cleanup()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-c", "--clients", type=int, default=8)
    p.add_argument("-t", "--seconds", type=float, default=5)
    p.add_argument("-r", "--rounds", type=int, default=3)
    p.add_argument("-n", "--messages", type=int, default=40)
    p.add_argument("-s", "--size", type=int, default=256, help="KB")
    p.add_argument("-k", "--kills", type=int, default=5)
    p.add_argument("--lost-host", action="store_true",
                   help="only: a host lost with a session open")
    p.add_argument("--lost-wait", type=float, default=150)
    p.add_argument("--ping-timeout", type=int, default=0)
    a = p.parse_args()
    if a.lost_host:
        lost_host(a)
        return
    T.need_root()
    load = os.getloadavg()[0]
    res = {}
    for label, storage, nb in (("local", "local", 1),
                               ("shared", "gluster", 2),
                               ("shared1", "gluster", 1)):
        res[label] = case(label, storage, nb, a)
    took = failover(a)
    commit = subprocess.run(["git", "-C", T.REPO, "rev-parse", "--short",
                             "HEAD"], stdout=subprocess.PIPE).stdout
    print()
    print("# %s, commit %s, %d cores, load %.1f before; %d clients, %d x "
          "%d KB each, best of %d" % (
              time.strftime("%Y-%m-%d"), commit.decode().strip(),
              os.cpu_count(), load, a.clients, a.messages, a.size,
              a.rounds))
    print("%-34s %12s %12s %12s" % ("", "local (1)", "shared (2)",
                                    "shared (1)"))
    lo = res["local"]
    for i, what in enumerate(("logins/s", "fetch MB/s")):
        print("%-34s %12.1f %12.1f %12.1f" % (
            what, lo[i], res["shared"][i], res["shared1"][i]))
        print("%-34s %12s %11.2fx %11.2fx" % (
            "  against local", "", res["shared"][i] / lo[i],
            res["shared1"][i] / lo[i]))
    print("failover (kill -9 to a login elsewhere): median %.2f s, worst "
          "%.2f s of %d" % (statistics.median(took), max(took), len(took)))


if __name__ == "__main__":
    main()
