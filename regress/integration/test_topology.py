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

"""The process map (regress/topology.py, doc/topology.txt) against the
code and README.md.  Part of make check.

map_is_up_to_date: doc/topology.txt is what regress/topology.py reads
from the message declarations (common/proto.c, common/peers.c) and
the parent's code today: a message, a process or a user changed
without `make topology` fails here.  Starts no popd.

readme_names_every_process: README.md's "The processes" names every
process of the map in its diagram, gives each one line of its process
table, and shows each one that stays up in its ps listing, under the
title the map gives it.  Starts no popd.

ps_names_every_process (root): popd started with every option that
starts a process (an auth-http listener and a route with a health
port: routepop; an lmtp listener; a control socket; a database table
run by regress/tablefake.py), a POP3 session open and an LMTP delivery
made (a wrkrpop, a dlvrpop): every child of the parent is a process of
the map under the map's title and user, README's ps listing has a line
for each, and every process of the map that stays up was seen.  About
5 seconds."""

import os
import pwd
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
import topology  # noqa: E402
import test_tables as TT  # noqa: E402

# The processes that live for a moment: not in a ps listing.
MOMENTARY = ("authcheck", "keypop -c", "confpop")


def readme_section():
    with open(os.path.join(T.REPO, "README.md")) as f:
        text = f.read()
    m = re.search(r"\n## The processes\n(.*?)\n## ", text, re.S)
    T.expect_true(m, "README.md has a section \"The processes\"")
    return m.group(1)


def blocks(section):
    """The indented blocks (diagram, ps listing) of section, in order."""
    out, cur = [], []
    for ln in section.split("\n"):
        if ln.startswith("    "):
            cur.append(ln[4:])
        elif ln.strip() == "" and cur:
            cur.append("")
        elif cur:
            out.append("\n".join(cur).strip("\n"))
            cur = []
    if cur:
        out.append("\n".join(cur).strip("\n"))
    return out


def listing(section):
    """README's ps listing: [(user, title)]."""
    bl = [b for b in blocks(section) if b.startswith("USER ")]
    T.expect(len(bl), 1, "one ps listing (a block opening with USER)")
    out = []
    for ln in bl[0].split("\n")[1:]:
        f = ln.split(None, 3)
        if len(f) == 4:
            out.append((f[0], f[3]))
    return out


def title_re(title):
    """The map's ps title as a pattern (USER: a mail user's name)."""
    return re.compile("^" + re.escape(title).replace("USER", r"\S+") + "$")


def daemon_user(user):
    return user.split(",")[0] if user.startswith(("_", "root")) else None


@T.test(start=False, users=[])
def map_is_up_to_date(srv):
    procs, roles, rows = topology.build()
    text = topology.render(procs, roles, rows)
    with open(os.path.join(T.REPO, "doc", "topology.txt")) as f:
        old = f.read()
    if old != text:
        a, b = old.split("\n"), text.split("\n")
        first = next((i for i in range(min(len(a), len(b)))
                      if a[i] != b[i]), min(len(a), len(b)))
        T.expect(a[first:first + 3], b[first:first + 3],
                 "doc/topology.txt at line %d against the sources: run "
                 "make topology and commit it" % (first + 1))
    T.expect_true(len(procs) >= 14 and len(rows) >= 90,
                  "the map has every process and message",
                  (len(procs), len(rows)))


@T.test(start=False, users=[])
def readme_names_every_process(srv):
    procs, roles, rows = topology.build()
    sec = readme_section()
    diagram = blocks(sec)[0]
    rows_ = {}
    for ln in sec.split("\n"):
        m = re.match(r"^\| ([^|]+?) +\|", ln)
        if m and not set(m.group(1)) <= set("-") and m.group(1) != \
                "process":
            rows_.setdefault(m.group(1).strip("`"), []).append(ln)
    ps = listing(sec)
    for p in procs:
        T.expect_true(re.search(r"(^|[^\w-])%s([^\w-]|$)" % re.escape(p),
                                diagram, re.M),
                      "README's diagram names %s" % p)
        T.expect(len(rows_.get(p, [])), 1,
                 "README's process table has one line for %s" % p)
        if p in MOMENTARY:
            continue
        r = roles[p]
        if r["title"] is None:
            want = [t for u, t in ps if t.startswith("table-")]
        else:
            want = [t for u, t in ps if title_re(r["ps"]).match(t)]
        T.expect_true(want, "README's ps listing shows %s (%s)" %
                      (p, r["ps"]))
        du = daemon_user(r["user"])
        if du is not None:
            T.expect_true([u for u, t in ps if u == du and t in want],
                          "README's ps listing shows %s as %s" % (p, du))


def children(srv):
    """[(user, title)] of the parent's descendants, the parent first."""
    out = []
    for pid in [srv.proc.pid] + sorted(T.descendants(srv.proc.pid)):
        try:
            with open("/proc/%d/status" % pid) as f:
                uid = int(re.search(r"\nUid:\s+\d+\s+(\d+)",
                                    f.read()).group(1))
        except (OSError, AttributeError):
            continue
        title = T.proc_cmdline(pid)
        if title:
            out.append((pwd.getpwuid(uid).pw_name, title))
    return out


@T.test(start=False)
def ps_names_every_process(srv):
    T.need_root()
    procs, roles, rows = topology.build()
    TT.fake_tables(srv, {u: {"hash": TT.hash_of(srv, u),
                             "userinfo": TT.userinfo(srv, u)}
                         for u in ("alice", "bob")})
    routes = os.path.join(srv.tmpdir, "routes")
    with open(routes, "w") as f:
        f.write("alice\t127.0.0.1\n")
    sock = os.path.join(srv.tmpdir, "lmtp.sock")
    T.daemon_user("popdnginx")
    srv.conf_extra = ('listen on socket "%s" auth-http group popdnginx '
                      'user popdnginx\nroute "%s" pop3 110 health %d\n'
                      'listen on socket "%s" lmtp\n' %
                      (os.path.join(srv.tmpdir, "auth.sock"), routes,
                       T.free_port(), sock))
    srv.start()
    T.wait_for(lambda: os.path.exists(sock), what="the lmtp socket")
    got = TT.lmtp_send(sock, ["bob"])
    T.expect_true(got and all(r.startswith("250") for r in got),
                  "the LMTP delivery to bob", got)
    p = srv.pop("alice")
    try:
        seen = T.wait_for(lambda: (lambda c: len(c) >= 11 and c)(
            children(srv)), 10, "every process up")
    finally:
        p.quit()
    ps = listing(readme_section())
    up = set()
    for user, title in seen:
        if "tablefake.py" in title:
            up.add("table programs")
            T.expect_true([u for u, t in ps if u == user and
                           t.startswith("table-")],
                          "README's ps listing shows a table program as %s"
                          % user)
            continue
        match = [q for q in procs if roles[q]["title"] is not None and
                 title_re(roles[q]["ps"]).match(title)]
        T.expect_true(match, "%s (%s) is a process of the map" %
                      (title, user))
        q = match[0]
        up.add(q)
        du = daemon_user(roles[q]["user"])
        if du is not None:
            T.expect(user, du, "%s runs as the map says" % title)
        T.expect_true([t for u, t in ps if title_re(roles[q]["ps"]).match(t)
                       and (du is None or u == du)],
                      "README's ps listing shows %s" % title)
    T.expect(sorted(set(procs) - set(MOMENTARY) - up), [],
             "processes of the map not seen running")


if __name__ == "__main__":
    T.main()
