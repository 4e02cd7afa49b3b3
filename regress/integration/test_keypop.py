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
"""The key process (keypop.8): the pki keys live in keypop alone, which
signs each full handshake for its listener.

After 100 full handshakes with each kind of key, no byte sequence of the
private key (the EC scalar, an RSA prime) is in the memory of the
listener, authpop or a wrkrpop, and it is in keypop's (so that the test
can fail).  Every kind of signature works (TLS 1.3's PSS and ECDSA, TLS
1.2's PKCS#1 v1.5 with SHA-256, -384 and -512), with RSA 2048 and 4096,
P-256 and P-384 keys, several keypairs by SNI, and a reload with new
keys.  A listener that sends keypop garbage, an oversized request or a
request out of phase (a second before it read the answer to the first)
is ended, and popd serves on: the test takes the listener's end of the
channel with pidfd_getfd(2) as root, with the listener stopped."""

import hashlib
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

NEWKEY = {
    "p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    "p384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
    "rsa2048": ["-newkey", "rsa:2048"],
    "rsa4096": ["-newkey", "rsa:4096"],
    "rsapss": ["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
}


def make_key(cert, key, kind, cn="localhost"):
    subprocess.run(["openssl", "req", "-x509"] + NEWKEY[kind] +
                   ["-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + cn],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    os.chmod(key, 0o600)


def secret(key):
    """The bytes an attacker would want: the EC private scalar, or the
    first RSA prime, big-endian without leading zeros."""
    out = subprocess.run(["openssl", "pkey", "-in", key, "-text",
                          "-noout"], check=True, stdout=subprocess.PIPE,
                         ).stdout.decode()
    for label in ("priv:", "prime1:"):
        m = re.search(r"^%s\n((?:\s+[0-9a-f:]+\n)+)" % label, out, re.M)
        if m:
            b = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))
            return b.lstrip(b"\0")
    raise AssertionError("no secret in:\n" + out)


def memory_holds(pid, needles):
    """Whether any readable mapping of pid holds one of needles."""
    found = False
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            if "r" not in parts[1] or (len(parts) > 5 and
                                       parts[5] in ("[vvar]", "[vsyscall]")):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            # ASan's shadow (make sanitize): terabytes reserved, which
            # hold no byte of the program's own.
            if hi - lo > 64 << 30:
                continue
            if mapping_holds(mem, lo, hi, needles):
                found = True
                break
    return found


def mapping_holds(mem, lo, hi, needles):
    """Whether mem (a /proc/PID/mem) holds one of needles between lo and
    hi, read a piece at a time (a needle across two pieces is seen)."""
    step, keep, tail = 16 << 20, max(len(n) for n in needles), b""
    while lo < hi:
        try:
            mem.seek(lo)
            data = tail + mem.read(min(step, hi - lo))
        except (OSError, ValueError, OverflowError):
            return False
        if any(n in data for n in needles):
            return True
        tail = data[-keep:]
        lo += step
    return False


def use_key(srv, kind):
    make_key(srv.cert, srv.key, kind)


def full_handshake(port, ctx=None, name=None):
    """One TLS handshake (never resumed: no session is offered), the
    greeting read; returns the peer's certificate (DER)."""
    ctx = ctx or T.client_ctx()
    sock = socket.create_connection((T.HOST, port), timeout=20)
    with ctx.wrap_socket(sock, server_hostname=name) as s:
        T.expect_true(not s.session_reused, "a full handshake")
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(512)
            if not chunk:
                break
            buf += chunk
        T.expect(buf[:3], b"+OK", "the greeting after the handshake")
        der = s.getpeercert(binary_form=True)
        s.sendall(b"QUIT\r\n")
        return der


def key_stays_in_keypop(srv, kind):
    use_key(srv, kind)
    srv.start()
    s = secret(srv.key)
    needles = (s, s[::-1])
    for _ in range(100):
        full_handshake(srv.port)
    # A session logged in: its wrkrpop is searched too.
    p = srv.pop("alice")
    try:
        pids = srv.pids()
        for role in ("listener", "authpop"):
            T.expect_true(pids[role] is not None, "a running " + role)
        T.expect_true(pids["wrkrpop"], "a running wrkrpop")
        for role in ("listener", "authpop"):
            T.expect(memory_holds(pids[role], needles), False,
                     "the %s key's secret in the %s's memory" %
                     (kind, role))
        for w in pids["wrkrpop"]:
            T.expect(memory_holds(w, needles), False,
                     "the %s key's secret in a wrkrpop's memory" % kind)
        T.expect_true(pids.get("keypop") is not None, "a running keypop")
        T.expect(memory_holds(pids["keypop"], needles), True,
                 "the %s key's secret in keypop's memory" % kind)
    finally:
        p.quit()


@T.test(start=False)
def ec_key_only_in_keypop(srv):
    T.need_root()
    key_stays_in_keypop(srv, "p256")


@T.test(start=False)
def rsa_key_only_in_keypop(srv):
    T.need_root()
    key_stays_in_keypop(srv, "rsa2048")


def keycheck(args, cert, key):
    """keypop ARGS as the parent runs keypop -c: the certificate on
    fd 0, the key on fd 3; (status, stdout, stderr)."""
    keypop = os.path.join(T.REPO, "keypop", "keypop")
    r = subprocess.run(["sh", "-c", 'exec "$0" "$@" <"$CERT" 3<"$KEY"',
                        keypop] + args,
                       env=dict(os.environ, CERT=cert, KEY=key),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


@T.test(start=False)
def check_mode(srv):
    """keypop -c -P PROTOCOLS, the parent's check of a pair (there is
    no other program that holds a key): "ok NOTAFTER SERIAL SHA256
    SUBJECT" for a pair, serial and fingerprint as openssl prints them;
    "bad the key does not match the certificate" and status 0 for a key
    not the certificate's (an RSA certificate, a P-256 key); -c
    without -P, or -P without -c (the signing mode takes no -P), prints
    the usage and exits 1."""
    T.need_root()
    make_key(srv.cert, srv.key, "rsa2048", "check.example")
    other = os.path.join(srv.tmpdir, "other.key")
    make_key(os.path.join(srv.tmpdir, "other.crt"), other, "p256")
    end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                          srv.cert], check=True, stdout=subprocess.PIPE,
                         ).stdout.decode().strip().split("=", 1)[1]
    ident = subprocess.run(["openssl", "x509", "-noout", "-serial",
                            "-fingerprint", "-sha256", "-in", srv.cert],
                           check=True, stdout=subprocess.PIPE,
                           ).stdout.decode().splitlines()
    serial = ident[0].split("=", 1)[1]
    sha256 = ident[1].split("=", 1)[1].replace(":", "")
    want = "ok %d %s %s /CN=check.example\n" % (
        ssl.cert_time_to_seconds(end), serial, sha256)
    T.expect(keycheck(["-c", "-P", "TLSv1.3"], srv.cert, srv.key),
             (0, want, ""), "keypop -c on a pair")
    rc, out, err = keycheck(["-c", "-P", "TLSv1.3"], srv.cert, other)
    T.expect((rc, out), (0, "bad the key does not match the certificate\n"),
             "keypop -c on a key not the certificate's")
    for args in (["-c"], ["-P", "TLSv1.3"], ["-c", "-P", "TLSv1.3", "x"]):
        rc, out, err = keycheck(args, srv.cert, srv.key)
        T.expect((rc, out), (1, ""), "keypop %s" % " ".join(args))
        T.expect_true("keypop -c -P protocols" in err, "the usage", err)


