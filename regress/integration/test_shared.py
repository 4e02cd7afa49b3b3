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

"""Maildirs on a filesystem several backends share (issue 56, part 1):
a GlusterFS replica-3 volume (regress/gluster.py) mounted twice, once
for each of two popd "hosts" A and B, each a popd of its own whose
usertab puts alice's maildir on its own mount (as two machines would
each mount the volume).  doc/fleet.md "Shared storage" says what this
shows:

- the session lock holds across mounts: a second session through the
  other host is [IN-USE], every time, and is let in as soon as the
  first one's QUIT is answered;
- a message delivered through one host is in the next session through
  the other within the window of the filesystem's attribute cache
  (WINDOW: GlusterFS's FUSE client and md-cache keep a directory's
  times for up to a second), never later, never twice;
- deliveries (LMTP and mda) through both hosts while sessions through both
  retrieve and delete: each message retrieved exactly once (a 4xx is
  tried again, as an MTA does), its UIDL the same through either host,
  the quota's maildirsize of whole lines;
- a filesystem whose locks stay with each mount (two bindfs mounts of
  one directory: FUSE leaves flock to each mount's kernel) is refused
  with a log line that says why, never served twice."""

import os
import re
import select
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import sharedfs  # noqa: E402

WINDOW = 2.0    # seconds: the attribute cache (1 s) and a margin
USERS = [("alice", "pw-alice")]
BODIES = []     # (body, timeout): each run on every engine


def body(timeout=300):
    def reg(f):
        BODIES.append((f, timeout))
        return f
    return reg


def register(engine, module="__main__"):
    """Each body registered as a test on engine, named body_engine."""
    for i, (f, timeout) in enumerate(BODIES):
        def run(srv0, f=f):
            f(sharedfs.start(engine))
        run.__name__ = "%s_%s" % (f.__name__, engine)
        run.__module__ = module
        # The first starts the cluster (and may install it).
        T.test(start=False, timeout=timeout + (600 if i == 0 else 0))(run)


def on_mount(srv, user, top):
    """Move user's maildir of srv to directory top (made, as the user's)
    and say so in srv's usertab."""
    u = srv.users[user]
    home = os.path.join(top, user)
    if not os.path.isdir(home):
        for d in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(home, d), 0o700, exist_ok=True)
            os.chown(os.path.join(home, d), u["uid"], u["gid"])
    u["home"] = u["maildir"] = home
    srv.rewrite_usertab("%s\t%d:%d:%s\n" % (user, u["uid"], u["gid"], home))


def pair(eng, conf_extra=""):
    """Two started servers, A and B, alice's maildir on their own mount
    of eng's store, emptied first."""
    shutil.rmtree(os.path.join(eng.mounts[0], "alice"), ignore_errors=True)
    hosts = []
    for m in eng.mounts:
        srv = T.Server(users=USERS)
        srv.sock = os.path.join(srv.tmpdir, "lmtp.sock")
        srv.conf_extra = 'listen on socket "%s" lmtp\n%s' % (srv.sock,
                                                              conf_extra)
        on_mount(srv, "alice", m)
        hosts.append(srv)
    for srv in hosts:
        srv.start()
    return hosts


def stop(hosts):
    for srv in hosts:
        srv.stop()
        srv.cleanup()


def listing(srv):
    """{uidl: size} of alice's maildrop through srv."""
    p = srv.pop("alice")
    try:
        sizes = dict(ln.split() for ln in
                     (x.decode() for x in p.list()[1]))
        uidls = dict(ln.split() for ln in
                     (x.decode() for x in p.uidl()[1]))
    finally:
        p.quit()
    return {uidls[n]: int(sizes[n]) for n in uidls}


def mda(srv, data):
    """Deliver data to alice with mda, through srv's mount, under a
    quota of 10 MB (counted in maildirsize)."""
    r = T.run_mda(srv, "alice", data, args=["-q", "10M"],
                  home=srv.users["alice"]["home"])
    T.expect(r.returncode, 0, "mda: " + r.stderr.decode())


def lmtp(srv, data):
    """Deliver data to alice over LMTP, through srv, as an MTA does: a
    temporary failure (4xx) is tried again, at most 5 times a second
    apart; how many times is returned."""
    for again in range(6):
        try:
            with smtplib.LMTP(srv.sock) as c:
                c.sendmail("sender@example.org", ["alice"], data)
            return again
        except smtplib.SMTPDataError as e:
            if not 400 <= e.smtp_code < 500 or again == 5:
                raise
            time.sleep(1)


