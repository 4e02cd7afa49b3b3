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

"""A fleet on shared storage under faults (issue 56): doc/fleet.md's
three hosts as network namespaces (regress/fleetns.py), each with a
glusterd and a brick of a GlusterFS replica-3 volume, a popd backend
and its own FUSE mount of the volume; the popd router and the real
nginx mail proxy in front.

in_use_through_two_backends: two sessions of one user through two
backends at once, ROUNDS times each way: one through nginx and one
straight to another backend started together, and one held through
nginx while the router, its backend drained, sends the next login of
that user to another backend.  One gets +OK, the other -ERR [IN-USE],
every time.

faults_under_load: every user has a client that retrieves and deletes
everything (through nginx, again and again) and a second one that logs
in and lists (so that two sessions of one user race), while the MTA
delivers over LMTP through every backend (a 4xx or a lost connection is
tried again at the next backend, as an MTA with several LMTP hosts
does).  In turn: (a) a backend's whole process tree is killed -9, then
restarted; (b) a brick's glusterfsd is killed, then started again and
healed; (c) a backend is drained on the router (popctl drain), stopped,
started from a copy of the build at another path (the upgrade: another
binary), and undrained.  Then:

- every message delivered (LMTP 250) was retrieved by the deleting
  client; more than once only after a session cut before the +OK of its
  QUIT (RFC 1047's duplicates: counted and printed, each explained),
  never again after a QUIT that answered +OK; none removed without a
  QUIT; none retrieved that was never sent;
- a message's UIDL never changed (through any backend, in any
  session), and no two messages had one;
- no maildrop was served twice at once: the sessions of one user, from
  the +OK of PASS to the last answer before QUIT (within the server's
  session), never overlap; the [IN-USE] answers are counted;
- (a) the users of the killed backend logged in on another within
  FAILOVER_BOUND seconds (measured and printed), (c) no login went to
  the drained backend, its users logged in elsewhere at once, and came
  back after undrain;
- the maildirs are empty at the end; the healed brick holds what the
  others hold.

About 70 s; everything (namespaces, volume, bricks, processes)
removed at the end, also on failure."""

import atexit
import collections
import hashlib
import itertools
import os
import re
import smtplib
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import fleetns  # noqa: E402

USERS = [("alice", "pw-a"), ("bob", "pw-b"), ("carol", "pw-c"),
         ("dave", "pw-d"), ("erin", "pw-e"), ("frank", "pw-f")]
PW = dict(USERS)
FAILOVER_BOUND = 5.0     # seconds: doc/fleet.md, the router's checks
ROUNDS = 10

FLEET = None


def fleet(srv):
    """The shared fleet, srv started as its router."""
    global FLEET
    if FLEET is None:
        # Kept only once started (a failed start stops what it made):
        # the next test tries again, and says why it cannot.
        f = fleetns.Fleet(USERS, backends=3)
        f.start()
        FLEET = f
        atexit.register(FLEET.stop)
    for b in FLEET.backends:
        if not b.running:
            b.start()
    FLEET.start_router(srv)
    return FLEET


_src = itertools.count(1)
_src_lock = threading.Lock()


def new_src():
    """A client address of its own for each connection (127.0.0.0/8 of
    the front): the backends' logs name it, so each session is found
    on the backend that served it."""
    with _src_lock:
        k = next(_src)
    return "127.%d.%d.%d" % (10 + k // 62500, k // 250 % 250 + 1,
                             k % 250 + 1)


def served_by(f):
    """{client address: backend address} from the backends' logs."""
    out = {}
    for b in f.backends:
        for m in re.finditer(r"session \d+: (127\.\d+\.\d+\.\d+):\d+: "
                             r"login ", b.log()):
            out[m.group(1)] = b.addr
    return out


def where(f, src, timeout=5):
    """The backend that logged the client src, waited for."""
    got = T.wait_for(lambda: served_by(f).get(src), timeout=timeout,
                     what="a backend logging client %s" % src)
    return got


def in_use(rep):
    return rep.startswith(b"-ERR [IN-USE]")


def nginx_login(f, user, timeout=20):
    """A Raw client logged in through nginx (or not): (client, PASS's
    answer, its address)."""
    src = new_src()
    r = T.Raw(f.front, src=src, timeout=timeout)
    T.expect(r.line()[:3], b"+OK", "nginx's greeting")
    T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER to nginx")
    return r, r.cmd("PASS " + PW[user]), src


