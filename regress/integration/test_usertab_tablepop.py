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

"""Issue 53: file tables (usertab, quota users, junk users) are parsed and
served by tablepop, not by the root parent.  The popd binary holds none of
table.c's parsers, and a tablepop killed during a login gives the client
[SYS/TEMP] (never "no such user" or a wrong password) until it is back."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402
from test_tables import tablepops  # noqa: E402

TEMP = b"-ERR [SYS/TEMP] "


@T.test(start=False, check_alive=False)
def root_holds_no_table_parser(srv):
    """The root parent's binary links none of table.c's parsers."""
    syms = {ln.split()[-1] for ln in T.symbols(T.POPD, r"\S")}
    for name in ("table_scan", "table_parse_user", "table_parse_passwd",
                 "table_passwd_user", "table_load"):
        T.expect_true(name not in syms, "popd/popd has no %s" % name)


@T.test(start=False, allow_crash=True)
def tablepop_killed_during_login(srv):
    """A file usertab is served by tablepop: one killed -9 while a login
    asks it gives [SYS/TEMP]; a new one comes and logins go on."""
    srv.start()
    old = T.wait_for(lambda: tablepops(srv), 10,
                     "a tablepop for a file usertab")
    T.expect(len(old), 1, "one tablepop: %s" % old)
    # Stopped, it holds the parent's question; killed, it loses it.
    os.kill(old[0], signal.SIGSTOP)
    try:
        with srv.raw() as r:
            T.expect(r.line()[:3], b"+OK", "greeting")
            r.ok("USER alice")
            r.send("PASS " + srv.password("alice") + "\r\n")
            time.sleep(0.5)
            os.kill(old[0], signal.SIGKILL)
            resp = r.line()
    finally:
        try:
            os.kill(old[0], signal.SIGKILL)
        except ProcessLookupError:
            pass
    T.expect(resp[:len(TEMP)], TEMP, "a login whose tablepop died")
    T.wait_for(lambda: [p for p in tablepops(srv) if p not in old], 10,
               "a new tablepop")

    def logs_in():
        try:
            with srv.raw() as r:
                r.line()
                r.ok("USER alice")
                r.send("PASS " + srv.password("alice") + "\r\n")
                return r.line().startswith(b"+OK")
        except OSError:
            return False
    T.wait_for(logs_in, 10, "logins after tablepop was back",
               interval=0.2)


@T.test()
def reload_tablepop_ready_first(srv):
    """A reload's new tablepop takes over once it has loaded the file
    tables, the previous one answering until then (no lookup waits for
    a load), and only then does the reload's new authpop start: a
    reload holds two copies of one table at a time, never of both."""
    old = T.wait_for(lambda: tablepops(srv), 10, "a tablepop")
    mark = len(srv.log())
    T.expect(srv.popctl("reload")[0], 0, "popctl reload")
    log = srv.log()[mark:]
    new = [p for p in tablepops(srv) if p not in old]
    T.expect(len(new), 1, "one new tablepop: %s" % new)
    ready = log.find("tablepop %d ready: it takes over" % new[0])
    T.expect_true(ready != -1, "the new tablepop said it was ready")
    drained = log.find("previous tablepop (pid %d) drained" % old[0])
    T.expect_true(drained == -1 or drained > ready,
                  "the previous tablepop answered until then")
    started = log.find("started authpop")
    T.expect_true(started > ready, "the new authpop started after it:\n%s"
                  % log)
    with srv.raw() as r:
        r.line()
        T.expect(r.login("alice", srv.password("alice"))[:3], b"+OK",
                 "a login after the reload")


@T.test(start=False, allow_crash=True)
def reload_tablepop_dies_before_ready(srv):
    """A reload's new tablepop killed while it loads the file tables
    (usertab of 300,000 more lines, a few hundred ms): popctl reload
    exits 1 and says so, the reload changes nothing (the previous
    tablepop serves on, logins go on, no tablepop restarts), and the
    next reload takes."""
    srv.start()
    old = T.wait_for(lambda: tablepops(srv), 10, "a tablepop")
    u = srv.users["alice"]
    with open(srv.usertab) as f:
        text = f.read()
    srv.rewrite_usertab(text + "".join(
        "x%06d\t%d:%d:%s\n" % (i, u["uid"], u["gid"], u["home"])
        for i in range(300000)))
    mark = len(srv.log())
    res = {}
    th = threading.Thread(target=lambda: res.update(r=srv.popctl("reload")))
    th.start()
    killed = None
    deadline = time.monotonic() + 30
    while killed is None and time.monotonic() < deadline:
        new = [p for p in tablepops(srv) if p not in old]
        if new:
            os.kill(new[0], signal.SIGKILL)
            killed = new[0]
        time.sleep(0.002)
    th.join(60)
    T.expect_true(killed is not None, "a new tablepop seen")
    log = srv.log()[mark:]
    T.expect_true("tablepop %d ready" % killed not in log,
                  "killed before it was ready", log)
    rc, out, err = res["r"]
    T.expect((rc, "the new tablepop exited before it was ready" in err),
             (1, True), "popctl reload: %r %r" % (out, err))
    srv.wait_log("keeping the old tables and configuration")
    time.sleep(1.5)         # a restart would come after a second
    T.expect(tablepops(srv), old, "the previous tablepop serves on")
    with srv.raw() as r:
        r.line()
        T.expect(r.login("alice", srv.password("alice"))[:3], b"+OK",
                 "a login after the failed reload")
    T.expect(srv.popctl("reload")[0], 0, "the next reload")
    T.wait_for(lambda: old[0] not in tablepops(srv), 10,
               "the previous tablepop gone after the next reload")

if __name__ == "__main__":
    T.main()