@body(timeout=300)
def second_session_through_other_host_in_use(eng):
    a, b = pair(eng)
    try:
        for i in range(10):
            first, second = (a, b) if i % 2 == 0 else (b, a)
            with first.raw() as r1:
                r1.line()
                r1.login("alice", "pw-alice")
                with second.raw() as r2:
                    r2.line()
                    r2.ok("USER alice")
                    got = r2.cmd("PASS pw-alice")
                    T.expect_true(got.startswith(b"-ERR [IN-USE]"),
                                  "round %d: a second session through "
                                  "the other host" % i, got)
                r1.ok("QUIT")
        T.expect_true(re.search(r"maildrop in use", a.log() + b.log()),
                      "the refusals are logged")
    finally:
        stop((a, b))


@body(timeout=300)
def next_session_through_other_host_right_after_quit(eng):
    # QUIT's +OK says the maildrop is free: a client that logs in
    # through the other host the moment it reads it is let in.  On FUSE
    # a lock closed without LOCK_UN went with the file's release, which
    # the kernel sends after close(2) returns.
    a, b = pair(eng)
    try:
        refused = []
        for i in range(100):
            first, second = (a, b) if i % 2 == 0 else (b, a)
            with first.raw() as r1, second.raw() as r2:
                r1.line()
                r1.login("alice", "pw-alice")
                r2.line()
                r2.ok("USER alice")
                r1.ok("QUIT")
                got = r2.cmd("PASS pw-alice")
                if not got.startswith(b"+OK"):
                    refused.append((i, got))
                else:
                    r2.ok("QUIT")
        T.expect(refused, [], "logins right after QUIT through the "
                 "other host refused")
    finally:
        stop((a, b))


