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

"""Faults: kill -9 of wrkrpop during UPDATE and of mda during a delivery,
a full disk under mda and under a session, hundreds of deliveries during
an open session, and random damage to popcache.  Afterwards no message
is lost or duplicated, nothing is deleted that QUIT did not commit, and
the next session sees a consistent maildrop with unchanged UIDLs."""

import os
import poplib
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import popdtest as T  # noqa: E402

poplib._MAXLINE = 1 << 20
EX_TEMPFAIL = 75
ID_RE = re.compile(rb"X-Test-Id: (\d+)")


def mda(srv, user, data, timeout=60):
    r = T.run_mda(srv, user, data, args=[], timeout=timeout)
    return r.returncode, r.stderr


def message(i, extra=b""):
    return (b"From: test@example.org\nSubject: message %d\nX-Test-Id: %d\n"
            b"\nbody of %d\n%s" % (i, i, i, extra))


def scan(md):
    """{test id: [relative paths]} of every message file in new/, cur/."""
    out = {}
    for rel in T.message_files(md):
        with open(os.path.join(md, rel), "rb") as f:
            m = ID_RE.search(f.read(4096))
        key = int(m.group(1)) if m else None
        out.setdefault(key, []).append(rel)
    return out


def session_view(srv, user="alice", retr_ids=True):
    """[(uidl, size, test id)] as a fresh session serves it."""
    out = []
    for m in T.mailbox(srv, user, top=0 if retr_ids else None,
                       check_stat=True):
        tid = None
        if retr_ids:
            found = ID_RE.search(m.data)
            tid = int(found.group(1)) if found else None
        out.append((m.uidl, m.size, tid))
    return out


def reset_maildir(md):
    for sub in ("new", "cur", "tmp"):
        shutil.rmtree(os.path.join(md, sub))
    for n in os.listdir(md):
        if n.startswith("popcache"):
            os.unlink(os.path.join(md, n))


@T.test(timeout=600)
def kill_wrkrpop_during_update(srv):
    md = srv.maildir("alice")
    n = 2000
    delays = [0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15]
    hit_middle = 0
    for rnd, delay in enumerate(delays):
        reset_maildir(md)
        for sub in ("new", "cur", "tmp"):
            os.mkdir(os.path.join(md, sub), 0o700)
            if T.is_root:
                os.chown(os.path.join(md, sub), srv.uid("alice"),
                         srv.gid("alice"))
        for i in range(n):
            sub = "cur" if i % 2 else "new"
            srv.deliver("alice", message(i), subdir=sub,
                        name="17%08d.M%dP1.host%s" % (i, rnd,
                                                     ":2,S" if i % 2 else ""))
        before = session_view(srv)            # builds the popcache
        uidl_of = {tid: u for u, _, tid in before}
        num_of = {tid: k + 1 for k, (_, _, tid) in enumerate(before)}
        dele = set(i for i in range(n) if i % 3 != 0)
        retr = set(i for i in range(0, n, 2) if i not in dele)  # in new/

        r = srv.raw()
        r.line()
        r.cmd("USER alice")
        T.expect(r.cmd("PASS " + srv.password("alice"))[:3], b"+OK", "PASS")
        cmds = b"".join(b"DELE %d\r\n" % num_of[i] for i in sorted(dele))
        cmds += b"".join(b"RETR %d\r\n" % num_of[i] for i in sorted(retr))
        r.send(cmds)
        for i in sorted(dele):
            T.expect(r.line()[:3], b"+OK", "DELE")
        for i in sorted(retr):
            T.expect(r.line()[:3], b"+OK", "RETR")
            r.multiline()
        pids = srv.pids()["wrkrpop"]
        T.expect(len(pids), 1, "one wrkrpop")
        r.send(b"QUIT\r\n")
        time.sleep(delay)
        try:
            os.kill(pids[0], signal.SIGKILL)
        except ProcessLookupError:
            pass
        r.close()
        T.wait_for(lambda: not srv.pids()["wrkrpop"], 10, "wrkrpop gone")

        files = scan(md)
        gone = [i for i in dele if i not in files]
        if 0 < len(gone) < len(dele):
            hit_middle += 1
        for i in range(n):
            paths = files.get(i, [])
            T.expect_true(len(paths) <= 1, "round %d: message %d at most "
                          "once" % (rnd, i), paths)
            if i not in dele:
                T.expect(len(paths), 1, "round %d: kept message %d still "
                         "there" % (rnd, i))
        T.expect(files.get(None), None, "no stray files")
        after = session_view(srv)
        got = {tid: u for u, _, tid in after}
        T.expect(len(got), len(after), "each message once in the session")
        T.expect(set(got), set(i for i in range(n) if i in files),
                 "session lists exactly the files")
        for tid, u in got.items():
            T.expect(u, uidl_of[tid], "UIDL of message %d" % tid)
        # And once more, from the popcache written by that session.
        T.expect(session_view(srv), after, "round %d: next session" % rnd)
    print("# kill -9 landed in the middle of the deletions in %d of %d "
          "rounds" % (hit_middle, len(delays)))


