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

"""pollers.py -- a population of returning pollers against popd and
Dovecot 2.3 (issues 41 and 52): logins/s at saturation, server CPU per
login and authpop's own, login and poll latency at a fixed rate, TLS
resumption, login cache memory, app passwords.

N mail users (--users, default 10,000), each a maildir of M messages
(--messages, default 20) of 2 to 4 KB, one bcrypt hash of cost 10
(--cost; made once, every user's: the check costs the same, and popd's
login cache and Dovecot's auth cache are per user); the maildirs are
written directly (a few message files hard-linked into every maildir:
10,000 maildirs in seconds), all of one uid, as bench/users.py makes
them.  Dovecot gets the same users and hashes ({BLF-CRYPT} in a
passwd-file), maildirs and certificate.

A poll is what fetchmail does every few minutes: connect over TLS
(implicit, port 995 style), USER, PASS, UIDL (the whole answer read and
checked: the user's M messages, numbered 1 to M), QUIT.  C client
processes (-c, default 16), each from its own loopback address
(127.0.2.1, 127.0.2.2, ...: a household each; the server is on
127.0.0.1), share the users (user i is client i mod C's), and poll them
in turn.  For each configuration:

  first logins  each client polls each of its users once, not timed in
                the figures: afterwards every poll is a returning
                poller's, as on a server that has been up for a while
                (the time it took is printed; skipped where the server
                keeps nothing between logins: "-"; for popd-resumed it
                is its clients' first TLS sessions, on popd's warm
                login cache)
  saturation    the clients poll as fast as they can for T seconds (-t,
                default 20): logins/s over the wall time, and the
                server's CPU per login (utime + stime of its whole
                process tree from /proc, reaped children included, over
                the same time: tables.cpu); "clients" and "others" say
                how much of the machine the client processes and other
                work took (the clients run on the same 2 cores); the
                same CPU by process kind (parent, listener, authpop,
                wrkrpop alive at the end, "reaped": the sessions' ended
                wrkrpops; Dovecot's by command name), and the auth
                process's own CPU a login: authpop's utime + stime
                (all its threads), Dovecot's auth and auth workers'
  fixed rate    an open-loop schedule of R polls/s (--rate; default half
                of popd's saturation rate) for T seconds: slot k is due
                at k/R, taken by the first idle client (at most C in
                flight); p50 and p99 of the login time (connect to the
                +OK of PASS) and of the whole poll (to the +OK of QUIT);
                "late" is the share of slots started over 100 ms after
                their time or not at all (a server that cannot keep the
                rate: its latencies are then those of a queue)

The configurations, one after the other on the same maildirs:

  popd           the default configuration (login cache 1h, tls
                 tickets 1h); clients without TLS resumption
  popd-resumed   the same server, clients that keep, per user, the TLS
                 1.3 session of its last poll and offer it (one
                 SSLContext per client; the share resumed is printed)
  popd-nocache   the same server reloaded with `login cache 0`: every
                 login a bcrypt check (a reload keeps what popd knows of
                 its regulars: the same returning pollers, no warm-up)
  popd-app       the same server reloaded with `login cache 0` and
                 app-passwords (issue 52): every user one app password
                 (label "bench", never expires, any network; the file
                 of N records written in one go, hashed here with
                 Python's hmac under a random key), which the clients
                 poll with instead of the main password.  An app
                 password is checked by one HMAC-SHA256 after one round
                 trip to the parent for the user's records, and never
                 looks at the login cache; the cache is off so that
                 nothing else can make these logins cheap: a poll the
                 app password did not let in would cost a bcrypt check
                 (popd-nocache's figures), and the log's count of logins
                 "with app password" and the cache hits (0) are printed.
                 No first logins: nothing is kept between logins.
  dovecot-best   Debian's dovecot-pop3d (installed with apt-get when
                 missing) at its best for bcrypt: auth_cache_size = 10M,
                 auth_cache_verify_password_with_worker = yes (checked
                 with doveconf -c), which still checks the password
                 against the cached hash, on the auth workers (Dovecot
                 has no keyed-hash app passwords: its best for the same
                 returning pollers is this)
  dovecot        Dovecot as shipped (no auth cache), after dovecot-best
                 on the same maildirs (its files already made)

A reload starts a new authpop, which takes over once ready; the old
one drains and exits.  Before its clients start, a reloaded
configuration waits until the new authpop alone is left, so that the
CPU measured is the serving one's and the old one's exit (its whole
life's CPU reaped by the parent) falls outside the window.

Then popd's login cache: popctl show stats (login_cache_hits, misses,
evictions), authpop's VmRSS before the first logins and after the
cached rows, beside the documented 144 bytes an entry.  Last, a table
of every configuration with its ratio to dovecot-best in logins/s and
issue 41's goals for returning pollers (popd, default configuration):
at least 10x Dovecot's best in logins/s, at most 3 ms of server CPU a
login; and issue 52's for app passwords: authpop's CPU under 0.1 ms a
login.

    python3 regress/bench/pollers.py [--users 10000] [--messages 20]
                                     [-c 16] [-t 20] [--rate R]
                                     [--cost 10] [--no-dovecot]
                                     [--quiet]
    quick: --quick (500 users, 5 s)

popd runs with -d -v as in the tests (its debug lines logged) unless
--quiet: without -v, as in production.

Runs as root.  This is a benchmark, not a test: it exits 0 unless a
server cannot be started or a poll gets wrong data (a UIDL listing that
is not the user's messages), then 1.
"""

