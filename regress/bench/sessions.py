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

"""sessions.py -- what a logged-in session costs, and many of them at once,
popd beside Dovecot 2.3 (a benchmark, not a test).

Both servers get the same users (one uid, one bcrypt hash of cost 4, so
that 10,000 logins are quick and the figures are about sessions; the
user of the fresh logins has cost 10), the same
certificate and empty maildirs.  Each client session connects from its
own loopback address (127.1.x.y), logs in over TLS (USER, PASS) and
stays idle; the client side is spread over several processes.

  --idle N (500)      N idle logged-in sessions: the server's PSS
                      (/proc/PID/smaps_rollup, every process) with them
                      less without them, per session, by process kind;
                      for one wrkrpop and the listener, where it goes
                      (Private_Dirty and Pss by mapping: heap, stack,
                      each library, the program)
  --sessions N (0)    N logged-in sessions held at once: login p50/p99
                      while they ramp up, every session's STAT answered
                      at the peak, the server's PSS and descriptors (and
                      its biggest process's), and a fresh login at the
                      peak against the same login unloaded (goal: under
                      2x; that user's hash has cost 10, as in
                      production); popd.conf and Dovecot's limits raised
                      for N as a big site would

    python3 regress/bench/sessions.py [--idle 500] [--sessions 10000]
        [--no-dovecot] [--procs 8]

Runs as root; everything on 127.0.0.0/8, every loop bounded.
"""

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402

PW = "sessionpw"
KB = 1024


def name(i):
    return "s%05d" % i