@T.test(timeout=600, start=False, check_alive=False)
def kill_mda_mid_delivery(srv):
    md = srv.maildir("alice")
    rng = random.Random(1939)
    big = b"x" * 76 + b"\n"
    n = 40
    bodies = {}
    for i in range(n):
        data = message(i, big * rng.randrange(1, 30000))
        bodies[i] = data
        p = T.mda_popen(srv, "alice")
        when = rng.random() * 0.05
        # Feed it in pieces, so that the kill can land while reading,
        # writing, syncing, linking or appending to popcache.
        t = threading.Thread(target=_feed, args=(p, data))
        t.start()
        time.sleep(when)
        p.kill()
        t.join()
        p.wait()
        p.stderr.close()
        # The MTA retries what it was not told was delivered; a test
        # can see whether it landed in new/ (an MTA cannot: it would
        # deliver twice after a kill between link and exit).
        files = scan(md)
        if i not in files:
            rc, err = mda(srv, "alice", data)
            T.expect(rc, 0, "retry of %d (stderr %r)" % (i, err))
    files = scan(md)
    T.expect(files.get(None), None, "no stray or partial file in new/")
    for i in range(n):
        T.expect(len(files.get(i, [])), 1, "message %d once" % i)
        with open(os.path.join(md, files[i][0]), "rb") as f:
            T.expect(f.read() == bodies[i], True, "message %d complete" % i)
    srv.start()
    view = session_view(srv)
    T.expect(sorted(tid for _, _, tid in view), list(range(n)),
             "every message served once")
    T.expect(session_view(srv), view, "same view next time")


def _feed(p, data):
    try:
        for k in range(0, len(data), 65536):
            p.stdin.write(data[k:k + 65536])
        p.stdin.close()
    except (BrokenPipeError, OSError):
        pass


class Tmpfs:
    """A small tmpfs mounted over a user's maildir (root only)."""

    def __init__(self, srv, user, size):
        self.md = srv.maildir(user)
        self.mounted = False
        reset_maildir(self.md)
        uid, gid = srv.uid(user), srv.gid(user)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                            "size=%s,mode=0700,uid=%d,gid=%d" %
                            (size, uid, gid), "tmpfs", self.md],
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise T.Skip("cannot mount a tmpfs: %s"
                         % r.stderr.decode().strip())
        self.mounted = True
        for sub in ("tmp", "new", "cur"):
            os.mkdir(os.path.join(self.md, sub), 0o700)
            os.chown(os.path.join(self.md, sub), uid, gid)

    def fill(self):
        """Take all free space (as root: no reserve on tmpfs anyway)."""
        path = os.path.join(self.md, ".filler")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        return path

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.md])
            self.mounted = False


