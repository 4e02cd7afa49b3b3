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

"""Certificates followed on disk (issue 54, popd.8 CERTIFICATES): a pair
renewed in place, by certbot's symbolic links of live/ moved to new
files of archive/, by a key that is not the certificate's and by
garbage, while a client logs in again and again and a session stays
logged in; the next handshake shows the right certificate within the
documented time, and no login fails; a refused renewal is shown by
show certificates (since when, why) and by a metric until a pair
serves again, each certificate named by its serial number and SHA-256
fingerprint as openssl prints them.  A listener that dies is
restarted with the pair the parent checked, whatever the files hold
then.  A certificate that expires within 14 days: the log's warning,
popd -n's, show certificates and the expiry metric, read by promtool."""

import calendar
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import popdtest as T  # noqa: E402

# popd.8: a new pair is served at most 10 s after its last write (a look
# every 5 s, and two that agree); a second for the new listener.
WINDOW = 10 + 2
MSG = b"Subject: in flight\r\n\r\nstill here\r\n"


def served(srv):
    """The SHA-256 of the certificate the next handshake shows."""
    with socket.create_connection((T.HOST, srv.port), timeout=10) as s:
        with T.client_ctx().wrap_socket(s) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).digest()


def on_disk(path):
    """The SHA-256 of the (first) certificate of a PEM file."""
    with open(path) as f:
        text = f.read()
    first = text[:text.index("-----END CERTIFICATE-----") + 25] + "\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).digest()


def new_pair(srv, name, cn, days=90):
    """A pair made aside, in srv's directory: (cert, key) paths."""
    cert = os.path.join(srv.tmpdir, name + ".crt")
    key = os.path.join(srv.tmpdir, name + ".key")
    T.make_cert(cert, key, cn=cn, days=days)
    return cert, key


def write_in_place(path, src):
    """What acme-client and scripts that rewrite a file do: the same
    inode, truncated and written."""
    with open(src, "rb") as f:
        data = f.read()
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


def wait_served(srv, want, since, what):
    """Wait until the handshake shows want, at most WINDOW s after
    since; returns the seconds it took."""
    T.wait_for(lambda: served(srv) == want, timeout=WINDOW + since -
               time.monotonic(), what=what, interval=0.2)
    return time.monotonic() - since


class Logins:
    """bob logs in, STATs and QUITs over and over in a thread of its
    own, each time with a new TLS handshake; every failure is kept."""

    def __init__(self, srv):
        self.srv = srv
        self.ok = 0
        self.failed = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                p = self.srv.pop("bob", timeout=10)
                p.stat()
                p.quit()
                self.ok += 1
            except Exception as e:      # noqa: BLE001: each one kept
                self.failed.append(repr(e))
            time.sleep(0.02)

    def end(self):
        self.stop.set()
        self.thread.join(30)
        T.expect(self.failed, [], "logins that failed (of %d)" %
                 (self.ok + len(self.failed)))
        T.expect_true(self.ok > 20, "logins throughout", self.ok)


def in_flight(srv):
    """alice logged in before the change: a session that must go on."""
    srv.deliver("alice", MSG)
    p = srv.pop("alice")
    T.expect(p.stat()[0], 1, "STAT before the change")
    return p


def still_going(p):
    resp, lines, octets = p.retr(1)
    T.expect(b"\r\n".join(lines) + b"\r\n", MSG, "RETR after the change")
    T.expect(p.quit()[:3], b"+OK", "QUIT after the change")


TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def ident(path):
    """(serial, SHA-256 fingerprint) of a PEM file's certificate, as
    openssl x509 -serial -fingerprint -sha256 prints them."""
    out = subprocess.run(["openssl", "x509", "-noout", "-serial",
                          "-fingerprint", "-sha256", "-in", path],
                         check=True, stdout=subprocess.PIPE,
                         timeout=30).stdout.decode().splitlines()
    return out[0].split("=", 1)[1], out[1].split("=", 1)[1]


