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

"""popd's process map, read from the sources (`make topology`).

Prints, as text: every process popd can start, the user it runs as,
whether it chroots, when it starts and its ps(1) title; then every
channel, each direction's messages, and which of them pass a
descriptor.  doc/topology.txt is its output, checked in;
regress/integration/test_topology.py fails when the two differ, and
when README.md's diagram, process table or ps listing leaves out a
process of the map.

What it reads, and nothing else (a C parser it is not: each pattern
below fails loudly when the code stops matching it).  Each definition
is looked for in whichever source file holds it, so that files may
move; today:
  common/util.h        the daemon users (POPD_USER ..., Linux's names)
  common/proto.c       proc_str(): the processes' names
  common/proto.c,      the D(...) rows: sender, receivers, descriptor
    common/peers.c     (proto.c: the parent's channels; peers.c: the
                       channels the parent makes between two children)
  common/protodecl.h   the rows' one-letter names of the processes
  popd/startup.c       find_helpers(): every program the parent runs
  popd/popd.c          main's proc_start() calls: which start always,
                       which only when proc_wanted() says so
  popd/supervise.c     proc_kinds[] (KIND_* to PROC_*), keypop_spawn()
                       (one keypop per listener), the argv0 of each
                       child (its ps title's first word)
  */*.c                each program's struct proc_role or proc_setup:
                       .self, .user, .chroot, .title

When a process may start is one line of words per process (WHEN
below): the code decides (supervise.c proc_wanted), the words say it;
a program in find_helpers without a line, or a line that says
"always" for a process that main starts only when proc_wanted (or the
reverse), stops the generator.

    python3 regress/topology.py            # print the map
    python3 regress/topology.py -o FILE    # write it (make topology)
"""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# When each process starts, in words (the code decides: see above).
# "always" and "if" must agree with popd.c's main.
WHEN = {
    "parent": "popd itself",
    "listener": "always; one more while every one is full (8 at most)",
    "keypop": "always: one with each listener",
    "authpop": "always",
    "tablepop": "always: it serves usertab and every other table",
    "table programs": "if popd.conf names a database table",
    "routepop": "if popd.conf has a route (auth_http's router)",
    "httppop": "if a listener is an auth-http one",
    "lmtp": "if a listener is an lmtp one",
    "dlvrpop": "one per maildir in delivery over LMTP",
    "control": "if a control socket is bound: popd always binds one",
    "wrkrpop": "one per logged-in session",
    "authcheck": "a moment at start and reload: reads authtab",
    "keypop -c": "a moment at start, reload and renewal: tries a keypair",
    "confpop": "start and reload (-C): reads popd.conf; popd's -n, -m",
}
ALWAYS = ("always",)


class SourceError(Exception):
    pass


SKIP = ("regress", "openbsd", "debian", "doc", "man")
_files = None
USED = []


def read(path):
    if path not in USED:
        USED.append(path)
    with open(os.path.join(REPO, path)) as f:
        return f.read()


def sources():
    """Every .c, .h and .y of the tree but the tests' and the ports'."""
    global _files
    if _files is None:
        _files = []
        for top, dirs, names in os.walk(REPO):
            rel = os.path.relpath(top, REPO)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and
                             (rel != "." or d not in SKIP))
            for n in sorted(names):
                if n.endswith((".c", ".h", ".y")):
                    _files.append(os.path.normpath(os.path.join(rel, n)))
    return _files


def where(pattern, what, many=False):
    """The source file (or files) holding pattern: files move, the
    definitions they hold are looked for wherever they are."""
    rx = re.compile(pattern, re.S)
    found = []
    for f in sources():
        with open(os.path.join(REPO, f), errors="replace") as fh:
            if rx.search(fh.read()):
                found.append(f)
    if not found or (len(found) > 1 and not many):
        raise SourceError("%s: %s (regress/topology.py reads it; update "
                          "one or the other)" % (what, "in no source file"
                                                 if not found else
                                                 "in " + ", ".join(found)))
    return found if many else found[0]


def need(m, path, what):
    if not m:
        raise SourceError("%s: cannot find %s (regress/topology.py reads "
                          "it; update one or the other)" % (path, what))
    return m


def strip_comments(src):
    return re.sub(r"/\*.*?\*/", " ", src, flags=re.S)


def users():
    """POPD_*_USER: the last definition of each (Linux's)."""
    out = {}
    path = where(r'#define\s+POPD_USER\s+"', "POPD_USER")
    for m in re.finditer(r'#define\s+(POPD_\w*USER)\s+"([^"]+)"',
                         read(path)):
        out[m.group(1)] = m.group(2)
    return out


def proc_names():
    """PROC_* -> the name proc_str() gives it."""
    path = where(r"\nproc_str\(int proc\)\n\{", "proc_str()")
    body = re.search(r"\nproc_str\(int proc\)\n\{(.*?)\n\}", read(path),
                     re.S).group(1)
    names = dict(re.findall(r'case (PROC_\w+):\s*return "([^"]+)";', body))
    need(names, path, "proc_str()'s cases")
    return names


