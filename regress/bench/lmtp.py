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

"""lmtp.py -- deliveries per second through popd's LMTP endpoint, side by
side with popd's mda, Dovecot's LMTP and the machine's fsync limit
(issue 19).

Every delivery is fsync'd.  Each row sends a fixed number of deliveries
(default 2,000; half as many of 100 KB) into the maildirs ~/Maildir of
100 mail users (real uids, popdtest1...), each message to one recipient
rotating over the users (the last rows: 10 recipients a message), over
one connection and over 8 in parallel, 4 KB and 100 KB messages:

  popd-lmtp  popd's `listen on socket PATH lmtp` (its parent, lmtp
             process and warm per-maildir delivery workers); each client
             process keeps one connection for all its messages, as
             OpenSMTPD does: MAIL, RCPT..., DATA, one reply per recipient
  mda        popd's mda from the build tree exec'd once per message and
             recipient as OpenSMTPD runs it: the message on stdin, as the
             mail user, HOME the user's directory, -e Maildir
  dovecot    Debian's dovecot-lmtpd in a private instance (its own
             base_dir, the lmtp unix listener, a passwd-file userdb with
             the same users, uids and homes, mail_location =
             maildir:~/Maildir, indexes on disk, mail_fsync = always),
             the same clients as popd-lmtp (strace of its lmtp process,
             Dovecot 2.3.19: fsync of the message before its rename
             into new/, fdatasync of its index and uidlist files, some
             9 a delivery into a fresh maildir; no fsync of new/)
  fsync      the machine's limit: write, fsync, link into new/, fsync
             new/, unlink, of the same message sizes into the same
             maildirs, by the same number of processes

One client process per connection (Python; connected and past LHLO
before the clock starts), the figure is deliveries over wall time.
CPU ms per delivery: the server's processes (utime + stime of popd's or
Dovecot's process tree from /proc, reaped children included; mda's and
the fsync loop's own CPU); "others": the share of the machine's CPU that
neither the server nor this script took (the machine is shared: a row
with a large share is disturbed).  After each row the messages in every
maildir's new/ and cur/ are counted against what the server
acknowledged (250 or exit 0) and the run FAILS (exit 1) on a missing or
duplicated delivery, a file left in tmp/ or a refused one; then the
maildirs are emptied (popcache and Dovecot's index files too).

popd-lmtp runs with `limit delivery-workers` as many as the users (each
maildir keeps its warm worker); one more row shows popd's default of 32
for 100 users (--no-default-row leaves it out).

With --quota (issue 39) it measures the cost of quota accounting
instead: popd-lmtp with no quota and with `quota 10G` (RCPT asks the
maildir's worker unless it answered within two seconds, every delivery
appends to maildirsize), mda with no quota and with -q 10G, Dovecot's
LMTP without and with its quota plugin (quota = maildir, quota_rule =
*:storage=10G), on the rows 4KB x1, 4KB xC and 100KB xC.  Off and on
alternate, --repeat times (default 3), each server restarted for each
and warmed by one untimed delivery to every maildir (popd's workers and
Dovecot's processes started, as on a site that has been running).  An
"on" row starts, as on a site that has had quotas for a while, with
each emptied maildir's maildirsize in place (the limit and "0 0", the
user's file), for popd and Dovecot alike; --cold leaves it out, and the
first delivery to each maildir of a row then counts the maildir (a
recalculation, once per maildir on a real site).  The medians are
printed with the cost (1 - on/off), how far apart the "off" runs of
each row were, and the goal: under 5% of deliveries/s (a cost smaller
than that spread is said to be within the noise).  After an "on" row
every maildir has a maildirsize that counts what it holds, and after an
"off" row none: else the run FAILS.

    python3 regress/bench/lmtp.py [-n deliveries] [-c connections]
                                  [--users 100] [--quick] [--no-dovecot]
                                  [--no-default-row]
                                  [--quota [--repeat 3] [--cold]]
    quick: --quick (-n 200)

Runs as root and installs dovecot-lmtpd when missing.  A popd without
the LMTP endpoint (a configuration it refuses) is reported and the other
figures printed.  This is a benchmark, not a test: it exits 0 unless a
delivery is lost or doubled or a server cannot be started.
"""

import argparse
import collections
import multiprocessing
import os
import resource
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402
from tables import cpu, busy, ours  # noqa: E402