@T.test(timeout=300, start=False, check_alive=False)
def disk_full_during_delivery(srv):
    T.need_root()
    fs = Tmpfs(srv, "alice", "1m")
    try:
        md = fs.md
        rc, err = mda(srv, "alice", message(1, b"y" * (2 << 20)))
        T.expect(rc, EX_TEMPFAIL, "exit status when the message does not "
                 "fit")
        T.expect_true(b"No space left" in err, "says why", err)
        T.expect(os.listdir(os.path.join(md, "new")), [], "nothing in new/")
        T.expect(os.listdir(os.path.join(md, "tmp")), [], "tmp/ cleaned")
        rc, err = mda(srv, "alice", message(2))
        T.expect(rc, 0, "a small one fits (stderr %r)" % err)
        filler = fs.fill()
        for i in range(3):
            rc, err = mda(srv, "alice", message(10 + i, b"z" * 10000))
            T.expect(rc, EX_TEMPFAIL, "exit status on a full disk")
            T.expect(os.listdir(os.path.join(md, "tmp")), [],
                     "tmp/ cleaned")
        T.expect(len(os.listdir(os.path.join(md, "new"))), 1,
                 "only the message that fitted in new/")
        # A session on the full disk: popcache cannot be written, the
        # session works all the same.
        srv.start()
        view = session_view(srv)
        T.expect([tid for _, _, tid in view], [2], "served on a full disk")
        os.unlink(filler)
        rc, err = mda(srv, "alice", message(3))
        T.expect(rc, 0, "delivery once space is back (stderr %r)" % err)
        T.expect(sorted(tid for _, _, tid in session_view(srv)), [2, 3],
                 "both served")
    finally:
        if srv.running:
            srv.stop()
        fs.close()


@T.test(timeout=600)
def concurrent_deliveries_during_session(srv):
    md = srv.maildir("alice")
    for i in range(20):
        srv.deliver("alice", message(i))
    p = srv.pop("alice")
    T.expect(p.stat()[0], 20, "messages at login")
    n, width = 300, 40
    rcs = []
    t0 = time.monotonic()
    for start in range(0, n, width):
        procs = []
        for i in range(start, min(n, start + width)):
            q = T.mda_popen(srv, "alice")
            procs.append((i, q))
        for i, q in procs:
            q.stdin.write(message(1000 + i))
            q.stdin.close()
        for i, q in procs:
            q.wait(60)
            rcs.append((q.returncode, q.stderr.read()))
            q.stderr.close()
    took = time.monotonic() - t0
    bad = [x for x in rcs if x[0] != 0]
    T.expect(bad, [], "every mda exit status")
    T.expect(p.stat()[0], 20, "the open session keeps its view")
    T.expect(len(p.uidl()[1]), 20, "UIDL of the open session")
    p.quit()
    files = scan(md)
    T.expect(len(files), 320, "distinct messages in the maildir")
    T.expect_true(all(len(v) == 1 for v in files.values()),
                  "no message twice")
    view = session_view(srv)
    T.expect(sorted(tid for _, _, tid in view),
             list(range(20)) + list(range(1000, 1000 + n)),
             "all visible in the next session")
    T.expect(len(set(u for u, _, _ in view)), 320, "UIDLs unique")
    T.expect(session_view(srv), view, "and the same from popcache")
    print("# %d deliveries in %.2f s during an open session" % (n, took))


@T.test(timeout=600)
def random_popcache_damage(srv):
    md = srv.maildir("alice")
    for i in range(300):
        srv.deliver("alice", message(i), subdir="cur" if i % 2 else "new")
    want = session_view(srv)
    path = os.path.join(md, "popcache")
    with open(path, "rb") as f:
        good = f.read()
    rng = random.Random(2449)
    for k in range(30):
        data = bytearray(good)
        kind = k % 3
        if kind == 0:
            data = data[:rng.randrange(len(data))]
        elif kind == 1:
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            at = rng.randrange(len(data))
            data[at:at] = os.urandom(rng.randrange(1, 200))
        if bytes(data) == good:
            continue
        with open(path, "wb") as f:
            f.write(data)
        T.expect(session_view(srv), want, "after damage %d (kind %d)"
                 % (k, kind))


if __name__ == "__main__":
    T.main()