def letters():
    """protodecl.h's one-letter names of the PROC_* in the D() rows."""
    src = read(where(r"#define\s+D\(t, from, to", "the D() row macro"))
    return dict(re.findall(r"#define\s+([A-Z])\s+(PROC_\w+)", src))


def decls(path, names, abbrev):
    """Each D(type, from, to, size, fd, ...) row of path."""
    src = strip_comments(read(path))
    out = []
    for m in re.finditer(r"\bD\((MSG_\w+),\s*([^,]+),\s*([^,]+),"
                         r"[^;]*?(MSG_NOFD|MSG_FD)", src):
        t, frm, to, fd = m.groups()

        def procs(expr):
            r = []
            for a in expr.split("|"):
                a = a.strip()
                p = abbrev.get(a, a)
                if p not in names:
                    raise SourceError("%s: %s: unknown sender or receiver "
                                      "%r" % (path, t, a))
                r.append(names[p])
            return r
        out.append({"type": t[4:], "from": procs(frm)[0],
                    "to": procs(to), "fd": fd == "MSG_FD",
                    "file": os.path.basename(path)})
    need(out, path, "the D(...) rows")
    return out


def roles(names, du):
    """Each program's proc_role/proc_setup: name -> user, chroot, title.
    A proc_setup of its own is a second mode of a program: keypop's
    "check" (keypop -c), and authcheck's."""
    out = {}
    for path in where(r"struct proc_(role|setup)\s+\w+\s*=\s*\{",
                      "the programs' proc_role", many=True):
        used = False
        src = strip_comments(read(path))
        selves = re.findall(r"\.self\s*=\s*(PROC_\w+)", src)
        for m in re.finditer(r"struct (proc_role|proc_setup)\s+\w+\s*="
                             r"\s*\{(.*?)\n\};", src, re.S):
            body = m.group(2)
            self_ = re.search(r"\.self\s*=\s*(PROC_\w+)", body)
            user = need(re.search(r"\.user\s*=\s*(\w+)", body), path,
                        ".user of a proc setup").group(1)
            title = re.search(r'\.title\s*=\s*"([^"]*)"', body)
            chroot = re.search(r"\.chroot\s*=\s*(\d)", body)
            if self_ is not None:
                name = names[self_.group(1)]
            elif title and title.group(1) == "check" and \
                    selves == ["PROC_KEY"]:
                name = "keypop -c"
            elif title and title.group(1) == "authcheck":
                name = "authcheck"
            else:
                continue
            used = True
            if name in out:
                continue
            if user == "NULL":
                who = "the mail user (usertab's uid:gid)"
            else:
                who = need(du.get(user), path, user)
            out[name] = {"user": who,
                         "chroot": bool(chroot and
                                        chroot.group(1) == "1"),
                         "title": title.group(1) if title else "USER",
                         "file": path}
        if not used:
            USED.remove(path)
    return out


def helpers():
    path = where(r"\nfind_helpers\(", "find_helpers()")
    body = need(re.search(r"\nfind_helpers\(.*?\n\}", read(path), re.S),
                path, "find_helpers()")
    return re.findall(r'\{\s*"(\w+)",', body.group(0))


def starts(kinds):
    """main's proc_start() calls: name -> "always" or "if"."""
    path = where(r"proc_start\(KIND_AUTHPOP\) == NULL", "main's "
                 "proc_start() calls")
    src = strip_comments(read(path))
    out = {}
    for m in re.finditer(r"(proc_wanted\((KIND_\w+)\)\s*&&\s*)?"
                         r"proc_start\((KIND_\w+)\)\s*==\s*NULL", src):
        k = kinds[m.group(3)]
        if k not in out:
            out[k] = "if" if m.group(1) else "always"
    need(out, path, "main's proc_start() calls")
    return out


def kinds(names):
    """proc_kinds[]: KIND_* -> process name; and the "popd" argv0s."""
    sv = where(r"proc_kinds\[KIND_MAX\] = \{", "proc_kinds[]")
    src = strip_comments(read(sv))
    k = {a: names[b] for a, b in
         re.findall(r"\[(KIND_\w+)\]\s*=\s*\{\s*(PROC_\w+)", src)}
    need(k, sv, "proc_kinds[]")
    call = need(re.search(r"child_spawn\(proc_path\[id\],(.*?)\?\s*"
                          r'"popd"', src, re.S), sv,
                'proc_exec()\'s "popd" argv0')
    popd = {k[x] for x in re.findall(r"KIND_\w+", call.group(1))}
    need(re.search(r"id == KIND_LISTENER && keypop_spawn", src),
         sv, "keypop_spawn() with each listener")
    return k, popd