def pki_state(srv, serving):
    """What an admin sees of pki test: show certificates names the
    certificate serving (ident's pair) by its serial and fingerprint;
    returns its renewal line (None: there is none) and the refusal
    metric."""
    rc, out, err = srv.popctl("show", "certificates")
    T.expect((rc, err), (0, ""), "show certificates")
    T.expect_true(re.search(r"^serial %s\nsha256 %s\n" % (
        re.escape(serving[0]), re.escape(serving[1])), out, re.M),
        "the serial and fingerprint of the certificate serving %r" %
        (serving,), out)
    T.expect_true(re.search(r"^serving since %s$" % TIME, out, re.M),
                  "since when it serves", out)
    renewal = [ln for ln in out.splitlines() if ln.startswith("renewal")]
    rc, met, err = srv.popctl("show", "metrics")
    m = re.search(r'^popd_tls_renewal_refused_time_seconds\{name="test"\} '
                  r'(\d+)$', met, re.M)
    T.expect_true(m, "the refusal metric", met)
    return (renewal[0] if renewal else None), int(m.group(1))


def expect_refused(srv, serving, why):
    """The old certificate serves, and popctl says that a renewal is
    refused, since when and why (a regular expression); the metric is
    that time.  Returns the time."""
    line, metric = pki_state(srv, serving)
    m = re.fullmatch(r"renewal refused since (%s): (.*)" % TIME, line or "")
    T.expect_true(m and re.fullmatch(why, m.group(2)),
                  "the renewal refused, and why: %s" % why,
                  line or "no renewal line")
    since = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))
    T.expect(metric, since, "the metric: when the renewal was refused")
    T.expect_true(abs(since - time.time()) < 60, "refused just now",
                  m.group(1))
    T.expect_true(m.group(2) in refused_lines(srv)[-1],
                  "the reason the log gave", refused_lines(srv))
    return since


def expect_renewed(srv, path):
    """path's certificate serves, and no renewal is refused: no renewal
    line, the metric 0."""
    T.expect(pki_state(srv, ident(path)), (None, 0),
             "the renewal line and metric once %s serves" % path)


def loaded_lines(srv):
    return [ln for ln in srv.log().splitlines()
            if "pki test: new certificate" in ln]


def refused_lines(srv):
    return [ln for ln in srv.log().splitlines()
            if re.search(r"pki test: .* changed, not loaded", ln)]


@T.test
def renewed_in_place(srv):
    before = served(srv)
    T.expect(before, on_disk(srv.cert), "the certificate served at start")
    cert, key = new_pair(srv, "renewed", "renewed.example")
    p = in_flight(srv)
    logins = Logins(srv)
    time.sleep(1)
    since = time.monotonic()
    write_in_place(srv.cert, cert)
    write_in_place(srv.key, key)
    took = wait_served(srv, on_disk(cert), since, "the renewed certificate")
    time.sleep(1)
    logins.end()
    still_going(p)
    lines = loaded_lines(srv)
    T.expect(len(lines), 1, "log lines of the new certificate")
    T.expect_true(re.search(r"pki test: new certificate %s loaded, not "
                            r"after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
                            % re.escape(srv.cert), lines[0]),
                  "the log line names the pki, file and not-after", lines)
    print("    served %.1f s after the write, %d logins meanwhile" %
          (took, logins.ok))


@T.test(start=False)
def certbot_symlink_swap(srv):
    """certbot's layout: live/NAME/fullchain.pem and privkey.pem are
    links to ../../archive/NAME/fullchainN.pem and privkeyN.pem; a
    renewal writes N+1 in archive/ and points the links at them."""
    le = os.path.join(srv.tmpdir, "letsencrypt")
    live = os.path.join(le, "live", "mail.example")
    archive = os.path.join(le, "archive", "mail.example")
    os.makedirs(live)
    os.makedirs(archive, mode=0o700)
    for n, cn in ((1, "first.example"), (2, "second.example")):
        T.make_cert(os.path.join(archive, "fullchain%d.pem" % n),
                    os.path.join(archive, "privkey%d.pem" % n), cn=cn)

    def point(n):
        for name in ("fullchain", "privkey"):
            link = os.path.join(live, name + ".pem")
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink("../../archive/mail.example/%s%d.pem" % (name, n),
                       link)
    point(1)
    srv.cert = os.path.join(live, "fullchain.pem")
    srv.key = os.path.join(live, "privkey.pem")
    srv.start()
    T.expect(served(srv), on_disk(os.path.join(archive, "fullchain1.pem")),
             "archive/fullchain1.pem served at start")
    p = in_flight(srv)
    logins = Logins(srv)
    time.sleep(1)
    since = time.monotonic()
    point(2)
    took = wait_served(srv, on_disk(os.path.join(archive,
                                                 "fullchain2.pem")),
                       since, "archive/fullchain2.pem")
    time.sleep(1)
    logins.end()
    still_going(p)
    T.expect(len(loaded_lines(srv)), 1, "log lines of the new certificate")
    print("    served %.1f s after the links moved" % took)


