"""popctl and the control socket (issue 21): the plumbing.  The control
process reads requests, the parent judges the peer's credentials and
answers; reload answers when it is over, with its first error; log
verbose and brief; the socket's stale and live checks; hostile clients
that must not touch POP3 service."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402


@T.test
def reload_answers_ok(srv):
    rc, out, err = srv.popctl("reload")
    T.expect((rc, out, err), (0, "reloaded %s\n" % srv.conffile, ""),
             "popctl reload")


@T.test
def non_root_outside_group_refused(srv):
    T.need_root()
    uid = T.mailuser(1).pw_uid
    rc, out, err = srv.popctl("show", "stats", uid=uid)
    T.expect((rc, out), (1, ""), "popctl show stats as uid %d" % uid)
    T.expect(err, "popctl: permission denied: uid %d may not show (root "
             "may; no control group is configured)\n" % uid, "refusal")


if __name__ == "__main__":
    T.main()