def build():
    names = proc_names()
    abbrev = letters()
    per = [decls(f, names, abbrev) for f in
           where(r"\n\tD\(MSG_", "the message declarations", many=True)]
    # The parent's channels first (proto.c), then the children's.
    per.sort(key=lambda r: not any("parent" in [d["from"]] + d["to"]
                                   for d in r))
    rows = [d for r in per for d in r]
    k, popdargv = kinds(names)
    r = roles(names, users())
    st = starts(k)
    progs = helpers()
    procs = ["parent"]
    for p in progs:
        procs.append(p)
        if p == "tablepop":
            procs.append("table programs")
        if p == "keypop":
            procs.append("keypop -c")
    r["parent"] = {"user": "root", "chroot": False, "title": "parent",
                   "file": "popd/popd.c"}
    r["table programs"] = {"user": r["tablepop"]["user"], "chroot": False,
                           "title": None, "file": "tablepop/backend.c"}
    r["confpop"] = {"user": "root, read-only; or who runs popd's -n",
                    "chroot": False, "title": None,
                    "file": "confpop/confpop.c"}
    for p in procs:
        if p not in WHEN:
            raise SourceError("regress/topology.py: WHEN has no line for "
                              "%s (find_helpers)" % p)
        if p not in r:
            raise SourceError("no proc_role or proc_setup names %s" % p)
        if p in st and (st[p] == "always") != WHEN[p].startswith(ALWAYS):
            raise SourceError("main starts %s %s, but "
                              "regress/topology.py's WHEN says %r" %
                              (p, "always" if st[p] == "always" else
                               "only if proc_wanted()", WHEN[p]))
    for p in set(WHEN) - set(procs):
        raise SourceError("regress/topology.py: WHEN names %s, which the "
                          "parent no longer runs" % p)
    for p in procs:
        t = r[p]["title"]
        if t is None:
            r[p]["ps"] = "(its own command line)"
        elif p == "parent" or p in popdargv:
            r[p]["ps"] = "popd: " + t
        else:
            r[p]["ps"] = "%s: %s" % (p.split()[0], t)
    return procs, r, rows


def render(procs, r, rows):
    out = []
    w = out.append
    w("popd's processes and channels, generated by regress/topology.py")
    w("(make topology); regress/integration/test_topology.py fails when")
    w("this file is not its output.  Do not edit: run make topology.")
    line = "Read from:"
    for f in sorted(USED):
        if len(line) + len(f) + 1 > 72:
            w(line)
            line = " "
        line += " " + f
    w(line + ".")
    w("")
    w("Processes (as: its user on Linux, + chroot to the empty directory)")
    w("")
    w("%-15s %-34s %s" % ("process", "runs as", "ps title"))
    for p in procs:
        who = r[p]["user"] + (", chroot" if r[p]["chroot"] else "")
        w("%-15s %-34s %s" % (p, who, r[p]["ps"]))
    w("")
    w("When each starts")
    w("")
    for p in procs:
        w("%-15s %s" % (p, WHEN[p]))
    w("")
    w("Channels: one SOCK_SEQPACKET socketpair each; the parent makes")
    w("them all.  Messages by sender, [fd]: the message passes a")
    w("descriptor.  proto.c declares the parent's, peers.c those between")
    w("two children (the parent passes them on and never reads them).")
    pairs = []
    for d in rows:
        for to in d["to"]:
            key = (d["file"], tuple(sorted((d["from"], to),
                                           key=procs.index)))
            if key not in pairs:
                pairs.append(key)
    for f, (a, b) in pairs:
        w("")
        w("%s <-> %s (%s)" % (a, b, f))
        for s, t in ((a, b), (b, a)):
            ms = ["%s%s" % (d["type"], " [fd]" if d["fd"] else "")
                  for d in rows if d["file"] == f and d["from"] == s and
                  t in d["to"]]
            if not ms:
                continue
            line = "  %s -> %s:" % (s, t)
            for m in ms:
                if len(line) + len(m) + 2 > 72:
                    w(line + ",")
                    line = "    " + m
                elif line.endswith(":"):
                    line += " " + m
                else:
                    line += ", " + m
            w(line)
    w("")
    w("Other descriptors, passed at exec: the listener's channel to its")
    w("keypop is fd 4 of both (fd 3: the parent's channel); authpop gets")
    w("authtab as its fd 4; wrkrpop and dlvrpop their configuration on")
    w("fd 4, then the session or the lmtp channel on fd 3; authcheck and")
    w("keypop -c read what the parent opened on fds 0 and 3 and answer on")
    w("a pipe (fd 1); a table program is a stream socket of tablepop's")
    w("(its stdin) and a pipe (its stdout and stderr).")
    return "\n".join(out) + "\n"


def main(argv):
    try:
        text = render(*build())
    except SourceError as e:
        print("topology: %s" % e, file=sys.stderr)
        return 1
    if len(argv) == 3 and argv[1] == "-o":
        with open(argv[2], "w") as f:
            f.write(text)
        return 0
    if len(argv) != 1:
        print("usage: topology.py [-o file]", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
