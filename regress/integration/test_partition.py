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

"""A backend cut off by the network, not killed (issue 70): its
packets dropped by nftables in its own network namespace (ARP still
answers, as a host behind a router that lost its link: nginx's SYNs go
out and nothing comes back, no "connection refused", no "no route").

regress/fleetns.py's front (nginx's mail proxy, the router) and two
backends on local storage, a pool of both; nginx's mail block carries
the `timeout` that doc/fleet.md's nginx example gives, read from the
document itself.  A user's backend is cut: the login nginx sends there
before the router's checks see it fails within that timeout (nginx
gives up its connect; "-ERR internal server error"), the next one is
served by the other backend, the router shows the cut one down; when
the link is back, the user returns.  As doc/fleet.md's examples say,
the backends' authtabs are empty.  The times are printed.

About 20 s; the namespaces and processes are removed at the end, also
on failure."""

import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import fleetns  # noqa: E402

USERS = [("alice", "pw-a"), ("bob", "pw-b")]
PW = dict(USERS)
CHECKS = 3.0        # the router's checks: down at most 3 s after a cut
SLACK = 1.5         # a login's own time, and the test's


def nginx_timeout():
    """The `timeout` of doc/fleet.md's fleet nginx.conf, in seconds."""
    with open(os.path.join(T.REPO, "doc", "fleet.md")) as f:
        doc = f.read()
    m = re.search(r"^ +timeout +(\d+)s;", doc, re.M)
    if m is None:
        raise AssertionError("doc/fleet.md: no \"timeout Ns;\" in an "
                             "nginx example")
    return int(m.group(1))


CUT = """table inet popdcut {
    chain in { type filter hook input priority 0; policy drop;
        iif "lo" accept; }
    chain out { type filter hook output priority 0; policy drop;
        oif "lo" accept; }
}
"""


def cut(b, nft):
    subprocess.run(["ip", "netns", "exec", b.ns, nft, "-f", "-"],
                   input=CUT.encode(), check=True)


def heal(b, nft):
    subprocess.run(["ip", "netns", "exec", b.ns, nft, "delete", "table",
                    "inet", "popdcut"], check=True)


_n = [0]


def login(f, user, timeout=90):
    """PASS's answer through nginx, the time it took from USER's answer,
    and the client address (the backends' logs name it)."""
    _n[0] += 1
    src = "127.0.9.%d" % _n[0]
    with T.Raw(f.front, src=src, timeout=timeout) as r:
        T.expect(r.line()[:3], b"+OK", "nginx's greeting")
        T.expect(r.cmd("USER " + user)[:3], b"+OK", "USER to nginx")
        t0 = time.monotonic()
        try:
            rep = r.cmd("PASS " + PW[user])
        except (OSError, EOFError) as e:
            rep = ("(closed: %s)" % e).encode()
        took = time.monotonic() - t0
        if rep.startswith(b"+OK"):
            r.cmd("QUIT")
    return rep, took, src


def served_by(f, src):
    for b in f.backends:
        if re.search(r"session \d+: %s:\d+: login " % re.escape(src),
                     b.log()):
            return b
    return None


@T.test(start=False, users=USERS, timeout=240)
def partitioned_backend_fails_within_nginx_timeout(srv):
    limit = nginx_timeout()
    nft = T.apt_install("nftables", "nft")
    f = fleetns.Fleet(USERS, backends=2, storage="local",
                      nginx_lines="\n        timeout %ds;" % limit)
    try:
        # As doc/fleet.md's fleet: the backends, which take only the
        # router's tickets, have an empty authtab.
        f.start(srv)
        for b in f.backends:
            b.rewrite_authtab("")
            rc, out, err = b.popctl("reload")
            T.expect(rc, 0, "popctl reload on %s: %s%s" % (b.addr, out,
                                                           err))
        rep, took, src = login(f, "alice")
        T.expect(rep[:3], b"+OK", "alice through nginx")
        home = T.wait_for(lambda: served_by(f, src), timeout=5,
                          what="the backend that served alice")
        other = [b for b in f.backends if b is not home][0]
        down = []

        def watch():
            # When the router's checks see the cut (popctl show backends).
            while not down and time.monotonic() < t_cut + 30:
                if f.states().get(home.addr) == "down":
                    down.append(time.monotonic() - t_cut)
                time.sleep(0.1)

        cut(home, nft)
        t_cut = time.monotonic()
        th = threading.Thread(target=watch)
        th.start()
        # At once: the router has not seen the cut yet and sends alice
        # there; nginx's connect gets no answer.
        try:
            rep, took, _ = login(f, "alice")
        finally:
            th.join(35)
        print("# cut %s: the login nginx sent there answered in %.2f s "
              "(nginx timeout %d s): %r" % (home.addr, took, limit,
                                            rep[:60]))
        T.expect_true(not rep.startswith(b"+OK"), "alice's login to her "
                      "cut backend fails", rep)
        T.expect_true(took <= limit + SLACK, "that failure within "
                      "nginx's timeout %d s (+%.1f)" % (limit, SLACK),
                      "%.2f s" % took)
        T.expect_true(down and down[0] <= CHECKS + SLACK, "the router "
                      "marks %s down within %.1f s of the cut"
                      % (home.addr, CHECKS), down)
        print("# the router marked it down %.2f s after the cut" % down[0])
        rep, took, src = login(f, "alice")
        T.expect(rep[:3], b"+OK", "alice's next login")
        T.expect(T.wait_for(lambda: served_by(f, src), timeout=5,
                            what="the backend that served alice").addr,
                 other.addr, "alice's next login, served by")
        print("# next login: +OK in %.2f s on %s, %.2f s after the cut"
              % (took, other.addr, time.monotonic() - t_cut))
        heal(home, nft)
        t_heal = time.monotonic()
        T.wait_for(lambda: f.states().get(home.addr) == "up",
                   timeout=CHECKS + SLACK,
                   what="the router marking %s up again" % home.addr)
        print("# up again %.2f s after the link came back"
              % (time.monotonic() - t_heal))
        rep, took, src = login(f, "alice")
        T.expect(rep[:3], b"+OK", "alice's login after the heal")
        T.expect(T.wait_for(lambda: served_by(f, src), timeout=5,
                            what="the backend that served alice").addr,
                 home.addr, "alice back on her backend")
    finally:
        f.stop()


if __name__ == "__main__":
    T.main(users=USERS)