SUBDIR = "Maildir"
SENDER = b"bench@example.org"
DOMAIN = "example.org"
MP = multiprocessing.get_context("fork")

# Dovecot's LMTP on the private instance of popdtest.Dovecot (its POP3S
# listener stays: it tells when Dovecot is up), indexes on disk.
DOVECOT_LMTP = """
protocols = pop3 lmtp
mail_location = maildir:~/%s
mail_fsync = always
auth_username_format = %%Ln
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
""" % SUBDIR


# With --quota: Dovecot's quota plugin, the same limit as popd's.
DOVECOT_QUOTA = """
mail_plugins = $mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=10G
}
"""
QUOTA = "10G"
QUOTA_PLUGIN = "/usr/lib/dovecot/modules/lib10_quota_plugin.so"


class Failed(Exception):
    """A lost, doubled or refused delivery: the run fails."""


# --- messages -------------------------------------------------------------

def message(size):
    """A message of size octets with CRLF line ends and a "%08d" for its
    sequence number in a header (no line starts with a dot)."""
    head = (b"From: Bench <bench@example.org>\r\n"
            b"To: users@example.org\r\n"
            b"Subject: lmtp bench\r\n"
            b"Message-ID: <%08d.lmtp@bench.example.org>\r\n"
            b"X-Bench-Seq: %08d\r\n\r\n")
    line = b"The quick brown fox jumps over the lazy dog, 0123456789 "
    line = line + line[:76 - len(line)] + b"\r\n"
    # Each "%08d" takes 8 octets once formatted.
    body = b""
    want = size - len(head) - 2 * 4
    while len(body) + len(line) <= want - 3:
        body += line
    body += b"x" * (want - len(body) - 2) + b"\r\n"
    msg = head + body
    if len(msg % (0, 0)) != size:
        raise RuntimeError("message of %d octets, not %d"
                           % (len(msg % (0, 0)), size))
    return msg


def recipients(k, rcpts, nusers):
    """User numbers (0-based) of message k: rcpts of them, rotating."""
    return [(k * rcpts + j) % nusers for j in range(rcpts)]


def expected(nmsg, rcpts, nusers):
    c = collections.Counter()
    for k in range(nmsg):
        c.update(recipients(k, rcpts, nusers))
    return c


# --- clients (one process per connection) ---------------------------------

class LmtpClient:
    """A minimal LMTP client on a unix socket, one transaction at a time
    (no pipelining, as OpenSMTPD's lmtp action)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(120)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.expect(b"220")
        self.send(b"LHLO bench.example.org\r\n")
        self.expect(b"250")

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """One reply, all its lines."""
        lines = []
        while True:
            ln = self.f.readline(1024)
            if not ln.endswith(b"\n"):
                raise EOFError("connection closed after %r" % lines)
            lines.append(ln.rstrip(b"\r\n"))
            if ln[3:4] != b"-":
                return lines

    def expect(self, code):
        r = self.reply()
        if not r[-1].startswith(code):
            raise RuntimeError("expected %s, got %r" % (code.decode(), r))
        return r

    def deliver(self, addrs, data):
        """One transaction; the list of replies to DATA, one per
        recipient."""
        self.send(b"MAIL FROM:<%s>\r\n" % SENDER)
        self.expect(b"250")
        for a in addrs:
            self.send(b"RCPT TO:<%s>\r\n" % a)
            self.expect(b"250")
        self.send(b"DATA\r\n")
        self.expect(b"354")
        self.send(data + b".\r\n")
        return [self.reply()[-1] for _ in addrs]

    def quit(self):
        try:
            self.send(b"QUIT\r\n")
            self.reply()
        except (OSError, EOFError):
            pass
        self.s.close()


def lmtp_worker(w, job, barrier):
    path, msg, nmsg, conns, rcpts, names = job
    ok, bad = 0, []
    c = LmtpClient(path)
    barrier.wait()
    k = None
    try:
        for k in range(w, nmsg, conns):
            addrs = [names[u] for u in recipients(k, rcpts, len(names))]
            for a, r in zip(addrs, c.deliver(addrs, msg % (k, k))):
                if r.startswith(b"250"):
                    ok += 1
                else:
                    bad.append("%s: %s" % (a.decode(), r.decode()))
        c.quit()
    except Exception as e:
        bad.append("message %s: %s" % (k, e))
    return ok, bad, 0.0


def mda_worker(w, job, barrier):
    """mda exec'd per message and recipient, as OpenSMTPD runs it; its
    CPU is the mda processes' (reaped children)."""
    msg, nmsg, conns, rcpts, users = job[:5]
    args = job[5] if len(job) > 5 else []
    ok, bad = 0, []
    barrier.wait()
    t0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for k in range(w, nmsg, conns):
        data = msg % (k, k)
        for u in recipients(k, rcpts, len(users)):
            home, uid, gid = users[u]
            p = subprocess.run([T.MDA, "-e", SUBDIR] + args, input=data,
                               env={"PATH": "/usr/bin:/bin", "HOME": home},
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, user=uid, group=gid,
                               extra_groups=[], timeout=60)
            if p.returncode == 0:
                ok += 1
            else:
                bad.append("mda exit %d for %s: %s" % (
                    p.returncode, home, p.stderr.decode(errors="replace")
                    .strip()))
    t1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ok, bad, (t1.ru_utime + t1.ru_stime - t0.ru_utime - t0.ru_stime)


