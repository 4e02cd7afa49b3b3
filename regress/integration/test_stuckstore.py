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

"""A mail store that stops answering is seen (issue 73 item 4, DESIGN.md
invariant 33).  The store is frozen by SIGSTOP to its FUSE client, under
load: a session inside it then waits in the kernel, and no signal of
popd's can end it.  What the admin and the fronts must see, within
timeout store (2 s here) and the parent's 1 s tick:

- popctl show sessions says "stuck" for it, show metrics counts it
  (popd_store_stuck, popd_store_stuck_total), the log says so once;
- the health port says "degraded N" (its probe's word: a stuck session
  alone never says so, own_session_stopped), which a router's routepop
  and HAProxy's "expect rstring ^up" both read as "send new users
  elsewhere";
- a delivery into it (LMTP) is logged stuck too;
- the stuck user's next login is -ERR [IN-USE] saying the maildrop is
  held by a session stuck in the mail store, never a hang or a plain
  second-client [IN-USE];
- a login of a user with no session, its wrkrpop stuck before it
  answered, is -ERR [SYS/TEMP] within timeout store and the tick, then
  closed (the listener answers for it); dave logs in after the thaw;
- after SIGCONT the session goes on (its RETR, DELE and QUIT
  answered), the health line is "up" again, and nothing was lost.

freeze(srv, top, client_pid) is the body, run on each engine whose FUSE
client can be stopped: GlusterFS here (freeze_glusterfs_client), CephFS's
ceph-fuse in test_sharedceph.py (freeze_cephfs_client, on the cluster
that file builds anyway).

With health probe USER (issue 70 item 7, issue 73 item 4), the line is
up only while a probe as that user answers: not up after start until
the first one did, degraded while the probe user's maildir is unusable
(local disk: probe_unusable_maildir), and degraded while the store is
frozen with no session open at all (probe_freeze_seen), up again after
SIGCONT."""

import os
import re
import signal
import smtplib
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import gluster  # noqa: E402

USERS = [("alice", "pw-alice"), ("bob", "pw-bob"), ("carol", "pw-carol"),
         ("dave", "pw-dave")]
STORE = 2       # timeout store, seconds
BOUND = STORE + 3   # to be seen: the bound, the tick, a margin
EVERY = 3       # health.c's PROBE_EVERY: from a probe's end to the next


def on_mount(srv, top):
    """Every user's maildir of srv under directory top (made, as the
    user's), and srv's usertab saying so."""
    lines = ""
    for user, u in srv.users.items():
        home = os.path.join(top, user)
        for d in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
            os.chown(os.path.join(home, d), u["uid"], u["gid"])
        u["home"] = u["maildir"] = home
        lines += "%s\t%d:%d:%s\n" % (user, u["uid"], u["gid"], home)
    srv.rewrite_usertab(lines)


def health(port):
    """What the health port says, read to its close."""
    return T.health_line(port)


def load(srv, users, stop, counts):
    """A client per user that logs in, lists, retrieves and quits until
    stop is set; each try bounded by a 3 s socket timeout."""
    def client(user):
        while not stop.is_set():
            try:
                with srv.raw(timeout=3) as r:
                    r.line()
                    r.login(user, srv.users[user]["password"])
                    r.ok("LIST")
                    r.read_until(b"\r\n.\r\n")
                    r.ok("RETR 1")
                    r.read_until(b"\r\n.\r\n")
                    r.ok("QUIT")
                counts[user + " ok"] = counts.get(user + " ok", 0) + 1
            except Exception:
                counts[user + " failed"] = \
                    counts.get(user + " failed", 0) + 1
                stop.wait(0.2)
    ts = [threading.Thread(target=client, args=(u,), daemon=True)
          for u in users]
    for t in ts:
        t.start()
    return ts


def sessions(srv):
    rc, out, err = srv.popctl("show", "sessions")
    T.expect(rc, 0, "popctl show sessions: " + err)
    return out


def metric(srv, name):
    rc, out, err = srv.popctl("show", "metrics")
    T.expect(rc, 0, "popctl show metrics: " + err)
    m = re.search(r"^%s (\d+)$" % re.escape(name), out, re.M)
    return int(m.group(1)) if m else None


