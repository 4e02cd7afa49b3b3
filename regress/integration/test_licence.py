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

"""The licence (ISC, as OpenBSD's and OpenSMTPD's): LICENSE, the header
of every source file, debian/copyright and the OpenBSD port say the
same.  Starts no popd.

every_source_file_has_the_licence: each C source, header and grammar
(*.c, *.h, *.y), each manual page (man/*.[58]), each Python file and
each script (a #! line) opens with LICENSE's text as a comment (the
#! line first, as it must be), in the order OpenBSD's files have it:
the copyright line, then the permission notice and the disclaimer, word
for word.  Left out: the inputs of tests that are data, not programs
(regress/unit/conf/ golden files, fuzz corpora, and
regress/openbsd/selftest/, whose first line is the outcome check.py
expects).  The files are git's when the tree is a git checkout (a file
added but not committed counts), otherwise every file under the tree.

debian_copyright_and_port: debian/copyright is machine-readable
(DEP-5) and carries LICENSE's text as its License: ISC paragraph, and
the OpenBSD port says ISC above PERMIT_PACKAGE, as ports do."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

LEFT_OUT = ("regress/unit/conf/", "regress/openbsd/selftest/")


def licence():
    with open(os.path.join(T.REPO, "LICENSE")) as f:
        lines = f.read().rstrip("\n").split("\n")
    T.expect_true(re.match(r"^Copyright \(c\) \d{4}(-\d{4})? \S", lines[0]),
                  "LICENSE's first line is a copyright line", lines[0])
    T.expect_true("Permission to use, copy, modify, and distribute" in
                  "\n".join(lines), "LICENSE is the ISC licence")
    return lines


def tree_files():
    r = subprocess.run(["git", "-C", T.REPO, "ls-files", "--cached",
                        "--others", "--exclude-standard"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode == 0 and r.stdout:
        return [f for f in r.stdout.decode().split("\n") if f and
                os.path.isfile(os.path.join(T.REPO, f))]
    files = []
    for top, dirs, names in os.walk(T.REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and
                   d != "__pycache__"]
        for n in names:
            files.append(os.path.relpath(os.path.join(top, n), T.REPO))
    return files


def comment(kind, lines):
    """LICENSE as the comment that opens a file of kind."""
    if kind == "c":
        return "/*\n" + "".join(" * %s\n" % ln if ln else " *\n"
                                for ln in lines) + " */\n"
    pfx = '.\\"' if kind == "man" else "#"
    return "".join("%s %s\n" % (pfx, ln) if ln else pfx + "\n"
                   for ln in lines)


def kind_of(path, head):
    if path.startswith(LEFT_OUT) or "/corpus" in path:
        return None
    if re.search(r"\.[chy]$", path):
        return "c"
    if re.match(r"^man/[^/]+\.[0-9]$", path):
        return "man"
    if head.startswith(b"#!") or path.endswith((".py", ".sh")):
        return "script"
    return None


@T.test(start=False, users=[])
def every_source_file_has_the_licence(srv):
    lines = licence()
    checked, missing = 0, []
    for path in sorted(tree_files()):
        with open(os.path.join(T.REPO, path), "rb") as f:
            head = f.read(4096)
        kind = kind_of(path, head)
        if kind is None:
            continue
        text = head.decode(errors="replace")
        if kind == "script" and text.startswith("#!"):
            text = text[text.index("\n") + 1:]
        checked += 1
        if not text.startswith(comment(kind, lines)):
            missing.append(path)
    T.expect(missing, [], "files without LICENSE's text at their top")
    # The walk found the tree's sources, not a few stray files.
    T.expect_true(checked > 200, "sources checked: %d" % checked)
    print("#  %d files carry the licence" % checked)


@T.test(start=False, users=[])
def debian_copyright_and_port(srv):
    lines = licence()
    with open(os.path.join(T.REPO, "debian", "copyright")) as f:
        text = f.read()
    T.expect_true(text.startswith("Format: https://www.debian.org/doc/"
                                  "packaging-manuals/copyright-format/1.0/"),
                  "debian/copyright is DEP-5")
    m = re.search(r"^Files: \*\nCopyright: (.*)\nLicense: ISC\n", text,
                  re.M)
    T.expect_true(m is not None, "Files: * is ISC", text)
    T.expect(m.group(1), lines[0][len("Copyright (c) "):],
             "debian/copyright's holder is LICENSE's")
    m = re.search(r"^License: ISC\n((?: .*\n)+)", text, re.M)
    T.expect_true(m is not None, "a License: ISC paragraph", text)
    body = [ln[1:] if ln != " ." else ""
            for ln in m.group(1).rstrip("\n").split("\n")]
    T.expect(body, lines[2:], "debian/copyright's text is LICENSE's")
    with open(os.path.join(T.REPO, "openbsd", "mail", "popd",
                           "Makefile")) as f:
        T.expect_true(re.search(r"^# ISC\nPERMIT_PACKAGE =\s+Yes$",
                                f.read(), re.M),
                      "the port says ISC above PERMIT_PACKAGE")


if __name__ == "__main__":
    T.main()