def fsync_worker(w, job, barrier):
    """The fsync limit: mda's file system work and nothing else."""
    msg, nmsg, conns, rcpts, mds = job
    ok, bad = 0, []
    host = socket.gethostname()
    barrier.wait()
    t0 = resource.getrusage(resource.RUSAGE_SELF)
    try:
        for k in range(w, nmsg, conns):
            data = msg % (k, k)
            for u in recipients(k, rcpts, len(mds)):
                md = mds[u]
                name = "%d.M%dP%dQ%d.%s" % (time.time(), k, os.getpid(),
                                            u, host)
                tmp = os.path.join(md, "tmp", name)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o600)
                try:
                    os.write(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.link(tmp, os.path.join(md, "new", name))
                dfd = os.open(os.path.join(md, "new"),
                              os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
                os.unlink(tmp)
                ok += 1
    except OSError as e:
        bad.append(str(e))
    t1 = resource.getrusage(resource.RUSAGE_SELF)
    return ok, bad, (t1.ru_utime + t1.ru_stime - t0.ru_utime - t0.ru_stime)


def client(worker, w, job, barrier, q):
    """worker(w, job, barrier) in a client process: it sets up (connects),
    waits at barrier, works and returns (acknowledged deliveries,
    refusals, its server CPU seconds if it knows them); q gets (the time
    it ended, those three)."""
    try:
        ok, bad, t = worker(w, job, barrier)
    except Exception as e:
        barrier.abort()
        ok, bad, t = 0, ["%s" % e], 0.0
    q.put((time.time(), ok, bad, t))


def run_clients(worker, job, conns, roots):
    """conns processes of worker(w, job, barrier), timed from the
    moment all are ready: (wall seconds, acknowledged deliveries,
    refusals, server CPU seconds, others' share of the machine)."""
    q = MP.Queue()
    barrier = MP.Barrier(conns + 1)
    procs = [MP.Process(target=client, args=(worker, w, job, barrier, q))
             for w in range(conns)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=60)
    except Exception:
        pass
    c0, b0, o0 = cpu(roots), busy(), ours()
    t0 = time.time()
    res = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[0] for r in res) - t0
    server = cpu(roots) - c0 + sum(r[3] for r in res)
    # mda's and the fsync loop's CPU is already in ours() (reaped).
    mine = ours() - o0
    others = max(0.0, busy() - b0 - mine - (cpu(roots) - c0 if roots
                                             else 0)) / \
        (wall * os.cpu_count())
    ok = sum(r[1] for r in res)
    bad = [b for r in res for b in r[2]]
    return wall, ok, bad, server, others


# --- maildirs ------------------------------------------------------------

def empty(mds):
    """Every message and index file out of the maildirs mds."""
    for md in mds:
        for sub in ("new", "cur", "tmp"):
            d = os.path.join(md, sub)
            for x in os.listdir(d):
                os.unlink(os.path.join(d, x))
        for x in os.listdir(md):
            if x.startswith(("popcache", "dovecot", "maildirsize")):
                p = os.path.join(md, x)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.unlink(p)


def check(mds, want, seq_marker, label):
    """The messages in new/ and cur/ of each maildir are exactly want[i];
    nothing in tmp/; a message carries the bench's header."""
    errs = []
    sample = None
    for i, md in enumerate(mds):
        left = os.listdir(os.path.join(md, "tmp"))
        got = [os.path.join(md, s, x) for s in ("new", "cur")
               for x in os.listdir(os.path.join(md, s))]
        if len(got) != want.get(i, 0):
            errs.append("%s: %d messages, %d acknowledged"
                        % (md, len(got), want.get(i, 0)))
        if left:
            errs.append("%s: %d files left in tmp/" % (md, len(left)))
        if got and sample is None:
            sample = got[0]
    if sample is not None:
        with open(sample, "rb") as f:
            if seq_marker not in f.read():
                errs.append("%s has no %r" % (sample, seq_marker))
    if errs:
        raise Failed("%s: %d maildirs wrong: %s" % (label, len(errs),
                                                   "; ".join(errs[:5])))


# --- main ----------------------------------------------------------------

def row(mds, label, server, worker, job, conns, roots, want, prime=None):
    """One row into the emptied maildirs mds (then prime(), if given),
    printed and checked: (deliveries/s, server CPU ms a delivery,
    others' share)."""
    empty(mds)
    if prime is not None:
        prime()
    wall, ok, bad, scpu, others = run_clients(worker, job, conns, roots)
    rate = ok / wall
    ms = 1000 * scpu / ok if ok else None
    print("%-15s %-10s %6d %7.2f %9.1f %8s %6.0f%%"
          % (label, server, ok, wall, rate, fmt(ms, "%.2f"), 100 * others),
          flush=True)
    if bad:
        raise Failed("%s %s: %d refused or failed, first: %s"
                     % (label, server, len(bad), bad[0]))
    check(mds, want, b"X-Bench-Seq: ", "%s %s" % (label, server))
    return rate, ms, others


def fmt(x, f):
    return "-" if x is None else f % x


def ratio(a, b):
    return a / b if a is not None and b else None


def lmtp_ready(path, timeout=20):
    """The LMTP socket greets within timeout: True, else False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            LmtpClient(path).quit()
            return True
        except (OSError, EOFError, RuntimeError):
            time.sleep(0.1)
    return False


def start_popd(srv, workers, extra=""):
    """srv with its LMTP socket, limit delivery-workers workers (None:
    popd's default) and the lines extra: (socket path, None) or (None,
    why not)."""
    path = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = 'listen on socket "%s" lmtp\n' % path + extra
    if workers is not None:
        srv.conf_extra += "limit delivery-workers %d\n" % workers
    try:
        srv.start(timeout=30)
    except RuntimeError as e:
        lines = [ln for ln in str(e).splitlines() if ln.strip()]
        return None, " | ".join(lines[:1] + lines[-3:])[:400]
    if not lmtp_ready(path):
        why = "no LMTP greeting on %s: %s" % (path, srv.log_tail(5))
        srv.stop()
        return None, why
    return path, None


def counted(mds, on, label):
    """After a row with quota on: every maildir's maildirsize counts the
    messages it holds; with quota off there is none.  Else Failed."""
    errs = []
    for md in mds:
        path = os.path.join(md, "maildirsize")
        if not on:
            if os.path.exists(path):
                errs.append("%s with quota off" % path)
            continue
        try:
            with open(path, "rb") as f:
                lines = f.read().decode().splitlines()[1:]
        except OSError as e:
            errs.append("%s: %s" % (path, e.strerror))
            continue
        n = sum(int(ln.split()[1]) for ln in lines if ln.strip())
        held = sum(len(os.listdir(os.path.join(md, s)))
                   for s in ("new", "cur"))
        if n != held:
            errs.append("%s counts %d messages, the maildir holds %d"
                        % (path, n, held))
    if errs:
        raise Failed("%s: %d maildirs: %s" % (label, len(errs),
                                             "; ".join(errs[:3])))


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if len(xs) % 2 else \
        (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2 if xs else None


def quota_rows(a, dovecot, srv, mds, names, homes):
    """--quota: every server with quota off and on, --repeat times,
    alternating; the medians and the cost.  0, or Failed."""
    c = a.connections
    rows = [("4KB x1", 4096, 1, a.n), ("4KB x%d" % c, 4096, c, a.n),
            ("100KB x%d" % c, 102400, c, a.n // 2)]
    servers = ["popd-lmtp", "mda"] + (["dovecot"] if dovecot else [])
    res = collections.defaultdict(list)

    def prime():
        """Each maildir's maildirsize: the limit, nothing used yet."""
        for md, (_, uid, gid) in zip(mds, homes):
            path = os.path.join(md, "maildirsize")
            with open(path, "w") as f:
                f.write("%dS\n0 0\n" % (10 << 30))
            os.chmod(path, 0o600)
            os.chown(path, uid, gid)

    print("%-15s %-10s %6s %7s %9s %8s %7s"
          % ("row", "server", "deliv", "seconds", "deliv/s", "CPU ms",
             "others"), flush=True)
    for rep in range(a.repeat):
        for on in ((False, True) if rep % 2 == 0 else (True, False)):
            tag = "on" if on else "off"
            for server in servers:
                dv = None
                if server == "popd-lmtp":
                    srv.port = None
                    sock, why = start_popd(srv, a.users, "quota %s\n" % QUOTA
                                           if on else "")
                    if sock is None:
                        raise Failed("popd-lmtp quota %s: %s" % (tag, why))
                    roots = [srv.proc.pid]
                else:
                    srv.stop()
                if server == "dovecot":
                    dv = T.Dovecot(dovecot, srv, extra=DOVECOT_LMTP + (
                        DOVECOT_QUOTA if on else "")).start()
                    sock = dv.path("run/lmtp")
                    if not lmtp_ready(sock):
                        raise Failed("dovecot quota %s: no LMTP greeting: %s"
                                     % (tag, dv.log_tail(5)))
                    roots = [dv.proc.pid]
                try:
                    if server != "mda":
                        # Untimed: every maildir's worker started.
                        row(mds, "warm-up", "%s %s" % (server, tag),
                            lmtp_worker, (sock, message(4096), a.users,
                                          c, 1, names), c, roots,
                            expected(a.users, 1, a.users),
                            prime if on and not a.cold else None)
                    for label, size, conns, n in rows:
                        msg = message(size)
                        if server == "mda":
                            job = (msg.replace(b"\r\n", b"\n"), n, conns, 1,
                                   homes, ["-q", QUOTA] if on else [])
                            worker, roots = mda_worker, []
                        else:
                            job = (sock, msg, n, conns, 1, names)
                            worker = lmtp_worker
                        name = "%s %s" % (server, tag)
                        r = row(mds, label, name, worker, job, conns, roots,
                                expected(n, 1, a.users),
                                prime if on and not a.cold else None)
                        counted(mds, on, "%s %s" % (label, name))
                        res[label, server, on].append(r)
                finally:
                    if dv is not None:
                        dv.cleanup()
    empty(mds)
    print()
    print("medians of %d runs; cost = 1 - (quota on / quota off); %s"
          % (a.repeat, "no maildirsize before a row (--cold)" if a.cold
             else "each maildirsize in place before an on row"))
    print("%-15s %-10s %9s %9s %7s %9s %9s"
          % ("row", "server", "off /s", "on /s", "cost", "off CPUms",
             "on CPUms"))
    worst = {}
    for label, _, _, _ in rows:
        for server in servers:
            offs = [r[0] for r in res[label, server, False]]
            off = median(offs)
            on = median([r[0] for r in res[label, server, True]])
            coff = median([r[1] for r in res[label, server, False]])
            con = median([r[1] for r in res[label, server, True]])
            cost = 1 - on / off if off and on else None
            # The spread of the same row and state, run to run.
            spread = (max(offs) - min(offs)) / off if off else None
            if cost is not None:
                if cost >= worst.get(server, (-1, 0))[0]:
                    worst[server] = (cost, spread)
            print("%-15s %-10s %9s %9s %6s%% %9s %9s  (off runs %s%% apart)"
                  % (label, server, fmt(off, "%.0f"), fmt(on, "%.0f"),
                     fmt(cost and 100 * cost, "%.1f"), fmt(coff, "%.2f"),
                     fmt(con, "%.2f"), fmt(spread and 100 * spread, "%.0f")))
    for server in servers:
        x, spread = worst.get(server, (None, None))
        goal = ""
        if server != "dovecot":
            goal = " (goal < 5%%: %s)" % (
                "not measured" if x is None else "met" if x < 0.05 else
                "within the noise: off runs %.0f%% apart" % (100 * spread)
                if spread is not None and x < spread else "NOT met")
        print("quota cost, %s, worst row: %s%%%s"
              % (server, fmt(x and 100 * x, "%.1f"), goal))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=2000,
                    help="deliveries per row (half of them of 100 KB)")
    ap.add_argument("-c", "--connections", type=int, default=8)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="-n 200")
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--no-default-row", action="store_true")
    ap.add_argument("--quota", action="store_true",
                    help="the cost of quota accounting, off against on")
    ap.add_argument("--repeat", type=int, default=3,
                    help="with --quota: runs of each row and state")
    ap.add_argument("--cold", action="store_true",
                    help="with --quota: no maildirsize before a row")
    a = ap.parse_args()
    T.need_root()
    if a.quick:
        a.n = 200
    if not os.path.exists(T.MDA):
        sys.exit("%s is not built: run make" % T.MDA)

    dovecot = None
    if not a.no_dovecot:
        try:
            dovecot = T.need_dovecot()
            T.apt_install("dovecot-lmtpd", "dovecot",
                          needs="/usr/lib/dovecot/lmtp")
            if a.quota:
                T.apt_install("dovecot-core", "doveconf", needs=QUOTA_PLUGIN)
        except (T.Skip, T.NotInstalled) as e:
            print("# dovecot-lmtpd not available: %s" % e)
            dovecot = None

    c = a.connections
    # (label, octets, connections, recipients per message, deliveries)
    rows = [("4KB x1", 4096, 1, 1, a.n), ("4KB x%d" % c, 4096, c, 1, a.n),
            ("100KB x1", 102400, 1, 1, a.n // 2),
            ("100KB x%d" % c, 102400, c, 1, a.n // 2),
            ("4KB x1 10rcpt", 4096, 1, 10, a.n),
            ("4KB x%d 10rcpt" % c, 4096, c, 10, a.n)]
    users = [("u%d" % i, "pw%d" % i) for i in range(1, a.users + 1)]
    load0 = os.getloadavg()
    print("# lmtp benchmark: %d users (maildirs), %d deliveries a row (half "
          "of 100 KB), %s, %d CPUs, load %.2f %.2f %.2f"
          % ((a.users, a.n, os.uname().release, os.cpu_count()) + load0),
          flush=True)
    print("# popd-lmtp: limit delivery-workers %d; the row \"dflt\": "
          "popd's default" % a.users)
    srv = T.Server(users=users, subdir=SUBDIR)
    dv = None
    results = {}
    failed = None
    try:
        mds = [srv.maildir(u) for u, _ in users]
        names = [("%s@%s" % (u, DOMAIN)).encode() for u, _ in users]
        homes = [(srv.users[u]["home"], srv.uid(u), srv.gid(u))
                 for u, _ in users]
        if a.quota:
            quota_rows(a, dovecot, srv, mds, names, homes)
        else:
            sock, why = start_popd(srv, a.users)
            if sock is None:
                print("# popd-lmtp not measured: popd refuses or does not "
                      "serve `listen on socket PATH lmtp`: %s" % why)
            dsock = None
            if dovecot is not None:
                try:
                    dv = T.Dovecot(dovecot, srv, extra=DOVECOT_LMTP).start()
                    dsock = dv.path("run/lmtp")
                    took = dv.settings(
                        ["protocols", "mail_location", "mail_fsync"],
                        ["mail_fsync = always", "lmtp"])
                    print("# dovecot %s" % took)
                    if not lmtp_ready(dsock):
                        raise RuntimeError("no LMTP greeting on %s: %s"
                                           % (dsock, dv.log_tail(5)))
                except RuntimeError as e:
                    print("# dovecot-lmtp not measured: %s" % e)
                    dsock = None
            print("%-15s %-10s %6s %7s %9s %8s %7s"
                  % ("row", "server", "deliv", "seconds", "deliv/s",
                     "CPU ms", "others"), flush=True)

            def one(label, server, worker, job, conns, roots, want, size):
                results[label, server] = row(mds, label, server, worker, job,
                                             conns, roots, want)

            for label, size, conns, rcpts, n in rows:
                nmsg = n // rcpts
                msg = message(size)
                lf = msg.replace(b"\r\n", b"\n")
                want = expected(nmsg, rcpts, a.users)
                one(label, "fsync", fsync_worker,
                    (lf, nmsg, conns, rcpts, mds), conns, [], want, size)
                if sock is not None:
                    one(label, "popd-lmtp", lmtp_worker,
                        (sock, msg, nmsg, conns, rcpts, names), conns,
                        [srv.proc.pid], want, size)
                one(label, "mda", mda_worker, (lf, nmsg, conns, rcpts, homes),
                    conns, [], want, size)
                if dsock is not None:
                    one(label, "dovecot", lmtp_worker,
                        (dsock, msg, nmsg, conns, rcpts, names), conns,
                        [dv.proc.pid], want, size)
            if sock is not None and not a.no_default_row:
                # popd's default limit delivery-workers (32) for 100 users:
                # a worker ends for another maildir's.
                srv.stop()
                srv.port = None
                sock, why = start_popd(srv, None)
                if sock is not None:
                    label = "4KB x%d dflt" % c
                    one(label, "popd-lmtp", lmtp_worker,
                        (sock, message(4096), a.n, c, 1, names), c,
                        [srv.proc.pid], expected(a.n, 1, a.users), 4096)
        empty(mds)
        if srv.running and srv.crashes():
            print("# popd log: crashes:\n%s" % "\n".join(srv.crashes()))
    except Failed as e:
        failed = e
        tails = (srv.log_tail(10), dv.log_tail(10) if dv else None)
    except Exception:
        print("# popd log tail:\n" + srv.log_tail(20))
        if dv is not None:
            print("# dovecot log tail:\n" + dv.log_tail(20))
        raise
    finally:
        if dv is not None:
            dv.cleanup()
        srv.cleanup()

    if failed is not None:
        print("# popd log tail:\n%s" % tails[0])
        if tails[1] is not None:
            print("# dovecot log tail:\n%s" % tails[1])
        print("FAIL: %s" % failed)
        return 1
    if a.quota:
        print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f"
              % (load0 + os.getloadavg()))
        return 0
    print()
    print("%-15s %9s %9s %9s %9s %8s %8s %8s"
          % ("deliveries/s", "popd-lmtp", "mda", "dovecot", "fsync",
             "lmtp/mda", "lmtp/dvc", "lmtp/fs"))
    dflt = "4KB x%d dflt" % c
    for label, _, _, _, _ in rows + [(dflt,) * 5]:
        if label == dflt and (dflt, "popd-lmtp") not in results:
            continue
        r = {s: results.get((label, s), (None,))[0]
             for s in ("popd-lmtp", "mda", "dovecot", "fsync")}
        if label == dflt:
            # Beside the same row's other servers, with 100 workers.
            r.update({s: results.get(("4KB x%d" % c, s), (None,))[0]
                      for s in ("mda", "dovecot", "fsync")})
        print("%-15s %9s %9s %9s %9s %8s %8s %8s"
              % (label, fmt(r["popd-lmtp"], "%.0f"), fmt(r["mda"], "%.0f"),
                 fmt(r["dovecot"], "%.0f"), fmt(r["fsync"], "%.0f"),
                 fmt(ratio(r["popd-lmtp"], r["mda"]), "%.2f"),
                 fmt(ratio(r["popd-lmtp"], r["dovecot"]), "%.2f"),
                 fmt(ratio(r["popd-lmtp"], r["fsync"]), "%.2f")))
    print("%-15s %9s %9s %9s %9s" % ("CPU ms/deliv", "popd-lmtp", "mda",
                                     "dovecot", "fsync"))
    for label, _, _, _, _ in rows + [(dflt,) * 5]:
        if label == dflt and (dflt, "popd-lmtp") not in results:
            continue
        m = {s: results.get((label, s), (None, None))[1]
             for s in ("popd-lmtp", "mda", "dovecot", "fsync")}
        print("%-15s %9s %9s %9s %9s"
              % (label, fmt(m["popd-lmtp"], "%.2f"), fmt(m["mda"], "%.2f"),
                 fmt(m["dovecot"], "%.2f"), fmt(m["fsync"], "%.2f")))
    worst = {}
    for (label, s), v in results.items():
        if s == "popd-lmtp" and not label.endswith("dflt"):
            for other, key in (("mda", "mda"), ("dovecot", "dovecot")):
                x = ratio(v[0], results.get((label, other), (None,))[0])
                if x is not None:
                    worst[key] = min(worst.get(key, x), x)
    for key, least in (("mda", 5), ("dovecot", 2)):
        x = worst.get(key)
        print("popd-lmtp / %s, lowest row: %s (goal >= %d: %s)"
              % (key, fmt(x, "%.2f"), least, "not measured" if x is None
                 else "met" if x >= least else "NOT met"))
    print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f"
          % (load0 + os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