def src(i):
    return "127.1.%d.%d" % (i // 250, 1 + i % 250)


# --- the client side ----------------------------------------------------------

def client_proc(port, first, count, conn):
    """Log in users first..first+count-1 and hold their sessions; then
    answer the parent's commands: "stat" (STAT on each), "close"."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 64, count + 64))
    held, times, errors = [], [], []
    for i in range(first, first + count):
        t0 = time.perf_counter()
        try:
            c = T.Raw(port, timeout=60, src=src(i))
            c.line()
            c.login(name(i), PW)
            held.append(c)
            times.append(time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 -- reported, not raised
            errors.append("%s: %s" % (name(i), e))
            if len(errors) > 5:
                break
    conn.send((times, errors))
    while True:
        cmd = conn.recv()
        if cmd == "stat":
            ok = 0
            for c in held:
                try:
                    if c.cmd(b"STAT")[:3] == b"+OK":
                        ok += 1
                except Exception:  # noqa: BLE001
                    pass
            conn.send(ok)
        else:
            for c in held:
                c.close()
            conn.send(len(held))
            return


def hold(port, n, procs):
    """n sessions over procs processes; returns (pipes, times, errors)."""
    per = (n + procs - 1) // procs
    pipes, ps = [], []
    for k in range(procs):
        lo, cnt = k * per, min(per, n - k * per)
        if cnt <= 0:
            break
        a, b = mp.Pipe()
        p = mp.Process(target=client_proc, args=(port, lo, cnt, b))
        p.start()
        pipes.append(a)
        ps.append(p)
    times, errors = [], []
    for a in pipes:
        t, e = a.recv()
        times += t
        errors += e
    return pipes, ps, times, errors


def release(pipes, ps):
    for a in pipes:
        a.send("close")
    for a in pipes:
        a.recv()
    for p in ps:
        p.join(30)


def fresh_login(port, user, count=7):
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        c = T.Raw(port, timeout=60, src="127.0.0.9")
        c.line()
        c.login(user, PW)
        out.append(time.perf_counter() - t0)
        c.ok(b"QUIT")
        c.close()
    return statistics.median(out)


# --- the server side ----------------------------------------------------------

def kind(pid):
    k = T.classify(pid)
    if k is not None:
        return k
    try:
        comm = T.proc_comm(pid)
    except OSError:
        return "?"
    return "parent" if comm in ("popd", "dovecot") else comm


def rollup(pid):
    out = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for ln in f:
                k, _, v = ln.partition(":")
                if v.strip().endswith("kB"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def census(root):
    """PSS (KB) and descriptors by process kind, and the biggest count of
    descriptors in one process."""
    pss, fds, nproc, biggest = {}, 0, {}, 0
    for p in [root] + T.descendants(root):
        k = kind(p)
        pss[k] = pss.get(k, 0) + rollup(p).get("Pss", 0)
        nproc[k] = nproc.get(k, 0) + 1
        try:
            n = len(os.listdir("/proc/%d/fd" % p))
        except OSError:
            n = 0
        fds += n
        biggest = max(biggest, n)
    return pss, nproc, fds, biggest


def smaps(pid):
    """Private_Dirty and Pss (KB) by mapping: heap, stack, anon, each
    file by its base name."""
    out, cur = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for ln in f:
            parts = ln.split()
            if "-" in parts[0] and len(parts) >= 5:
                path = parts[5] if len(parts) > 5 else "[anon]"
                cur = os.path.basename(path) if path.startswith("/") \
                    else path
                out.setdefault(cur, [0, 0])
            elif parts[0] == "Private_Dirty:":
                out[cur][0] += int(parts[1])
            elif parts[0] == "Pss:":
                out[cur][1] += int(parts[1])
    return out


def show_smaps(title, pid):
    m = smaps(pid)
    tot = [sum(v[0] for v in m.values()), sum(v[1] for v in m.values())]
    print("  %s (pid %d): Private_Dirty %d KB, Pss %d KB:" % (
          title, pid, tot[0], tot[1]))
    for k, v in sorted(m.items(), key=lambda kv: -kv[1][1]):
        if v[1] >= 4 or v[0] >= 4:
            print("    %-34s dirty %5d KB  pss %5d KB" % (k[:34], v[0],
                                                        v[1]))


# --- the servers --------------------------------------------------------------

def setup(srv, n, hsh, uid, gid):
    """Users 0..n-1 with hsh; user n, the fresh logins', with a cost 10
    hash, as a real user's."""
    auth, utab, pwd = [], [], []
    slow = T.make_hash(PW, 10)
    for i in range(n + 1):
        u = name(i)
        if i == n:
            hsh = slow
        home = os.path.join(srv.homes, u)
        for d in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
            if T.is_root:
                os.chown(os.path.join(home, d), uid, gid)
        auth.append("%s\t%s\n" % (u, hsh))
        utab.append("%s\t%d:%d:%s\n" % (u, uid, gid, home))
        pwd.append("%s:{BLF-CRYPT}%s:%d:%d::%s::\n" % (u, hsh, uid, gid,
                                                      home))
    with open(srv.authtab, "a") as f:
        f.write("".join(auth))
    with open(srv.usertab, "a") as f:
        f.write("".join(utab))
    return "".join(pwd)


def popd_conf(n):
    return ("limit logged-in %d\nlimit sessions %d\n"
            "limit per-address logged-in 64\n" % (n + 100, max(4096, n)))


def dovecot_conf(n):
    """As a big site would: login processes in performance mode, enough
    of them that none needs more descriptors than it may have."""
    logins = max(2, (2 * n) // 9000 + 1)
    return """
service pop3-login {{
  service_count = 0
  process_min_avail = {logins}
  client_limit = {per}
  vsz_limit = 1G
}}
service pop3 {{
  process_limit = {n}
}}
service anvil {{
  client_limit = {anvil}
  chroot =
}}
service auth {{
  client_limit = {anvil}
}}
default_client_limit = {n}
default_process_limit = {n}
mail_max_userip_connections = 100
auth_failure_delay = 0
""".format(logins=logins, per=(n // logins) + 100, n=n + 200,
           anvil=n + 1000)


def phase_idle(label, port, root, n, procs):
    base, _, _, _ = census(root)
    pipes, ps, times, errors = hold(port, n, procs)
    # A wrkrpop gives back what its setup used after a second idle.
    time.sleep(2)
    pss, nproc, fds, biggest = census(root)
    release(pipes, ps)
    got = len(times)
    per = {k: (pss.get(k, 0) - base.get(k, 0)) / max(1, got)
           for k in pss}
    total = sum(per.values())
    print("%-8s %d idle sessions%s: %.0f KB PSS per session (%s)" % (
          label, got, " (%d failed: %s)" % (len(errors), errors[0])
          if errors else "", total,
          ", ".join("%s %.0f" % (k, v) for k, v in
                    sorted(per.items(), key=lambda kv: -kv[1])
                    if abs(v) >= 0.5)))
    return total


def phase_many(label, port, root, n, procs, probe):
    unloaded = fresh_login(port, probe)
    t0 = time.perf_counter()
    pipes, ps, times, errors = hold(port, n, procs)
    ramp = time.perf_counter() - t0
    pss, nproc, fds, biggest = census(root)
    for a in pipes:
        a.send("stat")
    answered = sum(a.recv() for a in pipes)
    try:
        peak = fresh_login(port, probe)
    except Exception as e:  # noqa: BLE001
        peak = None
        errors.append("fresh login at the peak: %s" % e)
    release(pipes, ps)
    times.sort()
    print("%-8s %d of %d sessions held (%.0f logins/s), login p50 %.1f ms "
          "p99 %.1f ms; STAT answered by %d" % (
              label, len(times), n, len(times) / ramp,
              1e3 * times[len(times) // 2] if times else 0,
              1e3 * times[int(len(times) * .99)] if times else 0,
              answered))
    print("%-8s memory %.0f MB PSS (%s), %d descriptors, at most %d in "
          "one process; processes: %s" % (
              label, sum(pss.values()) / KB, ", ".join(
                  "%s %.0f MB" % (k, v / KB) for k, v in
                  sorted(pss.items(), key=lambda kv: -kv[1])
                  if v >= KB), fds, biggest,
              ", ".join("%s %d" % kv for kv in sorted(nproc.items()))))
    print("%-8s fresh login (cost 10) unloaded %.1f ms, at the peak %s" % (
          label, unloaded * 1e3, "%.1f ms (%.2fx)" % (
              peak * 1e3, peak / unloaded) if peak else "failed"))
    for e in errors[:5]:
        print("%-8s error: %s" % (label, e))
    return len(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--idle", type=int, default=500)
    ap.add_argument("--sessions", type=int, default=0)
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--no-dovecot", action="store_true")
    a = ap.parse_args()
    n = max(a.idle, a.sessions)
    hsh = T.make_hash(PW, 4)
    srv = T.Server(users=[], cost=4, conf_extra=popd_conf(n))
    pe = T.mailuser(1) if T.is_root else None
    uid, gid = (pe.pw_uid, pe.pw_gid) if pe else (os.getuid(), os.getgid())
    t0 = time.perf_counter()
    passwd = setup(srv, n, hsh, uid, gid)
    print("# %d users and maildirs in %.1f s; bcrypt cost 4; %d client "
          "processes; %s, %d cores" % (n + 1, time.perf_counter() - t0,
                                        a.procs, os.uname().release,
                                        os.cpu_count()))
    probe = name(n)
    dv = None
    try:
        srv.start(timeout=60)
        if a.idle:
            phase_idle("popd", srv.port, srv.proc.pid, a.idle, a.procs)
            # Where one session's memory goes: hold one, look.
            c = T.Raw(srv.port, src="127.0.0.8")
            c.line()
            c.login(probe, PW)
            time.sleep(1.5)
            w = srv.pids()["wrkrpop"]
            if w:
                show_smaps("wrkrpop", w[0])
            show_smaps("listener", srv.listeners()[0])
            c.ok(b"QUIT")
            c.close()
        if a.sessions:
            phase_many("popd", srv.port, srv.proc.pid, a.sessions, a.procs,
                       probe)
        srv.stop()
        binary = None if a.no_dovecot else T.find_dovecot()
        if binary is not None:
            dv = T.Dovecot(binary, srv, extra=dovecot_conf(n),
                           passwd_extra=passwd).start()
            # The harness's users are none here: only ours.
            if a.idle:
                phase_idle("dovecot", dv.port, dv.proc.pid, a.idle, a.procs)
            if a.sessions:
                phase_many("dovecot", dv.port, dv.proc.pid, a.sessions,
                           a.procs, probe)
        elif not a.no_dovecot:
            print("# dovecot-pop3d not available: popd figures only")
    finally:
        if dv is not None:
            dv.cleanup()
        srv.cleanup()


if __name__ == "__main__":
    main()
