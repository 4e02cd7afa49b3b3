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

"""codecount.py -- how many lines of C a reviewer reads to know what one
program can do: the root code (popd, the parent, with LMTP's
recipients and the health ports) and
the code that runs before login (the listener and authpop, each with
every option; on a line of its own httppop, which parses nginx's
auth_http requests and holds no password hash).
`make count` runs it on the programs just built.

How it is counted:
  - The programs are linked with --gc-sections (Makefile, Linux): a
    function is in a program only if something reachable from its main
    refers to it, by a call or through a pointer (a handler table, an
    event callback).
  - A function of ours (a file under the tree; libraries are not
    counted) is in the program if the program's code holds one of its
    lines: its line table (DWARF, `objdump --dwarf=decodedline`, the
    addresses in .text) says so, for a function called and for one the
    compiler inlined into its callers alike.
  - Each such function counts from the line of its name (KNF: the type
    is on the line before) to the line before the next function of its
    file, or the file's end: its body and the comment that introduces
    the next.
  - Each initialized table or variable of ours that the program holds
    (`nm` lists it with its line: a declaration table, a handler table,
    defaults) counts from its line to the end of its initializer,
    unless a function's span holds it already.
  - yacc's output (conf/parse.c) is not counted; the grammar it is
    made from, conf/parse.y, is counted whole with the program that
    links it (issue 71: a reviewer reads every line of it): the root
    program until it was given popd.conf parsed by confpop -C, which
    runs as root but read-only and is counted on a line of its own;
    what the grammar calls is counted where it lives.

Beside each figure it prints the count as it was first made (b168889,
when issue 53's targets were set): the functions that have a symbol
(`nm`), each over the same span, and nothing else: no function the
compiler inlined, no table.  The two tell a change that shrinks the
code from one that only changes what the compiler inlines.

Usage: codecount.py [-v] [TOP]   (-v: the lines of each file)
"""

import collections
import os
import re
import subprocess
import sys

ROOT = ("popd/popd",)
PRELOGIN = ("listener/listener", "authpop/authpop")
PARSER = ("confpop/confpop",)
AUTHHTTP = ("httppop/httppop",)
NOT_COUNTED = ("conf/parse.y", "conf/parse.c")
# Counted whole with the root program.
GRAMMAR = "conf/parse.y"