@T.test
def mismatched_key_keeps_the_old_pair(srv):
    """A key that is not the certificate's: refused once, the old pair
    serves on, and show certificates and the metric say so, in those
    words; the matching certificate written next is served, and the
    refusal is gone."""
    before = served(srv)
    old = ident(srv.cert)
    expect_renewed(srv, srv.cert)
    cert, key = new_pair(srv, "next", "next.example")
    logins = Logins(srv)
    write_in_place(srv.key, key)
    srv.wait_log("changed, not loaded", timeout=WINDOW)
    since = expect_refused(srv, old, "the key does not match the "
                           "certificate")
    # Three more looks: still the old pair, and said once.
    time.sleep(16)
    T.expect(served(srv), before, "the old certificate still served")
    lines = refused_lines(srv)
    T.expect(len(lines), 1, "log lines of the refused pair")
    T.expect_true("not loaded: the key does not match the certificate; "
                  in lines[0], "the reason", lines[0])
    T.expect_true("serves on" in lines[0], "what serves", lines[0])
    T.expect(expect_refused(srv, old, "the key does not match the "
                            "certificate"), since, "refused since")
    start = time.monotonic()
    write_in_place(srv.cert, cert)
    wait_served(srv, on_disk(cert), start, "the pair made whole")
    logins.end()
    expect_renewed(srv, cert)


# Pairs libtls loads but keypop cannot sign with: openssl's arguments
# for each, and the reason the check gives.
UNSIGNABLE = [
    (["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048",
      "-pkeyopt", "rsa_pss_keygen_md:sha256"],
     "an RSA-PSS key restricted to one hash: keypop signs with "
     "unrestricted RSA-PSS keys only"),
    (["-newkey", "ed25519"],
     "a key of type ED25519: keypop signs with RSA and EC keys only"),
    # Five primes: a minute less to make than two.
    (["-newkey", "rsa", "-pkeyopt", "rsa_keygen_bits:8200", "-pkeyopt",
      "rsa_keygen_primes:5"],
     "an RSA key of 8200 bits: keypop signs with 8192 at most"),
]


@T.test
def unsignable_key_keeps_the_old_pair(srv):
    """A restricted RSA-PSS key, an Ed25519 key, an RSA key over 8192
    bits, each written over the pair that serves: keypop -c refuses it
    and says why, the old pair serves on, logins go on throughout, and
    the listener and its keypop are the ones that ran before (the
    audit's G1: the check passed them, keypop could not load them, and
    the TLS port went down in a loop of restarts)."""
    before = served(srv)
    old = ident(srv.cert)
    pids = srv.pids()
    logins = Logins(srv)
    for n, (args, why) in enumerate(UNSIGNABLE):
        cert = os.path.join(srv.tmpdir, "u%d.crt" % n)
        key = os.path.join(srv.tmpdir, "u%d.key" % n)
        subprocess.run(["openssl", "req", "-x509"] + args +
                       ["-nodes", "-keyout", key, "-out", cert, "-days",
                        "90", "-subj", "/CN=u%d.example" % n], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300)
        write_in_place(srv.cert, cert)
        write_in_place(srv.key, key)
        T.wait_for(lambda: any("not loaded: " + why in ln
                               for ln in refused_lines(srv)),
                   timeout=WINDOW, what="the refusal: " + why)
        expect_refused(srv, old, re.escape(why))
        T.expect(served(srv), before, "the old certificate still served")
    time.sleep(3)
    logins.end()
    now = srv.pids()
    T.expect((now["listener"], now["keypop"]),
             (pids["listener"], pids["keypop"]), "listener and keypop")