@body(timeout=300)
def delivery_through_one_host_seen_through_other(eng):
    a, b = pair(eng)
    try:
        worst = 0.0
        for i in range(8):
            via, seen = (a, b) if i % 2 == 0 else (b, a)
            before = listing(seen)
            mda(via, b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
            t0 = time.monotonic()
            while True:
                now = listing(seen)
                if len(now) == len(before) + 1:
                    break
                T.expect(len(now), len(before), "before it shows")
                T.expect_true(time.monotonic() - t0 < WINDOW,
                              "message %d through the other host within "
                              "%gs" % (i, WINDOW))
                time.sleep(0.05)
            worst = max(worst, time.monotonic() - t0)
            T.expect(listing(via), now, "one maildrop, one listing, the "
                     "same UIDLs through either host")
        print("  longest wait for a delivery through the other host: "
              "%.2fs (window %gs)" % (worst, WINDOW))
    finally:
        stop((a, b))


@body(timeout=600)
def both_hosts_deliver_and_fetch_nothing_lost(eng):
    a, b = pair(eng, conf_extra="quota 10M\n")
    n = 60
    try:
        sent = {}

        failed, retried = [], []

        def deliver(via, start):
            # LMTP and mda through each host, in turn.
            for i in range(start, n, 2):
                body = b"Subject: m%d\r\nX-Seq: %d\r\n\r\nbody %d\r\n" % (
                    i, i, i)
                sent[i] = body
                try:
                    if (i // 2) % 2 == 0:
                        retried.append(lmtp(via, body))
                    else:
                        mda(via, body)
                except Exception as e:
                    failed.append("message %d: %r" % (i, e))
                    return
                time.sleep(0.01)

        th = [threading.Thread(target=deliver, args=(h, s))
              for h, s in ((a, 0), (b, 1))]
        for t in th:
            t.start()
        got = {}
        uidl_of = {}
        deadline = time.monotonic() + 120
        turn = 0
        while (len(got) < n or any(t.is_alive() for t in th)) and \
                time.monotonic() < deadline:
            srv = (a, b)[turn % 2]
            turn += 1
            p = srv.pop("alice")
            try:
                for ln in p.uidl()[1]:
                    num, uidl = ln.decode().split()
                    msg = b"\r\n".join(p.retr(int(num))[1])
                    seq = int(re.search(rb"X-Seq: (\d+)", msg).group(1))
                    T.expect_true(seq not in got, "message %d retrieved "
                                  "once only (again through %s)" % (
                                      seq, "AB"[turn % 2]))
                    got[seq] = msg
                    uidl_of[seq] = uidl
                    p.dele(int(num))
            finally:
                p.quit()
        for t in th:
            t.join()
        T.expect(failed, [], "deliveries refused; the logs say: %s" % "".join(
            ln + "\n" for h in (a, b) for ln in h.log().splitlines()
            if "lmtp" in ln or "dlvrpop" in ln)[:3000])
        print("  LMTP deliveries tried again after a 4xx: %d of %d" % (
            sum(1 for r in retried if r), len(retried)))
        T.expect(sorted(got), list(range(n)), "every message retrieved")
        T.expect(len(set(uidl_of.values())), n, "no UIDL given twice")
        T.expect(listing(a), {}, "nothing left through A")
        T.expect(listing(b), {}, "nothing left through B")
        # Maildir++ keeps the count loosely, as Dovecot does: a line two
        # hosts append at once, or one appended while another host
        # recalculates, makes it drift, and the format's own rules (a
        # recalculation when over, or past 5120 bytes) correct it.
        # What must hold: whole lines only, never a torn one.
        size = T.read_shared(os.path.join(a.users["alice"]["maildir"],
                                          "maildirsize"))
        T.expect_true(re.fullmatch(r"10485760S\n(-?\d+ -?\d+\n)+", size),
                      "maildirsize: whole lines", size)
    finally:
        stop((a, b))


@body(timeout=300)
def popcache_rebuilt_after_other_host_changed(eng):
    # Another MDA (Dovecot's LDA, procmail) writes and a client of
    # another server removes through the other host's mount: the next
    # session through the first host serves what the maildir holds, the
    # popcache it built before notwithstanding.
    a, b = pair(eng)
    try:
        for i in range(3):
            mda(a, b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
        before = listing(a)
        T.expect_true(os.path.exists(os.path.join(
            a.users["alice"]["maildir"], "popcache")), "a popcache built")
        gone = sorted(before)[0]
        b.deliver("alice", b"Subject: other\r\n\r\nby another MDA\r\n",
                  name="1700000000.M1P1.otherhost")
        md = b.users["alice"]["maildir"]
        for sub in ("new", "cur"):
            for f in os.listdir(os.path.join(md, sub)):
                if f.startswith(gone):
                    os.unlink(os.path.join(md, sub, f))
        want = dict(before)
        del want[gone]
        want["1700000000.M1P1.otherhost"] = len(
            b"Subject: other\r\n\r\nby another MDA\r\n")
        T.wait_for(lambda: listing(a) == want, timeout=WINDOW,
                   what="through A, what B's mount changed")
        T.expect(listing(b), want, "the same through B")
    finally:
        stop((a, b))


@body(timeout=300)
def deleted_kept_and_undeleted_across_hosts(eng):
    # DELE through B keeps the messages in popd.deleted on the store;
    # popctl undelete on A puts them back, with their UIDLs and sizes.
    # On GlusterFS A's undelete, a moment after B's DELE, found new/'s
    # old name of the kept file still in its FUSE client's cache: the
    # move saw EEXIST, the "same file" and unlinked the only link
    # (maildrop.c move_noreplace now asks for a second link).  Its
    # md-cache answers that old name for as long as the file's own
    # attributes are fresh, which every look at the file renews: the
    # move now waits untouched, then asks for the old name first.
    a, b = pair(eng, conf_extra="deleted keep 7d\n")
    try:
        for i in range(3):
            mda(b, b"Message-ID: <k%d@example.org>\r\n\r\nbody %d\r\n"
                % (i, i))
        before = listing(a)
        with b.raw() as r:
            r.line()
            r.login("alice", "pw-alice")
            r.ok("DELE 1")
            r.ok("DELE 3")
            r.ok("QUIT")
        T.wait_for(lambda: len(listing(a)) == 1, timeout=WINDOW,
                   what="through A, one left")
        rc, out, err = a.popctl("show", "quota", "alice")
        T.expect_true(rc == 0 and out.splitlines()[-1].startswith(
            "kept 2 messages"), "A's show quota sees B's kept", out + err)
        trace = []
        rc, out, err = a.popctl("undelete", "alice", "<k2@example.org>")
        trace.append(out)
        T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
                 "undelete one through A: " + out + err)
        rc, out, err = b.popctl("undelete", "alice", "all")
        trace.append(out)
        T.expect((rc, out.splitlines()[-1]), (0, "1 message restored"),
                 "undelete the other through B: " + out + err)
        # A's restore shows through B within the window, as mail does.
        try:
            T.wait_for(lambda: listing(b) == before, timeout=WINDOW,
                       what="through B, every UIDL and size as before")
        except AssertionError:
            md = b.users["alice"]["maildir"]
            raise AssertionError("through B, expected %r, got %r; A lists "
                                 "%r; B's mount holds %r; %r" % (
                                     before, listing(b), listing(a),
                                     {d: os.listdir(os.path.join(md, d))
                                      for d in os.listdir(md)
                                      if os.path.isdir(os.path.join(md, d))
                                      }, trace))
        T.wait_for(lambda: listing(a) == before, timeout=WINDOW,
                   what="through A too")
    finally:
        stop((a, b))


@body(timeout=120)
def locks_held_across_mounts(eng):
    # What fslock.c trusts the engine's FUSE type for: flock(2) and
    # fcntl(2) locks of a process on one mount are seen by a process on
    # the other, and free the moment they are released (fslock's list:
    # doc/fleet.md "Which file systems").
    import fcntl
    trusted = {"glusterfs": "fuse.glusterfs", "cephfs": "fuse.ceph-fuse"}
    with open("/proc/mounts") as f:
        types = {ln.split()[1]: ln.split()[2] for ln in f}
    T.expect([types.get(m) for m in eng.mounts], [trusted[eng.name]] * 2,
             "the mounts' type, as fslock.c trusts it")
    path = [os.path.join(m, "lockprobe") for m in eng.mounts]
    open(path[0], "w").close()
    for kind, lock, unlock in (
            ("flock", lambda f, nb: fcntl.flock(f, fcntl.LOCK_EX | nb),
             lambda f: fcntl.flock(f, fcntl.LOCK_UN)),
            ("fcntl", lambda f, nb: fcntl.lockf(f, fcntl.LOCK_EX | nb),
             lambda f: fcntl.lockf(f, fcntl.LOCK_UN))):
        for rnd in range(20):
            r, w = os.pipe()
            r2, w2 = os.pipe()  # B has looked: A may let go
            pid = os.fork()
            if pid == 0:        # the holder, on mount A
                os.close(r)
                os.close(w2)
                f = open(path[0], "r+")
                lock(f, 0)
                os.write(w, b"x")
                # Held until B has tried (a loaded machine's open
                # through B can take longer than any fixed hold).
                select.select([r2], [], [], 30)
                if rnd % 2:
                    unlock(f)
                f.close()
                os._exit(0)
            os.close(w)
            os.close(r2)
            os.read(r, 1)
            os.close(r)
            f = open(path[1], "r+")
            try:
                try:
                    lock(f, fcntl.LOCK_NB)
                    held = False
                except OSError:
                    held = True
                os.close(w2)
                T.expect_true(held, "%s round %d: A's lock seen through "
                              "B (%s)" % (kind, rnd, eng.name))
                os.waitpid(pid, 0)

                def free():
                    try:
                        lock(f, fcntl.LOCK_NB)
                        return True
                    except OSError:
                        return False
                # Free once A let it go: at once after LOCK_UN; after a
                # close alone, once the kernel's release reached the
                # store (popd unlocks before it answers QUIT).
                T.wait_for(free, timeout=0.05 if rnd % 2 else 2,
                           interval=0.01, what="%s round %d: the lock "
                           "free through B" % (kind, rnd))
            finally:
                f.close()
    os.unlink(path[0])


@T.test(start=False, timeout=300)
def refused_where_locks_stay_with_each_mount(srv0):
    T.apt_install("bindfs", "bindfs")
    top = tempfile.mkdtemp(prefix="popdbind.", dir="/var/tmp")
    os.chmod(top, 0o755)
    src, m1, m2 = (os.path.join(top, d) for d in ("src", "m1", "m2"))
    for d in (src, m1, m2):
        os.mkdir(d, 0o755)
    mounted = []
    srv = T.Server(users=USERS)
    try:
        for m in (m1, m2):
            subprocess.run(["bindfs", src, m], check=True)
            mounted.append(m)
        on_mount(srv, "alice", m1)
        # The reason: a lock through one mount is not seen through the
        # other (what the refusal prevents).
        import fcntl
        lock = os.path.join(src, "probe")
        open(lock, "w").close()
        f1 = open(os.path.join(m1, "probe"))
        f2 = open(os.path.join(m2, "probe"))
        fcntl.flock(f1, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(f2, fcntl.LOCK_EX | fcntl.LOCK_NB)
        f1.close()
        f2.close()
        srv.start()
        with srv.raw() as r:
            r.line()
            r.ok("USER alice")
            got = r.cmd("PASS pw-alice")
        T.expect(got, b"-ERR [SYS/TEMP] the maildrop cannot be locked "
                 b"safely", "a maildrop on bindfs")
        T.expect_true(re.search(r"alice: %s/alice: not served: its "
                                r"filesystem \(fuse(\.bindfs)?, a FUSE "
                                r"filesystem that does not lock across "
                                r"mounts\) gives no lock that other hosts "
                                r"or mounts see" % re.escape(m1), srv.log()),
                      "the log says why", srv.log()[-2000:])
    finally:
        srv.stop()
        srv.cleanup()
        for m in mounted:
            subprocess.run(["umount", "-l", m])
        shutil.rmtree(top, ignore_errors=True)


register("glusterfs", "test_shared" if __name__ != "__main__" else
         "__main__")
if __name__ == "__main__":
    T.main()
