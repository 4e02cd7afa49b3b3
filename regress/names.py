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

"""names.py -- names true across the tree (STYLE.md): from `nm` of the
built objects, a global defined in two folders (two programs' names for
different things), or a static named like another file's global
function, which whoever follows the name (grep, a call graph) would
take for a call.  Prints each and exits 1 if there is any.

Usage: names.py [TOP]
"""

import collections
import os
import re
import subprocess
import sys

# Every program has its own.
EXEMPT = {"main"}
# What gcc appends to the copies of a function it makes.
CLONE = re.compile(r"\.(part|constprop|isra|cold|lto_priv)(\.\d+)*$")


def objects(top):
    """{source file: [objects]} of the tree's C files built (proto.c and
    peers.c once per program), regress/ left out."""
    files = subprocess.run(["git", "-C", top, "ls-files", "*.c", "*.y"],
                           capture_output=True, text=True,
                           check=True).stdout.split()
    out = collections.defaultdict(list)
    for src in files:
        if src.startswith("regress/"):
            continue
        base = src[:-2]
        for d, _, names in [(os.path.dirname(base), None,
                             os.listdir(os.path.join(top,
                                        os.path.dirname(base) or ".")))]:
            stem = os.path.basename(base)
            for n in names:
                if n == stem + ".o" or re.fullmatch(
                        re.escape(stem) + r"-[a-z]+\.o", n) and \
                        stem in ("proto", "peers"):
                    out[src].append(os.path.join(top, d, n))
    return out


def symbols(obj):
    """(kind, name) of what obj defines."""
    res = subprocess.run(["nm", "--defined-only", obj],
                         capture_output=True, text=True, check=True).stdout
    for line in res.splitlines():
        f = line.split()
        if len(f) == 3:
            yield f[1], f[2]


def main():
    top = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    globs = collections.defaultdict(set)    # name -> {source}
    funcs = collections.defaultdict(set)    # global function -> {source}
    statics = []                            # (source, name)
    for src, objs in sorted(objects(top).items()):
        seen = set()
        for obj in objs:
            for kind, name in symbols(obj):
                if (kind, name) in seen:
                    continue
                seen.add((kind, name))
                if kind in "TDBR" and name not in EXEMPT:
                    globs[name].add(src)
                    if kind == "T":
                        funcs[name].add(src)
                elif kind in "tdbr":
                    if kind == "t":
                        name = CLONE.sub("", name)
                    if "." not in name:
                        statics.append((src, name))
    bad = []
    for name, srcs in sorted(globs.items()):
        folders = sorted(set(s.split("/")[0] for s in srcs))
        if len(folders) > 1:
            bad.append("global %s: %s" % (name, ", ".join(sorted(srcs))))
    for src, name in sorted(set(statics)):
        others = sorted(funcs.get(name, set()) - {src})
        if others:
            bad.append("static %s in %s: a function of %s" %
                       (name, src, ", ".join(others)))
    for b in bad:
        print(b)
    if bad:
        print("names.py: %d names shared (STYLE.md: names are unique "
              "across the tree)" % len(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