def s_client(port, *args):
    """openssl s_client's output and status, QUIT sent."""
    openssl = T.need_prog("openssl")
    r = subprocess.run([openssl, "s_client", "-ign_eof", "-connect",
                        "127.0.0.1:%d" % port] + list(args),
                       input=b"QUIT\r\n", stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=20)
    return r.returncode, r.stdout.decode(errors="replace")


def signs(srv, kind, cases):
    """Each (TLS version flag, sigalgs) case makes a handshake that
    signs with the peer's key as named, and gets the greeting."""
    for version, sigalgs, want in cases:
        rc, out = s_client(srv.port, version, "-sigalgs", sigalgs)
        T.expect_true(rc == 0 and "+OK" in out and
                      re.search(r"Peer signature type: " + want, out,
                                re.M),
                      "%s %s %s: a %s signature and the greeting" %
                      (kind, version, sigalgs, want), out[-1500:])


@T.test(start=False, extra_args=["-T"])
def every_kind_of_signature(srv):
    use_key(srv, "rsa4096")
    srv.start()
    signs(srv, "rsa4096", [
        ("-tls1_3", "rsa_pss_rsae_sha256", "RSA-PSS"),
        ("-tls1_3", "rsa_pss_rsae_sha512", "RSA-PSS"),
        ("-tls1_2", "RSA+SHA256", "RSA$"),
        ("-tls1_2", "RSA+SHA384", "RSA$"),
        ("-tls1_2", "RSA+SHA512", "RSA$"),
    ])
    srv.stop()
    use_key(srv, "p384")
    srv.start()
    signs(srv, "p384", [
        ("-tls1_3", "ECDSA+SHA384", "ECDSA"),
        ("-tls1_2", "ECDSA+SHA256", "ECDSA"),
        ("-tls1_2", "ECDSA+SHA512", "ECDSA"),
    ])
    p = srv.pop("alice")
    p.quit()