import argparse
import hashlib
import hmac
import math
import multiprocessing
import os
import random
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402
from tables import cpu, busy, HZ  # noqa: E402

MP = multiprocessing.get_context("fork")
PW = "pollers-bench-pw"
TIMEOUT = 30            # seconds, every socket operation of a poll
LATE = 0.1              # a slot started later than this is late
GRACE = 2.0             # after the schedule's end no slot starts
BASE_TIME = 1700000000  # the maildir names' time stamps
LINKS = 20000           # maildirs per message file at most (ext4: 65,000)
CONFIGS = ("popd", "popd-resumed", "popd-nocache", "popd-app", "dovecot-best",
           "dovecot")
SYMBOLS = "0123456789abcdefghjkmnpqrstvwxyz"  # an app password's (popdpass)
LABEL = "bench"         # every user's one app password

DOVECOT_BEST = """
auth_cache_size = 10M
auth_cache_verify_password_with_worker = yes
"""


class Wrong(Exception):
    """A poll got wrong data: the run fails."""


class Refused(Exception):
    """An answer that is not +OK (counted as a failed poll)."""


class Quiet(T.Server):
    """popd as it runs in production: without -v (no debug lines: three
    of authpop's four log lines a login, each a write to the parent's
    log relay)."""

    def argv(self):
        return [x for x in super().argv() if x != "-v"]


# --- users and maildirs ---------------------------------------------------

