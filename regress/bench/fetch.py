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

"""fetch.py -- how fast popd sends mail, and what it costs (a benchmark,
not a test).

One popd and, with dovecot-pop3d installed (or installable: apt-get, as
root), a private Dovecot serving a copy of the same maildir with the same
bcrypt hash and certificate.  For each set of messages and each transport
it logs in, then RETRs every message, pipelined (a window of commands in
flight) or one at a time, and prints:

  MB/s      octets received by the client per second of wall time
  msgs/s    messages per second
  cpu/MB    milliseconds of CPU the server spent per MB received: the sum
            of the on-CPU time (/proc/PID/schedstat) of every process of
            the server (popd: parent, listener, authpop, wrkrpop...;
            Dovecot: master, pop3-login, pop3, log, ...) over the transfer

and the ratio popd/Dovecot.  The sets:

  mixed   2,000 messages of 1 KB to 2 MB (most of them small, a few big,
          as in a real mailbox), 72-octet text lines, some base64
  small   100,000 messages of 300 to 3,000 octets (per-message cost)

The cipher's own cost (openssl speed, AES-256-GCM, 16 KB records) is
printed first: what the server spends above it is its own.  The client
runs on the same cores; it reads with 256 KB buffers.

    python3 regress/bench/fetch.py [-r RUNS] [--sets mixed,small] [-w N]
        [--no-dovecot] [--no-plain] [--single] [--slow] [--top N]
        [--junk N]

--junk N: popd merges a .Junk of N more small messages (popd.conf junk
Junk merge tag, issue 55) into the maildrop and RETRs them too, tagged;
Dovecot serves INBOX alone as before.

Modes: pipe (-w commands in flight, 256 by default: a client that keeps
the connection busy, as RFC 2449 PIPELINING allows), single (one command
at a time), slowrd (pipelined, but the client's receive buffer is 16 KB),
topN (TOP N of every message).

Targets (issue 22): cpu/MB <= 1.0 over TLS and <= 0.4 in plaintext;
MB/s and msgs/s >= 5x Dovecot over TLS.
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import popdtest as T  # noqa: E402

WINDOW = 256            # pipelined commands in flight (-w)
TERM = b"\r\n.\r\n"

# Dovecot as a server keeps it: indexes on disk, plaintext logins allowed
# on its port 110 (from loopback, as popd's trusted network).
DOVECOT_BENCH = """
mail_location = maildir:~
pop3_uidl_format = %f
disable_plaintext_auth = no
ssl = yes
service pop3-login {{
  inet_listener pop3 {{
    port = {plain}
  }}
}}
service anvil {{
  chroot =
}}
"""


# --- the messages -----------------------------------------------------------

WORDS = (b"the quick brown fox jumps over a lazy dog while mail servers "
         b"stream octets to clients that poll every few minutes and "
         b"leave copies on the server").split()


def text_lines(rng, size):
    out, n = [], 0
    while n < size:
        k = rng.randrange(6, 13)
        ln = b" ".join(rng.choice(WORDS) for _ in range(k))
        if rng.random() < 0.02:
            ln = b"." + ln          # dot-stuffed on the wire
        out.append(ln + b"\n")
        n += len(ln) + 1
    return b"".join(out)


def b64_lines(rng, size):
    line = bytes(rng.getrandbits(8) for _ in range(57))
    import base64
    enc = base64.b64encode(line) + b"\n"
    return enc * (size // len(enc) + 1)


def mixed_sizes(rng, n):
    """Most mail is small: log-uniform from 1 KB to 2 MB."""
    return [int(1024 * (2048 ** rng.random())) for _ in range(n)]


def small_sizes(rng, n):
    return [rng.randrange(300, 3000) for _ in range(n)]


def build(md, sizes, uid, gid, seed, t0=1700000000):
    rng = random.Random(seed)
    for sub in ("tmp", "new", "cur"):
        shutil.rmtree(os.path.join(md, sub), ignore_errors=True)
        os.makedirs(os.path.join(md, sub), 0o700)
    for x in os.listdir(md):
        if x.startswith("popcache") or x.startswith("dovecot"):
            p = os.path.join(md, x)
            shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
    # Bodies are made from a few pools, so building 100,000 is quick.
    pool = [text_lines(rng, 8192) for _ in range(8)]
    b64 = b64_lines(rng, 1 << 16)
    total = 0
    for i, size in enumerate(sizes):
        head = (b"From: someone@example.org\nTo: bench@example.org\n"
                b"Subject: message %d\nMessage-ID: <%d@bench>\n\n" % (i, i))
        parts, n = [head], len(head)
        while n < size:
            if size > 20000 and rng.random() < 0.5:
                chunk = b64[:min(len(b64), size - n)]
            else:
                chunk = pool[rng.randrange(len(pool))][:size - n]
            k = chunk.rfind(b"\n") + 1 or len(chunk)
            parts.append(chunk[:k])
            n += k
        body = b"".join(parts)
        if not body.endswith(b"\n"):
            body += b"\n"
        total += len(body) + body.count(b"\n")
        base = "%d.M%06dP%dR%08x.bench,S=%d" % (
            t0 + i, i, 1000 + i % 30000, rng.getrandbits(32),
            len(body))
        path = os.path.join(md, "cur", base + ":2,S")
        with open(path, "wb") as f:
            f.write(body)
        if T.is_root:
            os.chown(path, uid, gid)
    if T.is_root:
        for sub in ("", "tmp", "new", "cur"):
            os.chown(os.path.join(md, sub), uid, gid)
    return total


# --- CPU of a server ------------------------------------------------------------

def tree(pid):
    return [pid] + T.descendants(pid)


def role(pid):
    """popd's roles by title; Dovecot's by program name."""
    r = T.classify(pid)
    if r is not None:
        return r
    try:
        comm = T.proc_comm(pid)
    except OSError:
        return "?"
    return "other" if comm in ("popd", "dovecot") else comm


def cpu_ns(pids):
    """On-CPU nanoseconds of pids, in total and by role."""
    total, by = 0, {}
    for p in pids:
        try:
            with open("/proc/%d/schedstat" % p) as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError):
            continue
        total += ns
        r = role(p)
        by[r] = by.get(r, 0) + ns
    return total, by


# --- one fetch ----------------------------------------------------------------

def session(port, user, pw, tls, n, root, window, top=None, rcvbuf=None):
    """Log in, RETR (or TOP) 1..n with window commands in flight, QUIT.
    rcvbuf: a client that reads slowly (a small receive buffer).
    Returns (seconds, octets received, server CPU seconds, by role)."""
    c = T.Raw(port, tls=tls, timeout=300, rcvbuf=rcvbuf)
    c.line()
    c.login(user, pw)
    c.ok(b"STAT")
    sock = c.sock
    verb = b"RETR %d\r\n" if top is None else b"TOP %%d %d\r\n" % top
    buf = bytearray(1 << 18)
    view = memoryview(buf)
    pids = tree(root)
    cpu0, by0 = cpu_ns(pids)
    t0 = time.perf_counter()
    sent = done = 0
    got = 0
    tail = b""
    while done < n:
        if sent < n and sent - done < window:
            k = min(n, done + window)
            sock.sendall(b"".join(verb % i for i in range(sent + 1, k + 1)))
            sent = k
        r = sock.recv_into(view)
        if r == 0:
            raise EOFError("server closed after %d of %d" % (done, n))
        got += r
        chunk = tail + bytes(view[:r])
        done += chunk.count(TERM)
        tail = chunk[-4:]
    t1 = time.perf_counter()
    cpu1, by1 = cpu_ns(pids)
    c.ok(b"QUIT")
    c.close()
    by = {r: (by1[r] - by0.get(r, 0)) / 1e9 for r in by1}
    return t1 - t0, got, (cpu1 - cpu0) / 1e9, by


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def measure(port, user, pw, tls, n, root, runs, window, top=None,
            rcvbuf=None):
    session(port, user, pw, tls, n, root, window, top, rcvbuf)  # warm up
    res = [session(port, user, pw, tls, n, root, window, top, rcvbuf)
           for _ in range(runs)]
    t = median([r[0] for r in res])
    octets = res[0][1]
    cpu = median([r[2] for r in res])
    mb = octets / 1e6
    roles = sorted(set(k for r in res for k in r[3]))
    by = {k: median([r[3].get(k, 0) for r in res]) * 1e3 / mb
          for k in roles}
    return {"mbs": octets / t / 1e6, "msgs": n / t,
            "cpu": cpu * 1e3 / mb, "octets": octets, "by": by}


def where(d):
    """The CPU per MB of each process kind, biggest first."""
    return "  ".join("%s %.2f" % (k, v) for k, v in
                     sorted(d["by"].items(), key=lambda kv: -kv[1])
                     if v >= 0.005)


def cipher_cost():
    try:
        out = subprocess.run(["openssl", "speed", "-seconds", "1", "-bytes",
                              "16384", "-evp", "aes-256-gcm"],
                             capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"^AES-256-GCM\s+([\d.]+)k", out, re.M | re.I)
    if not m:
        return None
    mbs = float(m.group(1)) * 1000 / 1e6
    return 1000.0 / mbs


class Quiet(T.Server):
    """popd as it runs in production: without -v (no debug line per
    command)."""

    def argv(self):
        return [x for x in super().argv() if x != "-v"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-r", type=int, default=3, help="runs per figure")
    ap.add_argument("--sets", default="mixed,small")
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--no-plain", action="store_true")
    ap.add_argument("-w", type=int, default=WINDOW,
                    help="pipelined commands in flight")
    ap.add_argument("--single", action="store_true",
                    help="also one command at a time (no pipelining)")
    ap.add_argument("--slow", action="store_true",
                    help="also a client with a 16 KB receive buffer")
    ap.add_argument("--top", type=int, default=None,
                    help="also TOP n of every message")
    ap.add_argument("--junk", type=int, default=0,
                    help="messages in a merged .Junk (popd only)")
    a = ap.parse_args()

    plain = T.free_port()
    srv = Quiet(users=[("bench", "benchpw")], cost=10,
                extra_args=["-p", "%s:%d" % (T.HOST, plain),
                            "-t", "127.0.0.0/8"],
                conf_extra="junk Junk merge tag\n" if a.junk else "")
    dv = None
    try:
        srv.start()
        binary = None if a.no_dovecot else T.find_dovecot()
        if binary is not None:
            dplain = T.free_port()
            dv = T.Dovecot(binary, srv, own_homes=True,
                           extra=DOVECOT_BENCH.format(plain=dplain)).start()
            dv.plain = dplain
        elif not a.no_dovecot:
            print("# dovecot-pop3d not available: popd figures only")
        aes = cipher_cost()
        print("# %s, %d cores, median of %d runs after a warm-up, %d "
              "commands in flight" % (os.uname().release, os.cpu_count(),
                                      a.r, a.w))
        if aes is not None:
            print("# the cipher alone (openssl speed, AES-256-GCM, 16 KB):"
                  " %.2f ms CPU per MB" % aes)
        print("%-6s %-5s %-7s %-8s %9s %9s %8s   %s" % ("set", "conn",
              "mode", "server", "MB/s", "msgs/s", "cpu/MB",
              "cpu/MB by process"))
        md = srv.maildir("bench")
        for name in a.sets.split(","):
            rng = random.Random(name)
            sizes = (mixed_sizes(rng, 2000) if name == "mixed"
                     else small_sizes(rng, 100000))
            t0 = time.perf_counter()
            octets = build(md, sizes, srv.uid("bench"), srv.gid("bench"),
                           name)
            if a.junk:
                jmd = os.path.join(md, ".Junk")
                os.makedirs(jmd, 0o700, exist_ok=True)
                if T.is_root:
                    os.chown(jmd, srv.uid("bench"), srv.gid("bench"))
                octets += build(jmd, small_sizes(rng, a.junk),
                                srv.uid("bench"), srv.gid("bench"),
                                "junk", 1600000000) + 18 * a.junk
            print("# %s: %d messages, %.1f MB on the wire, built in %.1f s"
                  % (name, len(sizes), octets / 1e6,
                     time.perf_counter() - t0), flush=True)
            if dv is not None:
                dmd = os.path.join(dv.home, "bench")
                shutil.rmtree(dmd, ignore_errors=True)
                subprocess.run(["cp", "-a", md, dmd], check=True)
            modes = [("pipe", a.w, None, None)]
            if a.single:
                modes.append(("single", 1, None, None))
            if a.slow:
                modes.append(("slowrd", a.w, None, 16384))
            if a.top is not None:
                modes.append(("top%d" % a.top, a.w, a.top, None))
            conns = [("tls", True)] + ([] if a.no_plain else
                                       [("plain", False)])
            for cname, tls in conns:
                for mname, window, top, rcvbuf in modes:
                    p = measure(srv.port if tls else plain, "bench",
                                "benchpw", tls, len(sizes) + a.junk,
                                srv.proc.pid, a.r, window, top, rcvbuf)
                    print("%-6s %-5s %-7s %-8s %9.1f %9.0f %8.2f   %s" % (
                          name, cname, mname, "popd", p["mbs"], p["msgs"],
                          p["cpu"], where(p)), flush=True)
                    if dv is None:
                        continue
                    try:
                        d = measure(dv.port if tls else dv.plain, "bench",
                                    "benchpw", tls, len(sizes),
                                    dv.proc.pid, a.r, window, top, rcvbuf)
                    except Exception as e:
                        print("# dovecot failed: %s %s" % (
                              e, dv.log_tail(10)))
                        continue
                    print("%-6s %-5s %-7s %-8s %9.1f %9.0f %8.2f   %s" % (
                          name, cname, mname, "dovecot", d["mbs"],
                          d["msgs"], d["cpu"], where(d)))
                    print("%-6s %-5s %-7s %-8s %8.2fx %8.2fx %7.2fx" % (
                          name, cname, mname, "ratio",
                          p["mbs"] / d["mbs"], p["msgs"] / d["msgs"],
                          p["cpu"] / d["cpu"]), flush=True)
    except Exception:
        print("# popd log tail:\n" + srv.log_tail(20))
        raise
    finally:
        if dv is not None:
            dv.cleanup()
        srv.cleanup()


if __name__ == "__main__":
    main()
