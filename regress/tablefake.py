#!/usr/bin/python3
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

"""tablefake -- a table program for popd's tests: it speaks OpenSMTPD's
table protocol (API version 2) on its standard input as opensmtpd-extras'
backends do, and answers from its configuration, a JSON file (argv[1])
read again at each lookup, in which each user may misbehave:

    {"users": {"NAME": {"hash": "$2b$04$...",
                        "userinfo": "UID:GID:/home",
                        "sleep": seconds to wait before answering,
                        "frame": the type of the answer's frame
                                 (PROC_TABLE_OK, 0, unless given),
                        "as": the name a credentials answer gives
                              (NAME unless given),
                        "error": true: an error (-1), nothing said on
                                 stderr},
     "flood": seconds to write lines on stderr as fast as it can, from
              its start (a program gone mad),
     "log": a file to which each lookup appends "SERVICE KEY\n"
            (SERVICE: credentials or userinfo), as it arrives}

A user missing from "users" is not found (0); a lookup of another
service is an error (-1).  Test programs copy it where the table user
may run it (regress/integration/test_tables.py)."""

import json
import os
import socket
import struct
import sys
import time

HDR = struct.Struct("=IHHII")           # type, len, flags, peerid, pid
PROC_TABLE_OK, PROC_TABLE_OPEN, PROC_TABLE_LOOKUP = 0, 2, 6
K_CREDENTIALS, K_USERINFO = 0x004, 0x010


class Stream:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def frame(self):
        """(type, data) of the next frame; exits at the end of the
        stream, as the real backends do."""
        while True:
            if len(self.buf) >= HDR.size:
                type, length = HDR.unpack_from(self.buf)[:2]
                if length < HDR.size:
                    sys.exit("tablefake: a frame of %d bytes" % length)
                if len(self.buf) >= length:
                    data = self.buf[HDR.size:length]
                    self.buf = self.buf[length:]
                    return type, data
            got = self.sock.recv(65536)
            if not got:
                sys.exit(0)
            self.buf += got

    def send(self, type, data=b""):
        self.sock.sendall(HDR.pack(type, HDR.size + len(data), 0, 0,
                                   os.getpid()) + data)


def answer(conf, service, key):
    """(frame type, data) of the answer to a lookup."""
    with open(conf) as f:
        config = json.load(f)
    users = config["users"]
    if config.get("log"):
        with open(config["log"], "a") as f:
            f.write("%s %s\n" % ({K_CREDENTIALS: "credentials",
                                  K_USERINFO: "userinfo"}.get(service, "?"),
                                 key))
    u = users.get(key)
    if u is None:
        return PROC_TABLE_OK, struct.pack("=i", 0)
    time.sleep(u.get("sleep", 0))
    if u.get("error"):
        return PROC_TABLE_OK, struct.pack("=i", -1)
    if service == K_CREDENTIALS:
        value = "%s:%s" % (u.get("as", key), u["hash"])
    elif service == K_USERINFO:
        value = u["userinfo"]
    else:
        return PROC_TABLE_OK, struct.pack("=i", -1)
    return (u.get("frame", PROC_TABLE_OK),
            struct.pack("=i", 1) + value.encode() + b"\0")


def flood(seconds):
    """Lines on stderr as fast as the pipe takes them, for seconds."""
    chunk = b"".join(b"tablefake: flood line %d\n" % i for i in range(2000))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            os.write(2, chunk)
        except OSError:
            return


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tablefake config.json")
    with open(sys.argv[1]) as f:
        seconds = json.load(f).get("flood", 0)
    if seconds:
        import threading
        threading.Thread(target=flood, args=(seconds,), daemon=True).start()
    s = Stream(socket.socket(fileno=0))
    while True:
        type, data = s.frame()
        if type == PROC_TABLE_OPEN:
            version = struct.unpack_from("=I", data)[0]
            if version != 2:
                sys.exit("tablefake: API version %d" % version)
            s.send(PROC_TABLE_OK)
        elif type == PROC_TABLE_LOOKUP:
            service = struct.unpack_from("=i", data)[0]
            key = data[12:-1].decode()
            s.send(*answer(sys.argv[1], service, key))
        else:
            sys.exit("tablefake: a frame of type %d" % type)


if __name__ == "__main__":
    main()