@T.test
def garbage_keeps_the_old_pair(srv):
    """Garbage, an empty file, no file: each refused, the old pair
    serves on; popctl says since when a renewal is refused (the first)
    and the last reason, the metric that time.  A good pair then serves,
    and the refusal is gone."""
    before = served(srv)
    old = ident(srv.cert)
    logins = Logins(srv)
    with open(srv.cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    srv.wait_log("changed, not loaded", timeout=WINDOW)
    # libtls's words and OpenSSL's, without a ": Success" after them.
    since = expect_refused(srv, old, r"failed to load certificate: "
                           r"error:\w+:PEM routines::bad end line")
    time.sleep(11)
    T.expect(served(srv), before, "the old certificate still served")
    T.expect(len(refused_lines(srv)), 1, "log lines of the garbage")
    # An empty file, and one that is gone, are changes too.
    open(srv.cert, "w").close()
    T.wait_for(lambda: len(refused_lines(srv)) == 2, timeout=WINDOW,
               what="the empty file refused")
    os.unlink(srv.cert)
    T.wait_for(lambda: len(refused_lines(srv)) == 3, timeout=WINDOW,
               what="the missing file refused")
    T.expect(served(srv), before, "the old certificate still served")
    T.expect(expect_refused(srv, old, r".*No such file or directory.*"),
             since, "refused since the first refusal")
    T.expect(len(loaded_lines(srv)), 0, "nothing loaded")
    cert, key = new_pair(srv, "good", "good.example")
    start = time.monotonic()
    os.rename(key, srv.key)
    os.rename(cert, srv.cert)
    wait_served(srv, on_disk(srv.cert), start, "a good pair")
    logins.end()
    expect_renewed(srv, srv.cert)


def expired_pair(srv):
    """A self-signed pair that expired in 2020 (openssl ca sets the
    dates; req -x509 takes only days from now): (cert, key)."""
    d = os.path.join(srv.tmpdir, "expca")
    os.mkdir(d)
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\n"
                "new_certs_dir = .\nserial = serial\ndefault_md = sha256\n"
                "policy = p\n[p]\ncommonName = supplied\n")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    run = dict(cwd=d, check=True, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    "k.pem", "-out", "r.csr", "-subj", "/CN=old.example"],
                   **run)
    subprocess.run(["openssl", "ca", "-batch", "-config", "ca.cnf",
                    "-selfsign", "-keyfile", "k.pem", "-in", "r.csr", "-out",
                    "c.pem", "-notext", "-startdate", "20200101000000Z",
                    "-enddate", "20200201000000Z"], **run)
    return os.path.join(d, "c.pem"), os.path.join(d, "k.pem")


@T.test
def expired_renewal_keeps_the_old_pair(srv):
    """An expired pair: refused, the old one serves on, popctl and the
    metric say so; a good pair then serves, the refusal gone."""
    before = served(srv)
    old = ident(srv.cert)
    cert, key = expired_pair(srv)
    os.rename(key, srv.key)
    os.rename(cert, srv.cert)
    srv.wait_log("changed, not loaded", timeout=WINDOW)
    T.expect_true("the certificate expired on 2020-02-01T00:00:00Z" in
                  refused_lines(srv)[0], "the reason", refused_lines(srv))
    T.expect(served(srv), before, "the old certificate still served")
    expect_refused(srv, old, "the certificate expired on "
                   "2020-02-01T00:00:00Z")
    cert, key = new_pair(srv, "good", "good.example")
    start = time.monotonic()
    os.rename(key, srv.key)
    os.rename(cert, srv.cert)
    wait_served(srv, on_disk(srv.cert), start, "a good pair")
    expect_renewed(srv, srv.cert)


@T.test(allow_crash=True)
def restarted_listener_serves_the_checked_pair(srv):
    """The files are garbage now; the listener is killed: the parent
    restarts it with the pair it checked, which serves, instead of a
    listener that reads the garbage and dies again."""
    before = served(srv)
    with open(srv.cert, "w") as f:
        f.write("garbage\n")
    srv.wait_log("changed, not loaded", timeout=WINDOW)
    old = srv.listeners()
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    T.wait_for(lambda: srv.listeners() and
               not set(srv.listeners()) & set(old), what="a new listener")
    T.wait_for(lambda: srv._greets(), what="the restarted listener")
    T.expect(served(srv), before, "the checked certificate served")
    p = srv.pop("alice")
    p.quit()


