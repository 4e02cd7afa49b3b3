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

"""popd's OpenBSD side, checked on Linux (no OpenBSD machine is
reachable): regress/openbsd/check.py, one test per check; its
docstring says what each proves and what it does not.  Starts no popd;
installs Debian's bmake for the BSD make check."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "openbsd"))
import popdtest as T  # noqa: E402
import check as C  # noqa: E402


def register(name, fn, prog=None):
    def test(srv):
        if prog is not None:
            T.need_prog(prog)
        try:
            print("#  %s: %s" % (name, fn()))
        except C.Skip as e:
            raise T.Skip(str(e))
        except C.Fail as e:
            raise AssertionError(str(e))
    test.__name__ = "openbsd_" + name
    T.test(test, start=False, users=[], timeout=600)


for _name, _fn in C.CHECKS:
    register(_name, _fn, "bmake" if _name == "bsdmake" else None)

if __name__ == "__main__":
    T.main()