def lmtp_deliver(path, rcpt, result, timeout=60, subject=b"frozen"):
    """One LMTP delivery to rcpt on socket path; result["code"] is its
    answer (or the exception), within timeout seconds, after which the
    client gives up and closes, as an MTA does."""
    try:
        c = smtplib.LMTP(path, timeout=timeout)
        try:
            r = c.sendmail("sender@example.org", [rcpt],
                           b"Subject: " + subject +
                           b"\r\n\r\nwhile frozen\r\n")
            result["code"] = 250 if not r else r
        finally:
            c.close()
    except Exception as e:
        result["code"] = e


def probe_up_after_start(srv, hport, user):
    """Right after start: the line is up only once the first probe
    answered (its line in the log before any "up"), then up."""
    first = health(hport)
    if first.startswith("up "):
        T.expect_true("health: the store probe as %s succeeded" % user
                      in srv.log(), "up only after the first probe",
                      first)
    else:
        T.expect(first.split()[0], "degraded", "the line at start")
    T.wait_for(lambda: health(hport).startswith("up "), timeout=EVERY + 7,
               interval=0.1, what="health up once the probe answered")


def probe_freeze_seen(srv, client_pid, hport, user):
    """No session open: the store frozen is seen by the probe alone,
    degraded within a probe's period and timeout store, up after
    SIGCONT."""
    T.expect(health(hport).split(), ["up", "0"], "health before the freeze")
    os.kill(client_pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        T.wait_for(lambda: health(hport).startswith("degraded 0"),
                   timeout=EVERY + BOUND + 3, interval=0.2,
                   what="health degraded by the probe, no session open")
        print("# frozen store seen by the probe alone %.1f s after the "
              "freeze" % (time.monotonic() - t0))
        T.expect_true(re.search(r"health: degraded: the store probe as %s "
                                r"has not answered" % user, srv.log()),
                      "the log says the probe did not answer")
    finally:
        os.kill(client_pid, signal.SIGCONT)
    t1 = time.monotonic()
    T.wait_for(lambda: health(hport).startswith("up "), timeout=BOUND,
               interval=0.1, what="health up again after the thaw")
    print("# probe: up again %.1f s after the thaw" % (time.monotonic() - t1))


def store_freeze_seen(srv, mount, client_pid, hport, lmtp):
    """srv: started, its users' maildirs under mount, each with 3
    messages, an lmtp listener on socket lmtp; client_pid: mount's FUSE
    client.  The store is frozen under load (sessions, an LMTP delivery)
    and thawed; every wait is bounded, and the client is always
    continued."""
    T.expect(health(hport).split()[0], "up", "health before the freeze")
    stop = threading.Event()
    counts = {}
    threads = load(srv, ["bob", "carol"], stop, counts)
    a = srv.raw(timeout=60)
    frozen = False
    try:
        a.line()
        a.login("alice", srv.users["alice"]["password"])
        time.sleep(0.5)         # the load runs a little
        os.kill(client_pid, signal.SIGSTOP)
        frozen = True
        t0 = time.monotonic()
        # RETR opens a message file, QUIT's UPDATE removes one: either
        # waits on the store, whatever the kernel had cached.
        a.send(b"RETR 1\r\nDELE 1\r\nQUIT\r\n")
        delivery = {}
        dt = threading.Thread(target=lmtp_deliver, daemon=True,
                              args=(lmtp, "carol", delivery))
        dt.start()
        # An MTA that gives up on its delivery while the store is frozen
        # (issue 87 item 5): its retry must be the only copy.
        gaveup = {}
        gt = threading.Thread(target=lmtp_deliver, daemon=True,
                              args=(lmtp, "bob", gaveup, 3, b"gave up"))
        gt.start()
        T.wait_for(lambda: re.search(r"^alice .* stuck ", sessions(srv),
                                     re.M) is not None,
                   timeout=BOUND, interval=0.2,
                   what="alice's session shown stuck by popctl")
        seen = time.monotonic() - t0
        # The probe's word, not the session's: within its period.
        T.wait_for(lambda: health(hport).startswith("degraded "),
                   timeout=EVERY + BOUND, interval=0.1,
                   what="health says degraded (the probe)")
        T.expect_true((metric(srv, "popd_store_stuck") or 0) >= 1,
                      "popd_store_stuck counts it")
        T.expect_true((metric(srv, "popd_store_stuck_total") or 0) >= 1,
                      "popd_store_stuck_total counts it")
        # The user's next login: held by a stuck session, and says so.
        with srv.raw(timeout=10) as r:
            r.line()
            r.ok("USER alice")
            got = r.cmd("PASS " + srv.users["alice"]["password"])
        T.expect_true(got.startswith(b"-ERR [IN-USE] maildrop held by a "
                                     b"session stuck in the mail store "
                                     b"since "),
                      "the second login's answer", got)
        # A user with no session: its wrkrpop waits in the store before
        # it answers the login, and the listener answers for it.
        with srv.raw(timeout=BOUND + 10) as r:
            r.line()
            r.ok("USER dave")
            t2 = time.monotonic()
            got = r.cmd("PASS " + srv.users["dave"]["password"])
            answered = time.monotonic() - t2
            T.expect_true(got.startswith(b"-ERR [SYS/TEMP] the mail store "
                                         b"does not answer"),
                          "the login of a user with no session", got)
            T.expect_true(answered < BOUND, "[SYS/TEMP] within %d s" %
                          BOUND, answered)
            T.expect_true(r.closed(timeout=2), "closed after [SYS/TEMP]")
        # The listener logs after its answer is written: the line may
        # reach the log after the client read the answer.
        T.wait_for(lambda: re.search(r"answered \[SYS/TEMP\]: its wrkrpop "
                                     r"is stuck in the mail store",
                                     srv.log()), timeout=5,
                   what="the listener's log of its answer")
        print("# a stuck login answered [SYS/TEMP] %.1f s after its PASS"
              % answered)
        log = srv.log()
        T.expect(len(re.findall(r"wrkrpop \d+ of alice: stuck in the mail "
                                r"store", log)), 1,
                 "one log line for alice's stuck session")
        # The delivery into the frozen store: its dlvrpop is stuck too.
        T.wait_for(lambda: re.search(r"dlvrpop \d+ for \S*carol: stuck in "
                                     r"the mail store", srv.log()),
                   timeout=BOUND, interval=0.2,
                   what="the delivery's dlvrpop logged stuck")
        print("# stuck session seen %.1f s after the freeze "
              "(timeout store %d s)" % (seen, STORE))
    finally:
        if frozen:
            os.kill(client_pid, signal.SIGCONT)
    # Thawed: the RETR is answered, the line comes back up.
    t1 = time.monotonic()
    T.expect(a.line()[:3], b"+OK", "alice's RETR after the thaw")
    a.read_until(b"\r\n.\r\n")
    T.expect(a.line()[:3], b"+OK", "alice's DELE")
    T.expect(a.line()[:3], b"+OK", "alice's QUIT: the message removed")
    T.wait_for(lambda: health(hport).startswith("up "), timeout=BOUND,
               interval=0.1, what="health up again after the thaw")
    print("# up again %.1f s after the thaw" % (time.monotonic() - t1))
    # Each comes out as the thawed store answers it, seen within a tick.
    T.wait_for(lambda: " stuck " not in sessions(srv), timeout=BOUND,
               interval=0.2, what="no session stuck")
    a.close()
    dt.join(30)
    T.expect(delivery.get("code"), 250, "the LMTP delivery after the thaw")
    gt.join(10)
    T.expect_true(isinstance(gaveup.get("code"), Exception),
                  "the MTA gave up while frozen", gaveup)
    T.expect_true(re.search(r"dlvrpop \d+ for \S*bob: its client left "
                            r"during the delivery: killed", srv.log()),
                  "the given-up delivery's worker killed, logged")
    retry = {}
    lmtp_deliver(lmtp, "bob", retry, 30, b"gave up")
    T.expect(retry.get("code"), 250, "the MTA's retry after the thaw")
    time.sleep(1)               # the load goes on, thawed
    stop.set()
    for t in threads:
        t.join(10)
    T.expect_true(not any(t.is_alive() for t in threads), "the load ended")
    T.expect_true(counts.get("bob ok", 0) + counts.get("carol ok", 0) > 0,
                  "the load was served", counts)
    T.expect_true(re.search(r"wrkrpop \d+ of alice: (out of the mail store|"
                            r"ended) after \d+ s", srv.log()),
                  "the log says it came out")
    # dave's wrkrpop came out to a closed socket: no UPDATE.
    T.wait_for(lambda: re.search(r"wrkrpop \d+ of dave: (out of the mail "
                                 r"store|ended) after \d+ s", srv.log()),
               timeout=BOUND, interval=0.2,
               what="dave's stuck wrkrpop out of the store")
    # Nothing lost: every message still there, through a new session.
    for u, n in (("alice", 2), ("bob", 4), ("carol", 4), ("dave", 3)):
        p = srv.pop(u)
        T.expect(p.stat()[0], n, u + "'s messages after the thaw")
        p.quit()
    md = srv.users["bob"]["maildir"]
    copies = sum(b"Subject: gave up" in open(os.path.join(md, d, f),
                                               "rb").read()
                 for d in ("new", "cur") for f in os.listdir(
                     os.path.join(md, d)))
    T.expect(copies, 1, "copies of the given-up message after the retry")


def freeze(srv, top, client_pid):
    """The whole freeze on any engine: srv (not started) gets its users'
    maildirs under directory top, a store timeout, a health port with a
    probe as bob and an LMTP socket; then the probe alone, then the
    freeze under load (store_freeze_seen).  client_pid() is the pid of
    top's FUSE client, asked each time (a remount changes it)."""
    hport = T.free_port()
    lmtp = os.path.join(srv.tmpdir, "lmtp.sock")
    srv.conf_extra = ("timeout store %ds\nlisten on %s port %d health\n"
                      'listen on socket "%s" lmtp\nhealth probe bob\n'
                      % (STORE, T.HOST, hport, lmtp))
    on_mount(srv, top)
    srv.start()
    probe_up_after_start(srv, hport, "bob")
    probe_freeze_seen(srv, client_pid(), hport, "bob")
    for u, _ in USERS:
        for i in range(3):
            srv.deliver(u, b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
    store_freeze_seen(srv, top, client_pid(), hport, lmtp)


@T.test(start=False, allow_crash=True, timeout=240)
def freeze_glusterfs_client(srv):
    # test_sharedceph.py runs the same body on CephFS (freeze_cephfs_client).
    vol = gluster.Volume(mounts=1).start()
    try:
        freeze(srv, vol.mounts[0], lambda: vol.client_pid(0))
    finally:
        srv.stop()
        vol.stop()


@T.test(start=False, allow_crash=True, timeout=120)
def probe_on_by_default_fuse(srv):
    """Issue 87: a health port, the maildirs on a FUSE mount, no health
    probe line: the probe is on (as usertab's first user, the log says
    why), and a frozen client makes the line degraded."""
    vol = gluster.Volume(mounts=1).start()
    try:
        hport = T.free_port()
        srv.conf_extra = ("timeout store %ds\nlisten on %s port %d health\n"
                          % (STORE, T.HOST, hport))
        on_mount(srv, vol.mounts[0])
        srv.start()
        T.expect_true(re.search(r"health: the maildirs are on fuse\.\S+ "
                                r"\(%s\): the store probe is on, as "
                                r"usertab's first user, alice"
                                % re.escape(vol.mounts[0]), srv.log()),
                      "the log says the probe is on and why", srv.log())
        probe_up_after_start(srv, hport, "alice")
        probe_freeze_seen(srv, vol.client_pid(0), hport, "alice")
    finally:
        srv.stop()
        vol.stop()


@T.test(start=False, timeout=60)
def probe_unusable_maildir(srv):
    """On local disk: the probe user's tmp not writable, then its cur
    gone: degraded, the log saying why; repaired: up."""
    hport = T.free_port()
    md = srv.users["alice"]["maildir"]
    srv.conf_extra = ("timeout store %ds\nlisten on %s port %d health\n"
                      "health probe alice\n" % (STORE, T.HOST, hport))
    os.chmod(os.path.join(md, "tmp"), 0o500)
    srv.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2 * EVERY + 1:
        T.expect(health(hport).split()[0], "degraded",
                 "health while the probe cannot write tmp")
        time.sleep(0.5)
    log = srv.log()
    T.expect_true(re.search(r"health probe as alice: %s: tmp/popd-probe\.\d+"
                            r": Permission denied" % re.escape(md), log),
                  "the probe's wrkrpop logs what failed")
    T.expect(len(re.findall(r"health: degraded: the store probe as alice "
                            r"failed: exit 1", log)), 1,
             "one log line for the probe state, not one per probe")
    os.chmod(os.path.join(md, "tmp"), 0o700)
    T.wait_for(lambda: health(hport).startswith("up "), timeout=EVERY + 3,
               interval=0.1, what="health up once tmp is writable")
    T.expect_true("health: the store probe as alice succeeded" in srv.log(),
                  "the log says the store answers again")
    os.rmdir(os.path.join(md, "cur"))
    T.wait_for(lambda: health(hport).startswith("degraded "),
               timeout=EVERY + 3, interval=0.1,
               what="health degraded once cur is gone")
    T.expect_true(re.search(r"health probe as alice: %s: cur: No such file"
                            % re.escape(md), srv.log()),
                  "the probe logs the missing cur")
    # Logins of other users are still served: degraded is not down.
    p = srv.pop("bob")
    p.quit()


def page_busy_offset():
    """Where a stats page keeps busy (common/stats.h): after STAT_MAX
    counters, state, marked and quota_over."""
    with open(os.path.join(T.REPO, "common", "stats.h")) as f:
        enum = f.read().split("enum stat_id {", 1)[1].split("STAT_MAX", 1)[0]
    return 8 * len(re.findall(r"^\tSTAT_\w+,", enum, re.M)) + 16


def stop_in_store(pid):
    """What a user does to his own wrkrpop while it logs in (issue 85
    G6): SIGSTOP it with its page saying busy, 2 s ago.  A compromised
    wrkrpop can write the same; the stop keeps it from clearing it."""
    os.kill(pid, signal.SIGSTOP)
    with open("/proc/%d/maps" % pid) as f:
        addr = [int(ln.split("-")[0], 16) for ln in f
                if "popd-stats" in ln and " rw" in ln]
    T.expect(len(addr), 1, "the wrkrpop's page mapped once")
    with open("/proc/%d/mem" % pid, "r+b", buffering=0) as m:
        m.seek(addr[0] + page_busy_offset())
        m.write(struct.pack("=q", int(time.monotonic()) - 2))


@T.test(start=False, timeout=60)
def own_session_stopped(srv):
    """Issue 85 G6, invariant 33: a user's own wrkrpop stopped in the
    store (or lying) is shown stuck and counted, but the health line
    stays up: health comes from the store probe, never from a user."""
    hport = T.free_port()
    srv.conf_extra = ("timeout store %ds\nlisten on %s port %d health\n"
                      "health probe carol\n" % (STORE, T.HOST, hport))
    # Issue 87 item 4: a probed store's timeout store below a failover.
    rc, out = srv.check_config()
    T.expect(rc, 0, "popd -n: " + out)
    T.expect_true("warning: timeout store 2s is below the 20 s a shared "
                  "store's failover may take" in out, "popd -n warns", out)
    srv.start()
    T.wait_for(lambda: health(hport).startswith("up "), timeout=EVERY + 7,
               interval=0.1, what="health up once the probe answered")
    a = srv.raw(timeout=10)
    a.line()
    a.login("alice", srv.users["alice"]["password"])
    pid = [p for p in T.role_pids(srv, "wrkrpop")
           if T.proc_status(p)["Uid"][0] == srv.users["alice"]["uid"]]
    T.expect(len(pid), 1, "alice's one wrkrpop")
    stop_in_store(pid[0])
    try:
        T.wait_for(lambda: re.search(r"^alice .* stuck ", sessions(srv),
                                     re.M) is not None,
                   timeout=BOUND, interval=0.2,
                   what="alice's stopped session shown stuck by popctl")
        T.expect_true((metric(srv, "popd_store_stuck") or 0) >= 1,
                      "popd_store_stuck counts it")
        t0 = time.monotonic()
        while time.monotonic() - t0 < EVERY + BOUND:
            T.expect(health(hport).split()[0], "up",
                     "health while a user's own session is stopped")
            time.sleep(0.3)
        p = srv.pop("bob")
        p.quit()
    finally:
        os.kill(pid[0], signal.SIGCONT)
    a.close()
    T.expect_true("degraded" not in srv.log(), "no degraded in the log")


if __name__ == "__main__":
    T.main(users=USERS)