@T.test(start=False, users=USERS, timeout=300)
def in_use_through_two_backends(srv):
    f = fleet(srv)
    user = "alice"
    ok = refused = 0
    r, rep, src = nginx_login(f, user)
    T.expect(rep[:3], b"+OK", "alice through nginx")
    r.cmd("QUIT")
    r.close()
    home = where(f, src)
    others = [b for b in f.backends if b.addr != home]
    for i in range(ROUNDS):
        # At the same moment: through nginx (to her backend) and
        # straight to another backend's TLS port.
        direct = others[i % len(others)]
        barrier = threading.Barrier(2, timeout=20)
        got = {}

        def via_nginx():
            s = new_src()
            c = T.Raw(f.front, src=s, timeout=20)
            c.line()
            c.cmd("USER " + user)
            barrier.wait()
            got["nginx"] = (c, c.cmd("PASS " + PW[user]), s)

        th = threading.Thread(target=via_nginx)
        th.start()
        d = direct.raw()
        d.line()
        d.cmd("USER " + user)
        barrier.wait()
        drep = d.cmd("PASS " + PW[user])
        th.join(30)
        c, nrep, s = got["nginx"]
        T.expect(sorted(rep[:3] if rep[:3] == b"+OK" else rep[:13]
                        for rep in (nrep, drep)), [b"+OK", b"-ERR [IN-USE]"],
                 "round %d: two sessions of %s at once (through nginx, "
                 "straight to %s): one +OK, one [IN-USE]" % (
                     i, user, direct.addr))
        if nrep.startswith(b"+OK"):
            T.expect(where(f, s), home, "alice's backend through nginx")
        for x in (c, d):
            try:
                x.cmd("QUIT")
            except (OSError, EOFError):
                pass
            x.close()
        ok += 1
    # Held through nginx on her backend, which the router then drains:
    # her next login goes to another backend, where the maildrop is in
    # use.
    for i in range(ROUNDS // 2):
        held, rep, src = nginx_login(f, user)
        T.expect(rep[:3], b"+OK", "alice's held session")
        x = where(f, src)
        rc, out, err = srv.popctl("drain", x)
        T.expect(rc, 0, "popctl drain %s: %s" % (x, err))
        r, rep, src2 = nginx_login(f, user)
        T.expect(rep[:13], b"-ERR [IN-USE]", "round %d: alice held on "
                 "%s, her login through nginx while it drains" % (i, x))
        r.close()
        T.expect_true(where(f, src2) != x, "round %d: the router sent "
                      "alice's second login to another backend than %s"
                      % (i, x))
        T.expect(held.cmd("STAT")[:3], b"+OK", "the held session goes on")
        held.cmd("QUIT")
        held.close()
        rc, out, err = srv.popctl("undrain", x)
        T.expect(rc, 0, "popctl undrain %s: %s" % (x, err))
        refused += 1
    print("# [IN-USE] every time: %d rounds at the same moment through "
          "nginx and straight to a backend, %d through nginx to two "
          "backends (the first drained)" % (ok, refused))
    for b in f.backends:
        T.expect(b.crashes(), [], "crashes in backend %s's log" % b.addr)


# --- under load --------------------------------------------------------------

class Load:
    """The clients and the MTA, in threads, with what they saw."""

    def __init__(self, f):
        self.f = f
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sessions = []          # dicts, see session()
        self.retrieved = []         # (key, uidl, session)
        self.listed = []            # (uidl, session): the listers'
        self.refusals = collections.Counter()
        self.delivered = {}         # key: user, answered 250
        self.maybe = {}             # key: user, connection lost in DATA
        self.maybe_at = []          # (when, backend) of each
        self.undelivered = []
        self.errors = []
        self.seq = itertools.count()
        self.threads = []

    def start(self):
        for u, _ in USERS:
            self.threads.append(threading.Thread(target=self._loop,
                                                 args=(u, True)))
            self.threads.append(threading.Thread(target=self._loop,
                                                 args=(u, False)))
        for i in range(len(self.f.backends)):
            self.threads.append(threading.Thread(target=self._mta,
                                                 args=(i,)))
        for t in self.threads:
            t.daemon = True
            t.start()

    def finish(self, timeout=60):
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        T.expect([t.name for t in self.threads if t.is_alive()], [],
                 "load threads still running after %ds" % timeout)

    def _loop(self, user, deletes):
        try:
            while not self.stop.is_set():
                self.session(user, deletes)
                time.sleep(0.05 if deletes else 0.3)
        except Exception as e:
            self.errors.append("%s: %r" % (user, e))

    def session(self, user, deletes, limit=40):
        """One session through nginx: the deleting client retrieves and
        deletes (at most limit messages), the other lists.  Returns its
        record: t_in (PASS's +OK received), t_last (the last answer
        before QUIT was sent, or before the cut: within the server's
        session), quit (QUIT sent), committed (QUIT answered +OK),
        left (messages listed and not retrieved)."""
        s = {"user": user, "deletes": deletes, "src": new_src(),
             "t_in": None, "quit": False, "committed": False, "cut": None,
             "left": 0}
        try:
            r = T.Raw(self.f.front, src=s["src"], timeout=20)
        except OSError as e:
            self.refusals["connect: %s" % e.__class__.__name__] += 1
            return s
        try:
            r.line()
            r.cmd("USER " + user)
            t0 = time.monotonic()
            rep = r.cmd("PASS " + PW[user])
            if not rep.startswith(b"+OK"):
                key = "[IN-USE]" if in_use(rep) else \
                    rep.decode(errors="replace")[:40]
                with self.lock:
                    self.refusals[key] += 1
                return s
            s["t_in"] = s["t_last"] = time.monotonic()
            s["t_pass"] = t0
            with self.lock:
                self.sessions.append(s)
            rep = r.cmd("UIDL")
            if not rep.startswith(b"+OK"):
                raise T.ProtoError("UIDL: %r" % rep)
            listing = [ln.decode().split() for ln in r.multiline()]
            s["listed"] = len(listing)
            s["t_last"] = time.monotonic()
            if not deletes:
                with self.lock:
                    self.listed += [(u, s) for _, u in listing]
                time.sleep(0.1)
            else:
                s["left"] = max(0, len(listing) - limit)
                for num, uidl in listing[:limit]:
                    r.ok("RETR " + num)
                    msg = r.block()
                    m = re.search(rb"\r\nX-Key: (\S+)\r\n", msg)
                    key = m.group(1).decode() if m else "?" + uidl
                    with self.lock:
                        self.retrieved.append((key, uidl, s))
                    r.ok("DELE " + num)
                    s["t_last"] = time.monotonic()
            s["quit"] = True
            s["quit_rep"] = r.cmd("QUIT").decode(errors="replace")[:60]
            s["committed"] = s["quit_rep"].startswith("+OK")
        except (OSError, EOFError, ssl.SSLError, T.ProtoError) as e:
            s["cut"] = "%s: %s" % (e.__class__.__name__, str(e)[:80])
        finally:
            r.close()
        return s

    def _mta(self, i):
        """Deliveries through backend i, each tried again at the next
        backend after a refusal or a lost connection, at most 40 times
        (an MTA's queue, short)."""
        bs = self.f.backends
        try:
            while not self.stop.is_set():
                n = next(self.seq)
                user = USERS[n % len(USERS)][0]
                size = 60000 if n % 10 == 0 else 1500
                for attempt in range(40):
                    key = "%d.%d" % (n, attempt)
                    b = bs[(i + attempt) % len(bs)]
                    got = self.lmtp(b, user, key, size)
                    if got == "ok":
                        self.delivered[key] = user
                        break
                    if got == "maybe":
                        self.maybe[key] = user
                        self.maybe_at.append((time.monotonic(), b.addr))
                    time.sleep(0.1)
                else:
                    self.undelivered.append(n)
                time.sleep(0.1)
        except Exception as e:
            self.errors.append("mta %d: %r" % (i, e))

    @staticmethod
    def lmtp(b, user, key, size):
        body = (b"From: mta@example.org\r\nSubject: %s\r\nX-Key: %s\r\n\r\n"
                % (key.encode(), key.encode()))
        body += (b"x" * 70 + b"\r\n") * (size // 72)
        try:
            c = smtplib.LMTP(b.lmtp, timeout=20)
        except (OSError, smtplib.SMTPException):
            return "no"
        try:
            c.sendmail("mta@example.org", [user], body)
            return "ok"
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            return "no"
        except (OSError, smtplib.SMTPException):
            return "maybe"
        finally:
            try:
                c.close()
            except OSError:
                pass


def who_served(f, sessions):
    """Each session's backend, from the logs (None if not found)."""
    m = served_by(f)
    for s in sessions:
        s["on"] = m.get(s["src"])


def first_after(load, users, t):
    """{user: the first session of user whose PASS was sent after t}."""
    out = {}
    for s in sorted(load.sessions, key=lambda s: s["t_in"]):
        if s["user"] in users and s["user"] not in out and s["t_pass"] > t:
            out[s["user"]] = s
    return out


def homes(load, t0, t1):
    """{user: backend} of the sessions that began between t0 and t1."""
    out = {}
    for s in load.sessions:
        if t0 < s["t_in"] < t1 and s.get("on"):
            out[s["user"]] = s["on"]
    return out


def brick_tree(path):
    """{relative path: sha256} of a brick's files, its .glusterfs
    (gluster's own) left out."""
    out = {}
    for root, dirs, files in os.walk(path):
        if root == path and ".glusterfs" in dirs:
            dirs.remove(".glusterfs")
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = hashlib.sha256(
                    fh.read()).hexdigest()
    return out


def heal_pending(vol):
    out = vol.gluster("volume", "heal", vol.name, "info", check=False)
    n = [int(x) for x in re.findall(r"Number of entries: (\d+)", out)]
    return sum(n) if len(n) == 3 else None


@T.test(start=False, users=USERS, timeout=420, allow_crash=True)
def faults_under_load(srv):
    f = fleet(srv)
    load = Load(f)
    marks = {}
    load.start()
    try:
        time.sleep(5)
        # (a) A backend's whole process tree killed -9, then restarted.
        who_served(f, list(load.sessions))
        now = time.monotonic()
        home = homes(load, 0, now)
        count = collections.Counter(home.values())
        x = next(b for b in f.backends if b.addr == count.most_common(1)[0][0])
        x.kill_tree()
        marks["kill"] = x.killed
        T.wait_for(lambda: f.states().get(x.addr) == "down", timeout=10,
                   what="the router sees %s down" % x.addr)
        time.sleep(2)
        x.start()
        marks["restart"] = time.monotonic()
        T.wait_for(lambda: f.states().get(x.addr) == "up", timeout=10,
                   what="the router sees %s up again" % x.addr)
        time.sleep(3)
        # (b) A brick killed, then started again and healed.
        f.vol.kill_brick(0)
        marks["brick"] = time.monotonic()
        time.sleep(5)
        f.vol.start_brick()
        marks["brick_back"] = time.monotonic()
        time.sleep(4)
        # (c) A backend drained, stopped, upgraded (a copy of the build
        # at another path), started, undrained.
        y = next(b for b in f.backends if b is not x)
        rc, out, err = srv.popctl("drain", y.addr)
        marks["drain"] = time.monotonic()
        # "drained" at once when no session was open on it just then
        # (popctl(8)): between two polls of the load, that happens.
        T.expect_true(rc == 0 and out in ("%s draining\n" % y.addr,
                                          "%s drained\n" % y.addr),
                      "popctl drain", (rc, out, err))
        T.wait_for(lambda: f.states().get(y.addr) == "drained", timeout=20,
                   interval=0.2, what="%s drained" % y.addr)
        marks["drained"] = time.monotonic()
        T.expect(y.stop(), 0, "the drained backend's exit status")
        marks["stopped"] = time.monotonic()
        y.popd = fleetns.copy_build(tempfile.mkdtemp(
            prefix="popdupgrade.", dir=f.top))
        y.start()
        exe = os.readlink("/proc/%d/exe" % y.proc.pid)
        T.expect(exe, y.popd, "the upgraded backend runs the copy")
        T.wait_for(lambda: f.states().get(y.addr) == "drained", timeout=10,
                   what="the router sees the upgraded %s (drained)" % y.addr)
        rc, out, err = srv.popctl("undrain", y.addr)
        marks["undrain"] = time.monotonic()
        T.expect((rc, out), (0, "%s up\n" % y.addr), "popctl undrain")
        time.sleep(4)
    finally:
        load.finish()
    T.expect(load.errors, [], "errors in the load's threads")
    T.expect(load.undelivered, [], "messages the MTA could not deliver "
             "in 40 tries")
    # What is left: retrieved and deleted through nginx, to the end.
    for user, _ in USERS:
        for _ in range(30):
            s = load.session(user, True, limit=10000)
            if s["committed"] and s["listed"] == 0:
                break
        else:
            raise AssertionError("%s's maildrop not emptied: %s; "
                                 "refusals %s" % (user, s, load.refusals))
    who_served(f, load.sessions)
    check_messages(load, marks)
    check_overlaps(load)
    check_failover(load, marks, x, y)
    check_storage(f, load)
    for b in f.backends:
        T.expect(b.crashes(), [], "crashes in backend %s's log" % b.addr)


def cut_where(s, marks):
    """Where a cut session was, for the counts: its backend and when
    its login came, from the nearest fault."""
    t, what = min((abs(s["t_in"] - t), k) for k, t in marks.items())
    return "%s on %s, %.1f s from the %s" % (
        (s["cut"] or s["quit_rep"]).split(":")[0], s["on"], t, what)


def check_messages(load, marks):
    by_key = collections.defaultdict(list)
    for key, uidl, s in load.retrieved:
        by_key[key].append((uidl, s))
    sent = dict(load.maybe)
    sent.update(load.delivered)
    T.expect(sorted(set(by_key) - set(sent)), [], "messages retrieved "
             "that the MTA never sent")
    lost = sorted(set(load.delivered) - set(by_key))
    T.expect(lost, [], "messages delivered (250) and never retrieved")
    dups = collections.Counter()
    quit_lost = collections.Counter()
    owner = {}
    for key, seen in by_key.items():
        uidls = set(u for u, _ in seen)
        T.expect(len(uidls), 1, "the UIDLs of message %s" % key)
        for u in uidls:
            T.expect(owner.setdefault(u, key), key, "UIDL %s given to two "
                     "messages" % u)
        done = [s for _, s in seen if s["committed"]]
        T.expect_true(len(done) <= 1, "message %s retrieved in %d sessions "
                      "that QUIT with +OK" % (key, len(done)))
        if done:
            T.expect_true(seen[-1][1] is done[0], "message %s retrieved "
                          "again after a QUIT with +OK" % key)
        for _, s in seen[:-1]:
            # RFC 1047: a session cut after RETR, before QUIT's +OK.
            T.expect_true(not s["committed"], "message %s" % key)
            dups["cut before QUIT" if not s["quit"] else
                 "QUIT sent, then " + cut_where(s, marks)] += 1
        if not done:
            # Gone without a QUIT answered +OK: only if one was sent.
            last = seen[-1][1]
            T.expect_true(last["quit"], "message %s removed with no QUIT "
                          "sent" % key, last)
            quit_lost[cut_where(last, marks)] += 1
    lmtp_twice = sum(1 for k in load.maybe if k in by_key)
    for when, addr in load.maybe_at:
        t, what = min((abs(when - t), k) for k, t in marks.items())
        print("# an LMTP connection to %s lost: %.1f s from the %s"
              % (addr, t, what))
    listed = set(u for u, _ in load.listed)
    T.expect(sorted(listed - set(owner)), [], "UIDLs the listing clients "
             "saw that no retrieval had (a UIDL changed)")
    print("# messages: %d delivered (LMTP 250), %d more whose LMTP "
          "connection was lost after DATA (%d of them arrived), %d "
          "retrieved" % (len(load.delivered), len(load.maybe), lmtp_twice,
                         len(by_key)))
    print("# RFC 1047 duplicates (retrieved again after a session cut "
          "between RETR and QUIT's +OK): %d (%s); removed at a QUIT "
          "whose +OK was lost: %d (%s)" % (
              sum(dups.values()), ", ".join("%s: %d" % kv for kv in
                                            sorted(dups.items())) or "-",
              sum(quit_lost.values()), ", ".join(
                  "%s: %d" % kv for kv in sorted(quit_lost.items())) or "-"))
    print("# UIDLs: %d, each the same in every listing (%d listed by the "
          "other clients)" % (len(owner), len(listed)))


def check_overlaps(load):
    by_user = collections.defaultdict(list)
    for s in load.sessions:
        by_user[s["user"]].append(s)
    for user, ss in by_user.items():
        ss.sort(key=lambda s: s["t_in"])
        end, last = 0, None
        for s in ss:
            T.expect_true(s["t_in"] > end, "%s served twice at once: "
                          "a session on %s from %.3f to %.3f, another on %s "
                          "from %.3f" % (user, last and last.get("on"),
                                         last and last["t_in"] or 0, end,
                                         s.get("on"), s["t_in"]))
            if s["t_last"] > end:
                end, last = s["t_last"], s
    print("# sessions: %d, no two of one user at once; refused: %s" % (
        len(load.sessions), ", ".join("%s %d" % kv for kv in
                                      load.refusals.most_common())))


def check_failover(load, marks, x, y):
    before = homes(load, 0, marks["kill"])
    users = [u for u, b in before.items() if b == x.addr]
    T.expect_true(users, "users on %s before the kill" % x.addr, before)
    after = first_after(load, users, marks["kill"])
    took = {}
    for u in users:
        s = after.get(u)
        T.expect_true(s is not None and s["t_in"] < marks["restart"],
                      "%s logged in while %s was down" % (u, x.addr))
        T.expect_true(s["on"] not in (None, x.addr), "%s's login after "
                      "the kill on another backend" % u, s["on"])
        took[u] = s["t_in"] - marks["kill"]
    worst = max(took.values())
    print("# (a) kill -9 of %s: its users %s logged in on another "
          "backend %.2f s after (each: %s; bound %.0f s)" % (
              x.addr, ", ".join(users), worst,
              ", ".join("%.2f" % t for t in took.values()), FAILOVER_BOUND))
    T.expect_true(worst < FAILOVER_BOUND, "failover within %.0f s"
                  % FAILOVER_BOUND, worst)
    # (b): the logins went on while the brick was down.
    during = [s for s in load.sessions
              if marks["brick"] < s["t_in"] < marks["brick_back"]]
    print("# (b) brick down %.1f s: %d sessions meanwhile" % (
        marks["brick_back"] - marks["brick"], len(during)))
    T.expect_true(len(during) > 0, "logins while a brick was down")
    # (c): nothing new on y while drained; its users elsewhere at once.
    onto = [s for s in load.sessions if s["on"] == y.addr and
            marks["drain"] + 0.5 < s["t_in"] < marks["undrain"]]
    T.expect(onto, [], "sessions on the drained %s" % y.addr)
    ys = [u for u, b in homes(load, marks["brick_back"],
                              marks["drain"]).items() if b == y.addr]
    gap = max([s["t_in"] - marks["drain"] for s in
               first_after(load, ys, marks["drain"]).values()] or [0])
    back = [s for s in load.sessions if s["on"] == y.addr and
            s["t_in"] > marks["undrain"]]
    # Its stop (SIGTERM) answered the LMTP transactions it was in.
    T.expect([t - marks["drained"] for t, a in load.maybe_at
              if a == y.addr and marks["drained"] <= t <= marks["stopped"]],
             [], "LMTP transactions cut by the stop of %s" % y.addr)
    print("# (c) drain of %s: drained %.2f s after popctl drain, its "
          "users (%s) logged in elsewhere within %.2f s; upgraded; %d "
          "sessions on it after undrain" % (
              y.addr, marks["drained"] - marks["drain"], ", ".join(ys),
              gap, len(back)))
    if ys:
        T.expect_true(back, "%s's users back after undrain" % y.addr)


def check_storage(f, load):
    for u, _ in USERS:
        for d in ("new", "cur"):
            left = os.listdir(os.path.join(f.vol.mounts[0], u, d))
            T.expect(left, [], "%s's %s/ at the end" % (u, d))
    tmp = sum(len(os.listdir(os.path.join(f.vol.mounts[0], u, "tmp")))
              for u, _ in USERS)
    t0 = time.monotonic()
    asked = [t0]

    def healed():
        # The self-heal daemon crawls on its own only every
        # cluster.heal-timeout (600 s): entries left pending by writes
        # after the brick's return wait for that unless asked again.
        # An index heal can leave entries whose index the brick's
        # return did not record; after a minute a full crawl is asked.
        # On a loaded 2-core runner one entry has taken over 180 s.
        n = heal_pending(f.vol)
        now = time.monotonic()
        if n != 0 and now - asked[0] >= 10:
            how = ["full"] if now - t0 >= 60 else []
            f.vol.gluster("volume", "heal", f.vol.name, *how, check=False)
            asked[0] = now
        return n == 0
    try:
        T.wait_for(healed, timeout=300, interval=1,
                   what="gluster heal info: nothing to heal")
    except AssertionError:
        print("# heal info at the end:\n# " + "\n# ".join(f.vol.gluster(
            "volume", "heal", f.vol.name, "info", check=False)
            .splitlines()[:60]))
        raise
    trees = [brick_tree(os.path.join(f.vol.dir, "brick%d" % i))
             for i in range(3)]
    T.expect(trees[0], trees[1], "the healed brick against another")
    T.expect(trees[1], trees[2], "the other two bricks")
    print("# storage: maildirs empty (%d files left in tmp/ by deliveries "
          "cut), healed in %.1f s after the load, the three bricks alike "
          "(%d files)" % (tmp, time.monotonic() - t0, len(trees[0])))


if __name__ == "__main__":
    T.main(users=USERS)
