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

"""rolling.py -- a rolling restart of popd's container under pollers
that delete after download (issue 88): 0 messages downloaded twice, 0
lost.

make image's image, run as doc/container.md says (test_container.py's
run).  N pollers (-n, default 20), one maildrop each, loop: login, RETR
and DELE each message, QUIT, a pause of 0.1 s; a connection refused
while the container is away is tried again 0.2 s later.  A writer adds
a message to a random maildrop every 20 ms, each with a unique id, on
the volume from the host.  After --before seconds (default 5): docker
stop (SIGTERM: popd drains) then docker run of a new container on the
same volume; after --after seconds more the writer stops, the pollers
empty the maildrops and the ids are counted: each delivered id must
have been downloaded exactly once.  Also printed: how long the stop
took, and the pollers' wait from the stop to their first login on the
new container.  Needs root and Docker (test_container.py installs it).

    python3 regress/bench/rolling.py [-n 20] [--before 5] [--after 5]
"""

import argparse
import os
import poplib
import random
import shutil
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, ".."))
import test_container as C  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--before", type=float, default=5)
    ap.add_argument("--after", type=float, default=5)
    a = ap.parse_args()
    C.USERS = [("u%02d" % i, "pw%d" % i) for i in range(a.n)]
    lock = threading.Lock()
    delivered, downloaded = [], []
    port = {"pop": None}
    stop = threading.Event()
    writing = threading.Event()
    writing.set()
    errors = []
    gap = {}

    def writer():
        k = 0
        while writing.is_set():
            u = random.choice(C.USERS)[0]
            mid = "m%06d" % k
            C.deliver(u, b"Message-Id: <%s@bench>\r\n\r\nbody %s\r\n"
                      % (mid.encode(), mid.encode()))
            with lock:
                delivered.append(mid)
            k += 1
            time.sleep(0.02)

    def poller(user, pw):
        while not stop.is_set():
            try:
                p = poplib.POP3_SSL(C.T.HOST, port["pop"], timeout=20,
                                    context=C.T.client_ctx())
            except OSError:
                gap.setdefault(user, time.monotonic())
                time.sleep(0.2)
                continue
            try:
                p.user(user)
                p.pass_(pw)
                if user in gap and "stopped" in gap:
                    gap.setdefault("first_" + user, time.monotonic())
                got = []
                for i in range(1, p.stat()[0] + 1):
                    body = b"\n".join(p.retr(i)[1])
                    got.append(body.split(b"body ")[1].decode())
                    p.dele(i)
                p.quit()
                with lock:
                    downloaded.extend(got)
            except (OSError, poplib.error_proto) as e:
                with lock:
                    errors.append("%s: %s" % (user, e))
            time.sleep(0.1)

    C.site()
    name, port["pop"], _ = C.run("roll1")
    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=poller, args=u) for u in C.USERS]
    for t in threads:
        t.start()
    try:
        time.sleep(a.before)
        t0 = time.monotonic()
        gap["stopped"] = t0
        rc = C.stop(name)
        stop_s = time.monotonic() - t0
        C.remove(name)
        name, newport, _ = C.run("roll2")
        port["pop"] = newport
        up_s = time.monotonic() - t0
        time.sleep(a.after)
        writing.clear()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
                C.messages(u) for u, _ in C.USERS):
            time.sleep(0.5)
        time.sleep(1)
    finally:
        stop.set()
        writing.clear()
        for t in threads:
            t.join(60)
        C.remove(name)
        shutil.rmtree(C.state["dir"], ignore_errors=True)
    seen = {}
    for m in downloaded:
        seen[m] = seen.get(m, 0) + 1
    twice = sorted(m for m, n in seen.items() if n > 1)
    lost = sorted(set(delivered) - set(seen))
    waits = [gap["first_" + u] - t0 for u, _ in C.USERS
             if "first_" + u in gap]
    print("pollers %d, messages delivered %d, downloaded %d" % (
        a.n, len(delivered), len(downloaded)))
    print("docker stop: %.1f s, exit %d; new container healthy %.1f s "
          "after the stop" % (stop_s, rc, up_s))
    if waits:
        print("pollers' first login on the new container: %.1f to %.1f s "
              "after the stop" % (min(waits), max(waits)))
    print("downloaded twice: %d %s" % (len(twice), twice[:5]))
    print("lost: %d %s" % (len(lost), lost[:5]))
    print("session errors (cut or refused mid-session): %d %s" % (
        len(errors), errors[:3]))
    return 1 if twice or lost else 0


if __name__ == "__main__":
    sys.exit(main())