def message(size, v, j):
    """Message j of variant v, size octets with LF line ends."""
    head = ("From: Poller Bench <bench@example.org>\n"
            "To: poller@example.org\n"
            "Subject: poll %d/%d\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
            "Message-ID: <%d.%d.pollers@bench.example.org>\n\n"
            % (v, j, v, j)).encode()
    line = b"The quick brown fox jumps over the lazy dog, 0123456789.\n"
    want = size - len(head)
    body = line * (want // len(line))
    body += b"x" * (want - len(body) - 1) + b"\n"
    return head + body


def populate(srv, n, nmsg, hsh, uid, gid):
    """n users poller00001... in srv's tables, each a maildir (srv's
    homes) of nmsg messages in new/: (names, Dovecot's passwd-file
    lines, octets of one maildir on average)."""
    variants = max(4, -(-n // LINKS))
    pool = os.path.join(srv.tmpdir, "pool")
    os.mkdir(pool, 0o700)
    rnd = random.Random(41)
    files, octets = [], 0
    for v in range(variants):
        row = []
        for j in range(nmsg):
            data = message(rnd.randint(2048, 4096), v, j)
            octets += len(data)
            name = "%d.M%dP%d.pollers" % (BASE_TIME + j, j, v)
            path = os.path.join(pool, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chown(path, uid, gid)
            os.chmod(path, 0o600)
            row.append((path, name))
        files.append(row)
    names, auth, utab, pwd = [], [], [], []
    for i in range(1, n + 1):
        u = "poller%05d" % i
        home = os.path.join(srv.homes, u)
        for d in ("", "tmp", "new", "cur"):
            p = os.path.join(home, d)
            os.mkdir(p, 0o700)
            os.chown(p, uid, gid)
        new = os.path.join(home, "new")
        for path, name in files[i % variants]:
            os.link(path, os.path.join(new, name))
        names.append(u)
        auth.append("%s\t%s\n" % (u, hsh))
        utab.append("%s\t%d:%d:%s\n" % (u, uid, gid, home))
        pwd.append("%s:{BLF-CRYPT}%s:%d:%d::%s::\n" % (u, hsh, uid, gid,
                                                      home))
    with open(srv.authtab, "a") as f:
        f.write("".join(auth))
    with open(srv.usertab, "a") as f:
        f.write("".join(utab))
    return names, "".join(pwd), octets / variants


def write_apps(srv, names):
    """Every user of names one app password, labelled LABEL, in one
    app-passwords file written in one go (its key 32 random bytes, the
    records hashed here with Python's hmac as popdpass would): ({user:
    the secret as popdpass shows it}, the popd.conf statement)."""
    key = os.urandom(32)
    keyfile = os.path.join(srv.tmpdir, "app.key")
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                            time.gmtime(time.time() - 60))
    rnd = random.SystemRandom()
    pws, lines = {}, []
    for u in names:
        norm = "".join(rnd.choice(SYMBOLS) for _ in range(28))
        mac = hmac.new(key, u.encode() + b"\0" + norm.encode(),
                       hashlib.sha256).hexdigest()
        lines.append("%s %s hmac-sha256:%s %s never any\n"
                     % (u, LABEL, mac, created))
        pws[u] = "-".join(norm[i:i + 4] for i in range(0, 28, 4))
    appfile = os.path.join(srv.tmpdir, "apppass")
    fd = os.open(appfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(lines))
    last = os.path.join(srv.tmpdir, "app-passwords.last")
    return pws, 'app-passwords "%s" key "%s" last "%s"\n' % (
        appfile, keyfile, last)


# --- one poll -------------------------------------------------------------

def line(f):
    ln = f.readline(1024)
    if not ln.endswith(b"\n"):
        raise EOFError("connection closed (%r)" % ln[:60])
    return ln


def ok(f, what):
    ln = line(f)
    if not ln.startswith(b"+OK"):
        raise Refused("%s: %s" % (what, ln.decode(errors="replace")
                                  .strip()[:100]))
    return ln


def poll(port, src, user, nmsg, ctx, session=None, pw=PW):
    """One poll as fetchmail's: connect, TLS (offering session), USER,
    PASS pw, UIDL, QUIT.  (seconds to the +OK of PASS, seconds to the +OK
    of QUIT, the TLS session, whether it was resumed).  Refused, Wrong,
    OSError, EOFError or ssl.SSLError otherwise."""
    t0 = time.monotonic()
    sock = socket.create_connection((T.HOST, port), timeout=TIMEOUT,
                                    source_address=(src, 0))
    try:
        s = ctx.wrap_socket(sock, session=session)
    except BaseException:
        sock.close()
        raise
    with s:
        f = s.makefile("rb")
        try:
            ok(f, "greeting")
            s.sendall(b"USER %s\r\n" % user.encode())
            ok(f, "USER")
            s.sendall(b"PASS %s\r\n" % pw.encode())
            ok(f, "PASS")
            t1 = time.monotonic()
            s.sendall(b"UIDL\r\n")
            ok(f, "UIDL")
            n = 0
            for _ in range(nmsg + 1):
                ln = line(f)
                if ln == b".\r\n":
                    break
                n += 1
                w = ln.split()
                if len(w) != 2 or w[0] != b"%d" % n or \
                        not ln.endswith(b"\r\n"):
                    raise Wrong("UIDL of %s: line %d is %r"
                                % (user, n, ln[:80]))
            else:
                raise Wrong("UIDL of %s: more than %d messages"
                            % (user, nmsg))
            if n != nmsg:
                raise Wrong("UIDL of %s: %d messages, not %d"
                            % (user, n, nmsg))
            s.sendall(b"QUIT\r\n")
            ok(f, "QUIT")
            t2 = time.monotonic()
            return t1 - t0, t2 - t0, s.session, s.session_reused
        finally:
            f.close()


# --- the client processes -------------------------------------------------

class Poller:
    """A client process's users, polled in turn, and its TLS sessions;
    pws: each user's password if not PW (an app password)."""

    def __init__(self, w, port, names, nmsg, resume, pws):
        self.src = "127.0.2.%d" % (w + 1)
        self.port, self.names, self.nmsg = port, names, nmsg
        self.resume, self.pws = resume, pws or {}
        self.ctx = T.client_ctx(ssl.TLSVersion.TLSv1_3 if resume else
                                ssl.TLSVersion.TLSv1_2)
        self.sessions = {}
        self.next = 0

    def one(self, r):
        """Poll the next user; counted in r (a dict)."""
        user = self.names[self.next % len(self.names)]
        self.next += 1
        try:
            login, whole, sess, again = poll(
                self.port, self.src, user, self.nmsg, self.ctx,
                self.sessions.get(user) if self.resume else None,
                self.pws.get(user, PW))
        except Wrong as e:
            r["bad"] += 1
            r["wrong"].append(str(e))
            return None
        except Exception as e:
            # Refused, OSError (ssl.SSLError, timeouts), EOFError...
            r["bad"] += 1
            if r["err"] is None:
                r["err"] = "%s: %s: %s" % (user, type(e).__name__, e)
            return None
        if self.resume:
            self.sessions[user] = sess
        r["ok"] += 1
        r["resumed"] += again
        return login, whole


def wait_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)


def client(conn, w, port, names, nmsg, resume, counter, pws):
    """A client process: runs the commands the parent sends on conn
    (warm, sat, rate, stop), each answered with a dict of counts."""
    p = Poller(w, port, names, nmsg, resume, pws)
    for _ in range(100):
        if not conn.poll(24 * 3600):
            break
        cmd = conn.recv()
        if cmd[0] == "stop":
            break
        t0 = os.times()
        r = {"ok": 0, "bad": 0, "err": None, "wrong": [], "resumed": 0,
             "login": [], "poll": [], "started": 0, "late": 0}
        if cmd[0] == "warm":
            p.next = 0
            for _ in names:
                p.one(r)
        elif cmd[0] == "sat":
            start, deadline = cmd[1:]
            wait_until(start)
            for _ in range(10 ** 7):
                if time.monotonic() >= deadline:
                    break
                p.one(r)
        elif cmd[0] == "rate":
            start, rate, seconds = cmd[1:]
            end = start + seconds
            for _ in range(int(rate * seconds) + 2):
                with counter.get_lock():
                    k = counter.value
                    counter.value += 1
                due = start + k / rate
                if due >= end or time.monotonic() > end + GRACE:
                    break
                wait_until(due)
                r["started"] += 1
                r["late"] += time.monotonic() - due > LATE
                t = p.one(r)
                if t is not None:
                    r["login"].append(t[0])
                    r["poll"].append(t[1])
        t1 = os.times()
        r["cpu"] = t1.user + t1.system - t0.user - t0.system
        r["end"] = time.monotonic()
        r["wrong"] = r["wrong"][:5]
        conn.send(r)
    conn.close()


class Pool:
    """C client processes sharing names (user i is process i mod C's)."""

    def __init__(self, port, names, nmsg, clients, resume, pws=None):
        self.counter = MP.Value("q", 0)
        self.resume = resume
        self.conns, self.procs = [], []
        try:
            for w in range(clients):
                a, b = MP.Pipe()
                p = MP.Process(target=client, daemon=True, args=(
                    b, w, port, names[w::clients], nmsg, resume,
                    self.counter, pws))
                p.start()
                b.close()
                self.conns.append(a)
                self.procs.append(p)
        except BaseException:
            self.close()
            raise

    def run(self, cmd, timeout):
        """cmd to every process; their answers, within timeout s."""
        self.send(cmd)
        return self.collect(cmd[0], time.monotonic() + timeout)

    def send(self, cmd):
        for c in self.conns:
            c.send(cmd)

    def collect(self, what, deadline):
        """Every process's answer by deadline (monotonic); Wrong if a
        poll got wrong data."""
        out = []
        for c in self.conns:
            if not c.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError("the clients did not end %s in time"
                                   % what)
            out.append(c.recv())
        wrong = [x for r in out for x in r["wrong"]]
        if wrong:
            raise Wrong("%d wrong answers, first: %s"
                        % (len(wrong), wrong[0]))
        return out

    def close(self):
        for c in self.conns:
            try:
                c.send(("stop",))
            except OSError:
                pass
        for p in self.procs:
            p.join(TIMEOUT * 5)
            if p.is_alive():
                p.terminate()
                p.join(5)
        for c in self.conns:
            c.close()
        self.conns, self.procs = [], []


# --- the phases -----------------------------------------------------------

def pct(xs, q):
    """The q-quantile of xs (nearest rank), None if empty."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


def fmt(x, f):
    return "-" if x is None else f % x


def ratio(a, b):
    return a / b if a is not None and b else None


def failures(res):
    bad = sum(r["bad"] for r in res)
    errs = [r["err"] for r in res if r["err"]]
    return "%d failed%s" % (bad, ": " + errs[0] if errs else "")


def popd_kind(pid):
    """popd's process kinds (popdtest.classify's); the server's own
    parent is the root, so "parent" is never asked here."""
    return T.classify(pid) or "other"


def dovecot_kind(pid):
    """Dovecot's process kinds by command name: auth (the auth process
    and its auth workers, one binary), pop3-login, pop3, anvil, log..."""
    return T.proc_comm(pid) or "other"


def snap(roots, kind):
    """{pid: (its kind, its own CPU ticks (utime + stime: every thread's,
    the dead ones' too), the ticks of the children it reaped)} for roots
    ("parent") and their descendants."""
    out = {}
    for root in roots:
        for pid in [root] + T.descendants(root):
            v = T.cpu_ticks(pid)
            if v is None:
                continue
            out[pid] = ("parent" if pid == root else kind(pid),
                        v[0] + v[1], v[2] + v[3])
    return out


def sleeps(roots, kind, auth):
    """{pid: times it slept (voluntary context switches, every thread's)}
    of the auth kind's processes: its wake-ups."""
    out = {}
    for root in roots:
        for pid in T.descendants(root):
            if kind(pid) != auth:
                continue
            n = 0
            try:
                for tid in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                        for ln in f:
                            if ln.startswith("voluntary_ctxt_switches:"):
                                n += int(ln.split()[1])
            except OSError:
                continue
            out[pid] = n
    return out


def by_kind(s0, s1):
    """CPU seconds between snaps s0 and s1 by kind; "reaped": the
    children reaped in between (their whole lives: wrkrpop's sessions).
    A process gone by s1 without being reaped by one of them is lost:
    none of popd's is (their parent is popd's)."""
    out = {}
    for pid, (k, own, reaped) in s1.items():
        k0, own0, reaped0 = s0.get(pid, (k, 0, 0))
        if k0 != k:         # pid reused
            own0, reaped0 = 0, 0
        out[k] = out.get(k, 0) + (own - own0) / HZ
        out["reaped"] = out.get("reaped", 0) + (reaped - reaped0) / HZ
    return out


def phase_warm(pool, label, n):
    t0 = time.monotonic()
    res = pool.run(("warm",), 120 + n * 2)
    wall = max(r["end"] for r in res) - t0
    okn = sum(r["ok"] for r in res)
    print("%-13s first logins: %d in %.1f s = %.1f/s (%s)"
          % (label, okn, wall, okn / wall, failures(res)), flush=True)
    return wall


def phase_sat(pool, label, roots, seconds, kind, auth):
    """Saturation: (logins/s, server CPU ms a login, % resumed, % of
    the machine others took, CPU ms a login of the auth process kind).
    Every process's CPU is taken at the start and at the end: the auth
    kind's (popd's authpop, Dovecot's auth and auth workers) is its own
    utime + stime over the window."""
    start = time.monotonic() + 0.3
    pool.send(("sat", start, start + seconds))
    wait_until(start)
    p0 = snap(roots, kind)
    w0 = sleeps(roots, kind, auth)
    c0, b0, m0 = cpu(roots), busy(), os.times()
    res = pool.collect("sat", start + seconds + TIMEOUT * 5 + 30)
    wall = max(r["end"] for r in res) - start
    server = cpu(roots) - c0
    kinds = by_kind(p0, snap(roots, kind))
    w1 = sleeps(roots, kind, auth)
    woke = sum(n - w0.get(pid, 0) for pid, n in w1.items())
    m1 = os.times()
    mine = m1.user + m1.system - m0.user - m0.system
    clients = sum(r["cpu"] for r in res)
    machine = os.cpu_count() * wall
    others = max(0.0, busy() - b0 - server - clients - mine) / machine
    okn = sum(r["ok"] for r in res)
    rate = okn / wall
    ms = 1000 * server / okn if okn else None
    resumed = sum(r["resumed"] for r in res)
    print("%-13s saturation: %d polls in %.1f s = %.1f logins/s, server "
          "CPU %s ms/login, clients %.0f%%, others %.0f%% of the CPU%s (%s)"
          % (label, okn, wall, rate, fmt(ms, "%.2f"),
             100 * clients / machine, 100 * others,
             ", %.0f%% resumed" % (100.0 * resumed / okn)
             if pool.resume and okn else "", failures(res)), flush=True)
    ams = 1000 * kinds.get(auth, 0) / okn if okn else None
    print("%-13s saturation CPU by process, ms a login: %s; %s slept "
          "%.2f times a login"
          % (label, ", ".join("%s %.3f" % (k, 1000 * v / okn)
                              for k, v in sorted(kinds.items(),
                                                 key=lambda kv: -kv[1])
                              if okn), auth, woke / okn if okn else 0),
          flush=True)
    return rate, ms, (100.0 * resumed / okn if okn and pool.resume
                      else None), 100 * others, ams


def phase_rate(pool, label, rate, seconds):
    pool.counter.value = 0
    start = time.monotonic() + 0.3
    res = pool.run(("rate", start, rate, seconds),
                   seconds + GRACE + TIMEOUT * 5 + 30)
    total = math.ceil(rate * seconds)
    started = sum(r["started"] for r in res)
    late = sum(r["late"] for r in res) + max(0, total - started)
    login = [x for r in res for x in r["login"]]
    whole = [x for r in res for x in r["poll"]]
    okn = sum(r["ok"] for r in res)
    resumed = sum(r["resumed"] for r in res)
    out = {"p50l": pct(login, 0.5), "p99l": pct(login, 0.99),
           "p50p": pct(whole, 0.5), "p99p": pct(whole, 0.99),
           "late": 100.0 * late / total if total else None}
    print("%-13s rate %.0f/s: %d of %d polls, login p50 %s p99 %s ms, "
          "poll p50 %s p99 %s ms, late %.1f%% (%d not started)%s (%s)"
          % (label, rate, okn, total,
             *(fmt(out[k] and 1000 * out[k], "%.1f")
               for k in ("p50l", "p99l", "p50p", "p99p")),
             out["late"], max(0, total - started),
             ", %.0f%% resumed" % (100.0 * resumed / okn)
             if pool.resume and okn else "", failures(res)), flush=True)
    return out


def probe(port, name, nmsg, label, timeout=30, pw=PW):
    """One poll of name from the parent, until it passes or timeout:
    RuntimeError if it never does, Wrong on wrong data."""
    ctx = T.client_ctx()
    deadline = time.monotonic() + timeout
    err = None
    for _ in range(int(timeout * 5) + 1):
        try:
            return poll(port, "127.0.0.1", name, nmsg, ctx, pw=pw)
        except (Refused, OSError, EOFError, ssl.SSLError) as e:
            err = e
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    raise RuntimeError("%s: no poll of %s passes: %s" % (label, name, err))


def run_config(label, port, roots, names, a, warm, resume, rate,
               kind=popd_kind, auth="authpop", pws=None, ready=None):
    """One configuration's phases: its row of figures.  pws: the users'
    passwords if not PW; ready: called once a poll passes, before the
    clients start."""
    probe(port, names[0], a.messages, label,
          pw=(pws or {}).get(names[0], PW))
    if ready is not None:
        ready()
    pool = Pool(port, names, a.messages, a.clients, resume, pws)
    try:
        first = phase_warm(pool, label, len(names)) if warm else None
        sat, ms, resumed, others, ams = phase_sat(pool, label, roots,
                                                  a.time, kind, auth)
        if rate is None:
            rate = max(1.0, sat / 2)
        row = phase_rate(pool, label, rate, a.time)
    finally:
        pool.close()
    row.update(first=first, sat=sat, ms=ms, resumed=resumed, rate=rate,
               others=others, ams=ams)
    return row


# --- popd's login cache ---------------------------------------------------

def stats(srv):
    """popctl show stats as {counter: count}."""
    rc, out, _ = srv.popctl("show", "stats")
    d = {}
    for ln in out.splitlines() if rc == 0 else []:
        f = ln.split()
        if len(f) >= 2 and f[1].isdigit():
            d[f[0]] = int(f[1])
    return d


def rss(pid):
    """VmRSS of pid in bytes, None if gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1]) * 1024
    except (OSError, TypeError):
        pass
    return None


def table(rows):
    best = rows.get("dovecot-best", {}).get("sat")
    print()
    print("first s: the first logins' seconds; logins/s, CPU ms (server "
          "CPU a login),\nauth ms (authpop's, or Dovecot's auth processes', "
          "own CPU a login) and\nothers (other work's share of the machine) "
          "at saturation; ms at the\nfixed rate of %s polls/s; x best: "
          "logins/s over dovecot-best's"
          % fmt(rows.get("popd", {}).get("rate"), "%.0f"))
    print("%-13s %7s %8s %6s %7s %6s %9s %6s %8s %6s %5s %7s %6s"
          % ("configuration", "first s", "logins/s", "CPU ms", "auth ms",
             "others", "login p50", "p99", "poll p50", "p99", "late",
             "resumed", "x best"))
    for c in CONFIGS:
        r = rows.get(c)
        if r is None:
            continue
        ms = {k: r[k] and 1000 * r[k] for k in ("p50l", "p99l", "p50p",
                                                 "p99p")}
        print("%-13s %7s %8.1f %6s %7s %5.0f%% %9s %6s %8s %6s %4s%% %7s %6s"
              % (c, fmt(r["first"], "%.1f"), r["sat"], fmt(r["ms"], "%.2f"),
                 fmt(r["ams"], "%.3f"), r["others"],
                 fmt(ms["p50l"], "%.1f"), fmt(ms["p99l"], "%.1f"),
                 fmt(ms["p50p"], "%.1f"), fmt(ms["p99p"], "%.1f"),
                 fmt(r["late"], "%.0f"),
                 fmt(r["resumed"], "%.0f%%"),
                 fmt(ratio(r["sat"], best), "%.2f")))
    p = rows.get("popd")
    x = ratio(p and p["sat"], best)
    xr = ratio(rows.get("popd-resumed", {}).get("sat"), best)
    print("returning pollers: >= 10x Dovecot's best in logins/s: popd %s"
          "%s (%s)" % (fmt(x, "%.2fx"), ", popd-resumed %s" % fmt(xr, "%.2fx")
                       if xr else "",
                       "not measured" if x is None else
                       "met" if x >= 10 else "NOT met"))
    ms = p and p["ms"]
    print("<= 3 ms server CPU per login: popd %s ms (%s)"
          % (fmt(ms, "%.2f"), "not measured" if ms is None else
             "met" if ms <= 3 else "NOT met"))
    ams = rows.get("popd-app", {}).get("ams")
    print("app passwords: < 0.1 ms authpop CPU per login: popd-app %s ms "
          "(%s)" % (fmt(ams, "%.3f"), "not measured" if ams is None else
                    "met" if ams < 0.1 else "NOT met"))


def reload(srv, extra, label):
    """popd reloaded with conf_extra extra; a function that waits, once
    a poll passes, until the old authpop has drained and exited and the
    new one alone serves (its CPU is then the new one's alone)."""
    old = srv.pids()["authpop"]
    srv.conf_extra = extra
    srv._write(srv.conffile, srv.config()[0], 0o644)
    rc, out, err = srv.popctl("reload")
    if rc != 0:
        raise RuntimeError("popd reload for %s: %s%s" % (label, out, err))

    def ready():
        auths = []
        for _ in range(600):
            auths = [p for p in T.descendants(srv.proc.pid)
                     if T.classify(p) == "authpop"]
            if len(auths) == 1 and auths[0] != old:
                return
            time.sleep(0.1)
        print("# %s: authpop %s still there after the reload (now %s)"
              % (label, old, auths), flush=True)
    return ready


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=None,
                    help="mail users (10000; --quick 500)")
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("-c", "--clients", type=int, default=16)
    ap.add_argument("-t", "--time", type=float, default=None,
                    help="seconds of each phase (20; --quick 5)")
    ap.add_argument("--rate", type=float, default=None,
                    help="polls/s of the fixed-rate phase (default: half "
                    "of popd's saturation rate)")
    ap.add_argument("--cost", type=int, default=10)
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--quiet", action="store_true",
                    help="popd without -v (no debug lines), as in "
                    "production")
    ap.add_argument("--quick", action="store_true",
                    help="--users 500 -t 5 unless given")
    a = ap.parse_args()
    T.need_root()
    if a.users is None:
        a.users = 500 if a.quick else 10000
    if a.time is None:
        a.time = 5.0 if a.quick else 20.0
    a.users = max(1, a.users)
    a.messages = max(1, a.messages)
    a.clients = max(1, min(a.clients, a.users, 250))
    if a.rate is not None and a.rate <= 0:
        ap.error("--rate must be positive")

    load0 = os.getloadavg()
    dovecot = None
    if not a.no_dovecot:
        dovecot = T.find_dovecot()
        if dovecot is None:
            print("# dovecot-pop3d not available: popd figures only")
    hsh = T.make_hash(PW, a.cost)
    srv = (Quiet if a.quiet else T.Server)(users=[], cost=a.cost)
    pe = T.mailuser(1)
    t0 = time.monotonic()
    rows, failed, broken = {}, None, []
    try:
        names, passwd, octets = populate(srv, a.users, a.messages, hsh,
                                         pe.pw_uid, pe.pw_gid)
        print("# pollers benchmark: %d users, %d messages each (%.1f KB a "
              "maildir), made in %.1f s; bcrypt cost %d; %d clients; "
              "phases of %.0f s; popd %s; %s, %d CPUs, load %.2f %.2f %.2f"
              % ((a.users, a.messages, octets / 1024,
                  time.monotonic() - t0, a.cost, a.clients, a.time,
                  "without -v" if a.quiet else "-v (debug lines)",
                  os.uname().release, os.cpu_count()) + load0), flush=True)

        srv.start(timeout=60)
        root = [srv.proc.pid]
        auth0 = srv.pids()["authpop"]
        rss0, st0 = rss(auth0), stats(srv)
        rows["popd"] = run_config("popd", srv.port, root, names, a, True,
                                  False, a.rate)
        rate = rows["popd"]["rate"]
        rows["popd-resumed"] = run_config("popd-resumed", srv.port, root,
                                          names, a, True, True, rate)
        auth1 = srv.pids()["authpop"]
        rss1, st1 = rss(auth1), stats(srv)
        d = {k: st1.get(k, 0) - st0.get(k, 0) for k in (
            "login_cache_hits", "login_cache_misses",
            "login_cache_evictions")}
        entries = d["login_cache_misses"] - d["login_cache_evictions"]
        print("popd login cache: hits %d, misses %d, evictions %d; %d "
              "entries x 144 B = %.2f MB (documented); authpop VmRSS %s MB "
              "before the first logins, %s MB after (%s MB)%s"
              % (d["login_cache_hits"], d["login_cache_misses"],
                 d["login_cache_evictions"], entries,
                 entries * 144 / 2 ** 20,
                 fmt(rss0 and rss0 / 2 ** 20, "%.1f"),
                 fmt(rss1 and rss1 / 2 ** 20, "%.1f"),
                 fmt(rss0 and rss1 and (rss1 - rss0) / 2 ** 20, "%+.1f"),
                 "" if auth0 == auth1 else
                 " (authpop %s then %s)" % (auth0, auth1)), flush=True)

        ready = reload(srv, "login cache 0\n", "popd-nocache")
        rows["popd-nocache"] = run_config("popd-nocache", srv.port, root,
                                          names, a, False, False, rate,
                                          ready=ready)
        st2 = stats(srv)
        hits = st2.get("login_cache_hits", 0) - st1.get("login_cache_hits",
                                                        0)
        if hits:
            print("popd-nocache: %d login cache hits: the reload did not "
                  "turn it off" % hits)

        t1 = time.monotonic()
        pws, apps = write_apps(srv, names)
        made = time.monotonic() - t1
        mark = ' with app password "%s"' % LABEL
        n0 = srv.log().count(mark)
        ready = reload(srv, "login cache 0\n" + apps, "popd-app")
        rows["popd-app"] = run_config("popd-app", srv.port, root, names, a,
                                      False, False, rate, pws=pws,
                                      ready=ready)
        st3 = stats(srv)
        print("popd-app: %d app passwords made in %.2f s; %d logins with "
              "one in the log, %d login cache hits"
              % (len(pws), made, srv.log().count(mark) - n0,
                 st3.get("login_cache_hits", 0) -
                 st2.get("login_cache_hits", 0)), flush=True)
        if srv.crashes():
            print("# popd log: crashes:\n%s" % "\n".join(srv.crashes()))
        srv.stop()

        if dovecot is not None:
            for label, extra, warm in (("dovecot-best", DOVECOT_BEST, True),
                                       ("dovecot", "", False)):
                dv = T.Dovecot(dovecot, srv, extra=extra,
                               passwd_extra=passwd)
                try:
                    if extra:
                        keys = ["auth_cache_size",
                                "auth_cache_verify_password_with_worker"]
                        took = dv.settings(keys, ["%s = %s" % kv for kv in
                                                  zip(keys, ("10 M", "yes"))])
                        print("# %s: %s" % (label, took))
                    dv.start()
                    rows[label] = run_config(label, dv.port, [dv.proc.pid],
                                             names, a, warm, False, rate,
                                             kind=dovecot_kind, auth="auth")
                except RuntimeError as e:
                    print("%-13s could not run: %s" % (label, e))
                    broken.append(label)
                finally:
                    dv.cleanup()
    except Wrong as e:
        failed = "wrong data: %s" % e
    except RuntimeError as e:
        failed = "%s\n# popd log tail:\n%s" % (e, srv.log_tail(10))
    finally:
        if srv.running:
            srv.stop()
        srv.cleanup()
    if failed is not None:
        print("FAIL: %s" % failed)
        return 1
    table(rows)
    print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f"
          % (load0 + os.getloadavg()))
    if broken:
        print("FAIL: %s could not be started" % ", ".join(broken))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