@T.test(start=False)
def sni_keys_of_both_kinds(srv):
    names = {"pop.example.org": "p384", "mail.example.net": "rsa2048"}
    conf = ""
    for cn, kind in names.items():
        c = os.path.join(srv.tmpdir, cn + ".crt")
        k = os.path.join(srv.tmpdir, cn + ".key")
        make_key(c, k, kind, cn)
        conf += 'pki %s cert "%s"\npki %s key "%s"\n' % (cn, c, cn, k)
    srv.conf_extra = conf
    srv.start()
    for cn in list(names) + [None]:
        args = ["-servername", cn] if cn else []
        rc, out = s_client(srv.port, *args)
        m = re.search(r"subject=.*?CN\s*=\s*([^\s,/]+)", out)
        T.expect(m.group(1) if m else out, cn or "localhost",
                 "the certificate for SNI %s" % cn)
        T.expect_true(rc == 0 and "+OK" in out, "a greeting for %s" % cn,
                      out[-800:])


@T.test(start=False)
def reload_with_new_keys(srv):
    use_key(srv, "p256")
    srv.start()
    old = full_handshake(srv.port)
    before = srv.pids()["keypop"]
    use_key(srv, "rsa2048")
    srv.reload()
    T.wait_for(lambda: full_handshake(srv.port) != old, 10,
               "the new certificate after the reload")
    with open(srv.cert) as f:
        pem = f.read()
    T.expect(ssl.DER_cert_to_PEM_cert(full_handshake(srv.port)).strip(),
             pem.strip(), "the reloaded certificate served")
    s = secret(srv.key)
    T.wait_for(lambda: before not in T.descendants(srv.proc.pid), 10,
               "the old keypop gone with its drained listener")
    now = srv.pids()["keypop"]
    T.expect_true(now is not None and now != before, "a new keypop")
    T.expect(memory_holds(now, (s, s[::-1])), True,
             "the new key in the new keypop")
    p = srv.pop("alice")
    p.quit()