@T.test(start=False, timeout=900)
def expiring_soon(srv):
    """A certificate valid for 5 days: the log warns, popd -n warns and
    exits 0, show certificates and the expiry metric say so, read by
    promtool, installed here (Debian's prometheus) as no test may
    count on another having installed it."""
    promtool = T.apt_install("prometheus", "promtool")
    T.make_cert(srv.cert, srv.key, cn="soon.example", days=5)
    srv.port = T.free_port()
    srv.argv()          # writes popd.conf
    r = subprocess.run([T.POPD, "-n", "-f", srv.conffile], cwd=T.REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    T.expect(r.returncode, 0, "popd -n's exit status (a warning)")
    T.expect(r.stdout.decode(), "configuration OK\n", "popd -n's output")
    err = r.stderr.decode()
    T.expect_true(re.fullmatch(r"%s:\d+: warning: pki test: certificate "
                               r"%s expires on \d{4}-\d\d-\d\dT\d\d:\d\d:"
                               r"\d\dZ\n" % (re.escape(srv.conffile),
                                             re.escape(srv.cert)), err),
                  "popd -n's warning", err)
    srv.start()
    srv.wait_log("pki test: certificate %s expires on" % srv.cert,
                 timeout=WINDOW)
    line = [ln for ln in srv.log().splitlines()
            if "pki test: certificate" in ln][0]
    T.expect_true(re.search(r"expires on \S+Z \(4 days\); renew it", line),
                  "the warning's days", line)
    # Once a day: not again at the next looks.
    time.sleep(11)
    T.expect(len([ln for ln in srv.log().splitlines()
                  if "pki test: certificate" in ln]), 1,
             "warnings after three looks")

    rc, out, err = srv.popctl("show", "metrics")
    T.expect(rc, 0, "show metrics")
    check = subprocess.run([promtool, "check", "metrics"],
                           input=out.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
    T.expect((check.returncode, check.stdout.decode()), (0, ""),
             "promtool check metrics")
    m = re.search(r'^popd_tls_certificate_expiry_seconds\{name="test"\} '
                  r'(-?\d+)$', out, re.M)
    T.expect_true(m, "the expiry metric", out)
    T.expect_true(4 * 86400 < int(m.group(1)) <= 5 * 86400,
                  "seconds until not-after", m.group(1))

    rc, out, err = srv.popctl("show", "certificates")
    T.expect((rc, err), (0, ""), "show certificates")
    T.expect_true(re.fullmatch(
        r"pki test\n"
        r"subject /CN=soon\.example\n"
        r"serial %s\n"
        r"sha256 %s\n"
        r"not-after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(4 days\)\n"
        r"cert %s\n"
        r"key %s\n"
        r"serving since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n" % (
            ident(srv.cert) + (re.escape(srv.cert), re.escape(srv.key))),
        out),
        "show certificates", out)
    # Abbreviated, as every word of popctl.
    T.expect(srv.popctl("sh", "cert")[1], out, "show cert")
    expect_renewed(srv, srv.cert)


@T.test(start=False)
def two_pkis_each_followed(srv):
    """Two pki statements: show certificates has a block for each, a
    blank line between, the metric a line for each; renewing one loads
    that one alone."""
    cert, key = new_pair(srv, "other", "other.example")
    srv.conf_extra = 'pki other cert "%s"\npki other key "%s"\n' % (
        cert, key)
    srv.start()
    rc, out, err = srv.popctl("show", "certificates")
    blocks = out.split("\n\n")
    T.expect([b.splitlines()[0] for b in blocks], ["pki test", "pki other"],
             "a block per pki, in popd.conf's order")
    T.expect_true("subject /CN=other.example\n" in blocks[1], "the subject",
                  out)
    rc, out, err = srv.popctl("show", "metrics")
    T.expect(len(re.findall(r"^popd_tls_certificate_expiry_seconds\{name="
                            r'"(test|other)"\} \d+$', out, re.M)), 2,
             "a sample per pki")
    T.make_cert(cert + ".new", key + ".new", cn="other2.example")
    os.rename(key + ".new", key)
    os.rename(cert + ".new", cert)
    srv.wait_log("pki other: new certificate", timeout=WINDOW)
    T.expect(loaded_lines(srv), [], "the other pki not reloaded")
    rc, out, err = srv.popctl("show", "certificates")
    T.expect_true("subject /CN=other2.example\n" in out, "renamed over",
                  out)


def rewrite_program(path, src):
    """path's inode written with src's bytes (nothing runs it yet)."""
    with open(src, "rb") as f:
        data = f.read()
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


@T.test(start=False)
def garbage_checker_refuses_start(srv):
    """A keypop -c that writes no verdict (keypop made echo(1), which
    writes its arguments): popd -n and popd refuse the pair, not
    checked, and exit 1, as for a bad pair.  (popd would not serve
    with that keypop anyway: it refuses at the check, before it starts
    one.)  One that exits 1 without a verdict (false(1)) too."""
    keypop = T.build_copy(srv)
    rewrite_program(keypop, shutil.which("echo"))
    srv.port = T.free_port()
    argv = srv.argv()
    want = ('pki test: %s, %s: not loaded: not checked: keypop -c wrote '
            '14 bytes that are no verdict' % (srv.cert, srv.key))
    r = subprocess.run([argv[0], "-n", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = r.stdout.decode()
    T.expect(r.returncode, 1, "popd -n's exit status")
    T.expect_true(re.search(r"^%s:\d+: %s$" % (re.escape(srv.conffile),
                                                re.escape(want)), out, re.M),
                  "popd -n names the pki statement and why", out)
    r = subprocess.run(argv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    T.expect(r.returncode, 1, "popd's exit status")
    T.expect_true(want in r.stdout.decode(), "popd says why",
                  r.stdout.decode())
    rewrite_program(keypop, shutil.which("false"))
    r = subprocess.run([argv[0], "-n", "-f", srv.conffile],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = r.stdout.decode()
    T.expect(r.returncode, 1, "popd -n's exit status, keypop false(1)")
    T.expect_true("not loaded: not checked: keypop -c exited 1 without a "
                  "verdict\n" in out, "popd -n says why", out)


@T.test(start=False)
def broken_checker_keeps_the_old_pair(srv):
    """keypop moved aside after the start, so that keypop -c cannot run
    (exit 127, no verdict): a renewed pair is not checked, logged once,
    the pair checked at start serves on; keypop moved back, the next
    change is served.  keypop is not rewritten in place: the running
    one, which signs every handshake, holds the file (ETXTBSY), and
    were it rewritten it would run the new bytes.  Moved aside, it
    keeps its inode and signs on: logins go on throughout.  Moved back,
    it is the inode the parent may exec (Landlock holds inodes)."""
    keypop = T.build_copy(srv)
    aside = keypop + ".aside"
    srv.start()
    before = served(srv)
    logins = Logins(srv)
    os.rename(keypop, aside)
    try:
        cert, key = new_pair(srv, "renewed", "renewed.example")
        write_in_place(srv.key, key)
        write_in_place(srv.cert, cert)
        srv.wait_log("changed, not loaded", timeout=WINDOW)
        time.sleep(11)
        T.expect(served(srv), before, "the old certificate still served")
    finally:
        os.rename(aside, keypop)
    lines = refused_lines(srv)
    T.expect(len(lines), 1, "log lines of the pair not checked")
    T.expect_true(re.search(r"pki test: %s, %s changed, not loaded: not "
                            r"checked: keypop -c exited 127 without a "
                            r"verdict \(not run: replaced since popd "
                            r"started\? restart popd\); the certificate "
                            r"loaded on \S+Z serves on$" %
                            (re.escape(srv.cert), re.escape(srv.key)),
                            lines[0]), "the reason", lines[0])
    since = time.monotonic()
    write_in_place(srv.cert, cert)
    wait_served(srv, on_disk(cert), since, "the pair checked by keypop -c")
    logins.end()
    T.expect(len(loaded_lines(srv)), 1, "log lines of the new certificate")


def slowed(srv):
    """Start srv with a keypop -c that sleeps as long as the returned
    function last said (regress/slowcheck.so): nothing at the start."""
    subprocess.run(["make", "-s", "regress/slowcheck.so"], cwd=T.REPO,
                   check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(srv.tmpdir, "slowcheck")

    def slow(seconds):
        with open(path, "w") as f:
            f.write("%d\n" % seconds)

    slow(0)
    srv.env = dict(os.environ, SLOWCHECK=path,
                   LD_PRELOAD=os.path.join(T.REPO, "regress",
                                           "slowcheck.so"))
    srv.start()
    return slow


def login_time(srv):
    """Seconds bob's login, STAT and QUIT take, a new handshake each."""
    t = time.monotonic()
    p = srv.pop("bob", timeout=30)
    p.stat()
    p.quit()
    return time.monotonic() - t


@T.test(start=False)
def slow_check_stalls_no_login(srv):
    """keypop -c takes 7 s (slowcheck.so; CERTS_WAIT is 10): a renewed
    pair waits for its verdict, and logins meanwhile are answered as
    fast as before, then the pair is served.  A popctl reload whose
    check takes as long: logins go on during it, and popctl reload
    answers once the verdict is in, the reload done."""
    slow = slowed(srv)
    base = max(login_time(srv) for _ in range(3))
    slow(7)
    cert, key = new_pair(srv, "renewed", "renewed.example")
    write_in_place(srv.key, key)
    write_in_place(srv.cert, cert)
    since = time.monotonic()
    times = []
    while not loaded_lines(srv) and time.monotonic() - since < 40:
        times.append(login_time(srv))
        time.sleep(0.1)
    T.expect(len(loaded_lines(srv)), 1, "log lines of the new certificate")
    T.expect(served(srv), on_disk(cert), "the pair served after its check")
    took = time.monotonic() - since
    T.expect_true(took > 7, "the check took its 7 s", took)
    T.expect_true(max(times) < base + 2, "the slowest of %d logins during "
                  "the check (one before it: %.2f s)" % (len(times), base),
                  max(times))
    print("    served %.1f s after the write; %d logins meanwhile, the "
          "slowest %.2f s" % (took, len(times), max(times)))

    result = {}

    def reload():
        t = time.monotonic()
        result["r"] = srv.popctl("reload", timeout=60)
        result["took"] = time.monotonic() - t

    th = threading.Thread(target=reload, daemon=True)
    th.start()
    times = []
    while th.is_alive():
        times.append(login_time(srv))
        time.sleep(0.1)
    th.join()
    rc, out, err = result["r"]
    T.expect(rc, 0, "popctl reload's exit status: %s%s" % (out, err))
    T.expect_true(result["took"] > 7, "popctl reload waited for the "
                  "check", result["took"])
    T.expect_true(len(times) >= 5 and max(times) < base + 2,
                  "the slowest of %d logins during the reload" %
                  len(times), max(times, default=None))
    slow(0)
    srv.popctl("show", "sessions")


@T.test
def fifo_swapped_in_is_never_opened(srv):
    """Whoever owns the certificate's directory swaps a FIFO and the
    regular file at its name, over and over while the parent looks at
    it, then leaves the FIFO there for two looks, so that it is read:
    root never opens it (a writer that opens it without waiting would
    find a reader), the parent answers throughout (logins, popctl
    show), the refusal is logged naming the file, and the pair checked
    at start serves on."""
    before = served(srv)
    regular = srv.cert + ".regular"
    fifo = srv.cert + ".fifo"
    shutil.copy2(srv.cert, regular)
    opened = []

    def probe():
        try:
            fd = os.open(srv.cert, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return          # ENXIO: no reader; or not a FIFO now
        os.close(fd)
        if not os.path.isfile(srv.cert):
            opened.append(time.monotonic())

    def put(fifo_there):
        if fifo_there:
            os.mkfifo(fifo, 0o644)
            os.rename(fifo, srv.cert)
        else:
            shutil.copy2(regular, regular + ".tmp")
            os.rename(regular + ".tmp", srv.cert)

    logins = Logins(srv)
    end = time.monotonic() + 12
    n = 0
    while time.monotonic() < end:
        put(n % 2 == 0)
        for _ in range(20):
            probe()
            time.sleep(0.005)
        n += 1
    put(True)
    end = time.monotonic() + 2 * WINDOW
    while time.monotonic() < end and not refused_lines(srv):
        probe()
        time.sleep(0.01)
    rc, out, err = srv.popctl("show", "sessions")
    T.expect(rc, 0, "popctl show while the FIFO is there: %s" % err)
    put(False)
    logins.end()
    T.expect(opened, [], "times a reader had the FIFO open")
    lines = refused_lines(srv)
    T.expect_true(lines and all("%s: not a regular file" % srv.cert in ln
                                for ln in lines),
                  "the refusal names the file", lines)
    T.expect(served(srv), before, "the pair checked at start serves on")
    print("    %d swaps, %d refusals logged" % (n, len(lines)))


if __name__ == "__main__":
    T.main()