SYMBOL = re.compile(r"^[0-9a-f]+ ([tTwWdDrR]) (\S+)\t(.*):(\d+)$")
LOCATION = re.compile(r"^(\S+\.c):(\d+)")
DEFINITION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\(")


def kept(binary, top):
    """({file relative to top: set of line numbers}) of the functions
    with a symbol and of the initialized data of ours in binary (`nm
    -l`: the line each starts on)."""
    out = subprocess.run(["nm", "-l", "--defined-only", binary],
                         capture_output=True, text=True, check=True).stdout
    funcs = collections.defaultdict(set)
    data = collections.defaultdict(set)
    for line in out.splitlines():
        m = SYMBOL.match(line)
        if m is None:
            continue
        path = os.path.realpath(m.group(3))
        if path.startswith(top + os.sep):
            (data if m.group(1) in "dDrR" else funcs)[
                os.path.relpath(path, top)].add(int(m.group(4)))
    return funcs, data


def code_lines(binary, top):
    """{file relative to top: set of line numbers} that binary has code
    for: the line table's addresses inside .text (a function that
    --gc-sections dropped keeps its rows, at addresses outside it),
    each named by addr2line with its whole path."""
    text = None
    for line in subprocess.run(["objdump", "-h", binary],
                               capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.split()
        if len(f) > 3 and f[1] == ".text":
            text = (int(f[3], 16), int(f[3], 16) + int(f[2], 16))
    table = subprocess.run(["objdump", "--dwarf=decodedline", binary],
                           capture_output=True, text=True,
                           check=True).stdout
    addrs = set()
    for line in table.splitlines():
        f = line.split()
        if (text is not None and len(f) >= 3 and f[0].endswith(".c") and
                f[1].isdigit() and f[2].startswith("0x") and
                text[0] <= int(f[2], 16) < text[1]):
            addrs.add(f[2])
    named = subprocess.run(["addr2line", "-e", binary],
                           input="\n".join(sorted(addrs)),
                           capture_output=True, text=True,
                           check=True).stdout
    lines = collections.defaultdict(set)
    for line in named.splitlines():
        m = LOCATION.match(line)
        if m is None:
            continue
        path = os.path.realpath(m.group(1))
        if path.startswith(top + os.sep):
            lines[os.path.relpath(path, top)].add(int(m.group(2)))
    return lines


def initializer(lines, s):
    """The last line (1-based) of the definition that starts at line s:
    where its braces close and a ';' ends it."""
    depth = 0
    for n in range(s, len(lines) + 1):
        text = re.sub(r"/\*.*?\*/|\"(\\.|[^\"\\])*\"", "",
                      lines[n - 1]).rstrip()
        depth += text.count("{") - text.count("}")
        if depth <= 0 and text.endswith(";"):
            return n
    return s


def links_grammar(binary):
    """Whether binary holds the grammar (parse_config): the parent did
    until confpop -C parsed popd.conf for it."""
    out = subprocess.run(["nm", "--defined-only", binary],
                         capture_output=True, text=True, check=True).stdout
    return any(line.endswith(" parse_config") for line in out.splitlines())


def definitions(path):
    """The first line of every function definition in a C file, and its
    number of lines."""
    starts, n = [], 0
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            if DEFINITION.match(line):
                starts.append(n)
    return starts, n


def count(binary, top):
    """{file: lines} of binary's functions and tables, and the lines of
    its functions that have a symbol (the first count's way)."""
    per, first = {}, 0
    code = code_lines(binary, top)
    funcs, data = kept(binary, top)
    for rel in set(code) | set(data):
        if rel in NOT_COUNTED:
            continue
        path = os.path.join(top, rel)
        starts, n = definitions(path)
        with open(path, errors="replace") as f:
            text = f.read().split("\n")
        counted = set()
        held = code.get(rel, set())
        for i, s in enumerate(starts):
            end = starts[i + 1] - 1 if i + 1 < len(starts) else n
            if held.intersection(range(s, end + 1)):
                counted.update(range(s, end + 1))
            if s in funcs.get(rel, ()):
                first += end - s + 1
        for s in data.get(rel, ()):
            if s not in counted:
                counted.update(range(s, initializer(text, s) + 1))
        if counted:
            per[rel] = len(counted)
    return per, first


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    top = os.path.realpath(args[0] if args else
                           os.path.join(os.path.dirname(__file__), ".."))
    for label, progs in (("root", ROOT),
                         ("popd.conf's parser, read-only (confpop -C)",
                          PARSER), ("pre-login", PRELOGIN),
                         ("pre-login, auth_http", AUTHHTTP)):
        total, parts, firsts = 0, [], []
        for prog in progs:
            path = os.path.join(top, prog)
            if not os.path.exists(path):
                continue
            per, first = count(path, top)
            total += sum(per.values())
            parts.append("%s %d" % (prog, sum(per.values())))
            firsts.append("%s %d" % (prog, first))
            if verbose:
                for rel, n in sorted(per.items(), key=lambda kv: -kv[1]):
                    print("  %-28s %-28s %5d" % (prog, rel, n))
        if progs[0] in (ROOT[0], PARSER[0]) and links_grammar(
                os.path.join(top, progs[0])):
            with open(os.path.join(top, GRAMMAR), errors="replace") as f:
                n = len(f.read().splitlines())
            total += n
            parts.append("%s %d" % (GRAMMAR, n))
        print("%s: %d lines (%s)" % (label, total, ", ".join(parts)))
        print("  functions with a symbol only, as first counted: %s" %
              ", ".join(firsts))


if __name__ == "__main__":
    main()