@T.test
def resumed_handshake_signs_nothing(srv):
    """With keypop stopped, a session resumed from its ticket still
    gets its greeting; a full handshake waits for keypop."""
    ctx = T.client_ctx(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
    sock = socket.create_connection((T.HOST, srv.port), timeout=20)
    with ctx.wrap_socket(sock) as s:
        s.recv(512)             # the ticket comes with the greeting
        session = s.session
    kp = srv.pids()["keypop"]
    os.kill(kp, signal.SIGSTOP)
    try:
        sock = socket.create_connection((T.HOST, srv.port), timeout=5)
        with ctx.wrap_socket(sock, session=session) as s:
            T.expect(s.recv(512)[:3], b"+OK", "a resumed session's greeting")
            T.expect(s.session_reused, True, "the session resumed")
        sock = socket.create_connection((T.HOST, srv.port), timeout=2)
        try:
            ctx.wrap_socket(sock).close()
            raise AssertionError("a full handshake done with keypop "
                                 "stopped")
        except socket.timeout:
            pass
        finally:
            sock.close()
    finally:
        os.kill(kp, signal.SIGCONT)
    T.expect(full_handshake(srv.port)[:1], b"0", "a full handshake again")


# --- the signature schemes a client may offer ----------------------------

# Every TLS signature scheme OpenSSL 3.0's client knows (ssl/t1_lib.c),
# and which of them each kind of key signs with, by TLS version: the
# rest must fail that one handshake, and nothing else.
SIGALGS = ("ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384",
           "ecdsa_secp521r1_sha512", "ecdsa_sha224", "ecdsa_sha1",
           "ed25519", "ed448", "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384",
           "rsa_pss_rsae_sha512", "rsa_pss_pss_sha256", "rsa_pss_pss_sha384",
           "rsa_pss_pss_sha512", "rsa_pkcs1_sha256", "rsa_pkcs1_sha384",
           "rsa_pkcs1_sha512", "rsa_pkcs1_sha224", "rsa_pkcs1_sha1",
           "dsa_sha256", "dsa_sha384", "dsa_sha512", "dsa_sha224", "dsa_sha1")
RSAE = {"rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"}
PKCS1 = {"rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512"}
PSSPSS = {"rsa_pss_pss_sha256", "rsa_pss_pss_sha384", "rsa_pss_pss_sha512"}
ECDSA = {"ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384",
         "ecdsa_secp521r1_sha512"}
SIGNS = {
    ("rsa2048", "1.3"): RSAE, ("rsa2048", "1.2"): RSAE | PKCS1,
    ("rsa4096", "1.3"): RSAE, ("rsa4096", "1.2"): RSAE | PKCS1,
    ("rsapss", "1.3"): PSSPSS, ("rsapss", "1.2"): PSSPSS,
    # TLS 1.3 ties an ECDSA scheme to its curve; 1.2 takes any digest.
    ("p256", "1.3"): {"ecdsa_secp256r1_sha256"}, ("p256", "1.2"): ECDSA,
    ("p384", "1.3"): {"ecdsa_secp384r1_sha384"}, ("p384", "1.2"): ECDSA,
}


def keypop_signatures(srv):
    """keypop's debug lines for the signatures it made."""
    return re.findall(r"keypop\[\d+\]: signed (\S+ \S+)", srv.log())


def offer_each_scheme(srv, kind, versions):
    """A handshake offering each scheme alone, for each TLS version:
    those kind signs with succeed, with keypop signing exactly the
    scheme the client was told, the others fail; a logged-in session
    goes on and no process of the listener's changes."""
    pids = srv.pids()
    p = srv.pop("alice")
    for version in versions:
        for alg in SIGALGS:
            before = len(keypop_signatures(srv))
            rc, out = s_client(srv.port, "-tls" + version.replace(".", "_"),
                               "-sigalgs", alg, "-no_ticket")
            if "Invalid signature algorithms" in out or \
                    "error setting signature algorithms" in out.lower():
                raise AssertionError("openssl does not know %s" % alg)
            ok = rc == 0 and "+OK" in out
            want = alg in SIGNS[(kind, version)]
            T.expect(ok, want, "%s TLS %s offering %s alone: served" %
                     (kind, version, alg))
            if ok:
                m = re.search(r"Peer signature type: (\S+)", out)
                d = re.search(r"Peer signing digest: (\S+)", out)
                T.wait_for(lambda: len(keypop_signatures(srv)) > before, 5,
                           "keypop's line for %s" % alg)
                said = "%s %s" % ("ecdsa" if "ECDSA" in m.group(1) else
                                  "pss" if "PSS" in m.group(1) else
                                  "pkcs1", d.group(1).lower())
                T.expect(keypop_signatures(srv)[before:], [said],
                         "%s TLS %s %s: what keypop signed" %
                         (kind, version, alg))
            T.expect(p.noop()[:3], b"+OK", "the logged-in session after "
                     "%s %s" % (version, alg))
    T.expect(p.stat()[0], 0, "the session's STAT")
    p.quit()
    now = srv.pids()
    for role in ("listener", "keypop", "authpop"):
        T.expect(now[role], pids[role], "the %s's pid" % role)
    T.expect_true("is compromised or broken" not in srv.log(),
                  "no process ended", srv.log()[-1500:])


def sigalg_matrix(srv, kinds, versions):
    for kind in kinds:
        use_key(srv, kind)
        srv.start()
        offer_each_scheme(srv, kind, versions)
        srv.stop()


@T.test(start=False, extra_args=["-T"], timeout=600)
def each_scheme_alone_tls12_and_13(srv):
    sigalg_matrix(srv, ("rsa2048", "rsa4096", "rsapss", "p256", "p384"),
                  ("1.2", "1.3"))


@T.test(start=False, timeout=600)
def each_scheme_alone_tls13_only(srv):
    sigalg_matrix(srv, ("rsa2048", "rsa4096", "rsapss", "p256", "p384"),
                  ("1.3",))
    # A TLS 1.2 client is refused at the version, before any signature.
    use_key(srv, "rsa2048")
    srv.start()
    rc, out = s_client(srv.port, "-tls1_2", "-sigalgs", "rsa_pkcs1_sha224")
    T.expect(rc != 0 and "+OK" not in out, True, "TLS 1.2 refused")
    p = srv.pop("alice")
    p.quit()


# --- what keypop signs for a listener taken over ---------------------------

def key_id_and_modulus(cert):
    """libtls's name of cert's RSA key (SHA-256 of its RSAPublicKey) and
    the modulus."""
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in",
                          cert], check=True, stdout=subprocess.PIPE).stdout
    der = subprocess.run(["openssl", "rsa", "-pubin", "-RSAPublicKey_out",
                          "-outform", "DER"], input=pub, check=True,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    mod = subprocess.run(["openssl", "x509", "-noout", "-modulus", "-in",
                          cert], check=True, stdout=subprocess.PIPE
                         ).stdout.decode().strip().split("=", 1)[1]
    return hashlib.sha256(der).digest(), int(mod, 16)


def ask_keypop(srv, requests):
    """Each (kind, bytes) asked of keypop on the stopped listener's
    channel, one at a time as a listener does; the signatures answered
    (b"" for a refusal)."""
    T.need_root()
    version, typ = T.msg_numbers("MSG_LISTENER_SIGN")
    kid, _ = key_id_and_modulus(srv.cert)
    lis = srv.pids()["listener"]
    answers = []
    os.kill(lis, signal.SIGSTOP)
    try:
        s = socket.socket(fileno=T.steal_fd(lis, 4))
        s.settimeout(10)
        try:
            for kind, data in requests:
                payload = kid + struct.pack("=II", kind, len(data)) + \
                    data + bytes(1024 - len(data))
                s.send(struct.pack("=IIII", typ, version, len(payload), 0) +
                       payload)
                r = s.recv(65536)
                T.expect_true(len(r) >= 20, "keypop's answer, not its end",
                              srv.log()[-1000:])
                n, = struct.unpack("=I", r[16:20])
                answers.append(r[20:20 + n])
        finally:
            s.close()
    finally:
        os.kill(lis, signal.SIGCONT)
    return answers


@T.test
def keypop_is_no_decryption_oracle(srv):
    """The audit's attack: a listener taken over blinds a recorded RSA
    key exchange until it ends in 0xbc and asks keypop to "sign" it with
    no padding.  keypop refuses, says why, and the listener serves on;
    a SHA-224 DigestInfo and an ECDSA digest for an RSA key are refused
    as well, each failing only its request."""
    make_key(srv.cert, srv.key, "rsa2048")
    srv.reload()
    T.wait_for(lambda: "RSA, 2048 bits" in srv.log(), 10, "the RSA key")
    # The old listener's keypop may outlive it a moment (slower under
    # the sanitizers): the pair that serves is the one left alone.
    T.wait_for(lambda: len(srv.listeners()) == 1 and
               len(T.role_pids(srv, "keypop")) == 1, 10,
               "one listener and one keypop")
    pids = srv.pids()
    _, n = key_id_and_modulus(srv.cert)
    e = 65537
    secret = int.from_bytes(os.urandom(200), "big")
    c = pow(secret, e, n)              # what a client once sent
    for _ in range(100000):
        r = int.from_bytes(os.urandom(255), "big") % n
        blinded = c * pow(r, e, n) % n
        if blinded & 0xff == 0xbc:
            break
    digestinfo224 = bytes.fromhex("302d300d06096086480165030402040500041c") \
        + bytes(28)
    got = ask_keypop(srv, [(2, blinded.to_bytes(256, "big"))])[0]
    if got:
        m = int.from_bytes(got, "big") * pow(r, -1, n) % n
        raise AssertionError("keypop decrypted for the listener: %s" %
                             ("CONFIRMED" if m == secret else
                              "a raw RSA operation"))
    got = ask_keypop(srv, [(1, digestinfo224), (3, bytes(32))])
    T.expect(got, [b"", b""], "keypop's answers")
    log = srv.log()
    for why in ("not a PSS encoding", "not a DigestInfo of SHA-256",
                "an ECDSA digest for an RSA key"):
        T.expect_true(re.search(r"keypop\[\d+\]: listener: refused to sign "
                                r"with key 0: %s" % why, log),
                      "keypop's refusal: " + why, log[-1500:])
    T.expect(full_handshake(srv.port)[:1], b"0", "a full handshake after")
    now = srv.pids()
    T.expect((now["listener"], now["keypop"]),
             (pids["listener"], pids["keypop"]), "listener and keypop")


@T.test
def pss_key_makes_no_pkcs1_signature(srv):
    """An id-RSASSA-PSS key signs PSS alone (the audit's G7): keypop
    refuses a PKCS#1 v1.5 request for it, says why, and the listener
    and keypop serve on."""
    make_key(srv.cert, srv.key, "rsapss")
    srv.reload()
    T.wait_for(lambda: len(srv.listeners()) == 1 and
               len(T.role_pids(srv, "keypop")) == 1 and
               "RSA, 2048 bits" in srv.log(), 10,
               "one listener and one keypop with the RSA-PSS key")
    pids = srv.pids()
    digestinfo256 = bytes.fromhex("3031300d060960864801650304020105000420") \
        + bytes(32)
    T.expect(ask_keypop(srv, [(1, digestinfo256)]), [b""],
             "keypop's answer to a PKCS#1 request for an RSA-PSS key")
    T.expect_true(re.search(r"keypop\[\d+\]: listener: refused to sign "
                            r"with key 0: a PKCS#1 signature by an RSA-PSS "
                            r"key", srv.log()), "keypop's refusal",
                  srv.log()[-1500:])
    T.expect(full_handshake(srv.port)[:1], b"0", "a full handshake after")
    now = srv.pids()
    T.expect((now["listener"], now["keypop"]),
             (pids["listener"], pids["keypop"]), "listener and keypop")


# --- a listener that talks garbage to keypop -----------------------------

def sign_request():
    """A well-formed MSG_LISTENER_SIGN: an ECDSA digest, any key."""
    version, typ = T.msg_numbers("MSG_LISTENER_SIGN")
    payload = bytes(32) + struct.pack("=II", 3, 32) + b"\x01" * 1024
    return struct.pack("=IIII", typ, version, len(payload), 0) + payload


def listener_says(srv, datagrams, why):
    """Send datagrams to keypop on the stopped listener's channel: keypop
    logs why and ends, the listener with it, and a new pair serves."""
    T.need_root()
    pids = srv.pids()
    lis, kp = pids["listener"], pids["keypop"]
    os.kill(lis, signal.SIGSTOP)
    try:
        fd = T.steal_fd(lis, 4)
        s = socket.socket(fileno=fd)
        try:
            for d in datagrams:
                s.send(d)
        finally:
            s.close()
        T.wait_for(lambda: kp not in T.descendants(srv.proc.pid), 10,
                   "keypop ended")
    finally:
        os.kill(lis, signal.SIGCONT)
    T.wait_for(lambda: lis not in T.descendants(srv.proc.pid), 10,
               "the listener ended")
    log = srv.log()
    T.expect_true(re.search(r"keypop.*%s.*listener is compromised or "
                            r"broken" % why, log), "keypop's log line: " +
                  why, log[-2000:])
    T.wait_for(lambda: srv.pids()["listener"] not in (None, lis), 10,
               "a new listener")
    p = srv.pop("alice")
    p.quit()
    T.expect_true(srv.alive(), "popd serves on")


@T.test(allow_crash=True)
def garbage_ends_the_listener(srv):
    listener_says(srv, [os.urandom(40)], "message version")


@T.test(allow_crash=True)
def oversized_ends_the_listener(srv):
    req = sign_request()
    hdr = struct.unpack("=IIII", req[:16])
    big = struct.pack("=IIII", hdr[0], hdr[1], len(req) - 16 + 100, 0) + \
        req[16:] + bytes(100)
    listener_says(srv, [big], "payload %d bytes" % (len(big) - 16))


@T.test(allow_crash=True)
def huge_ends_the_listener(srv):
    listener_says(srv, [bytes(60000)], "truncated message")


@T.test(allow_crash=True)
def out_of_phase_ends_the_listener(srv):
    listener_says(srv, [sign_request(), sign_request()], "out of phase")


if __name__ == "__main__":
    T.main()
