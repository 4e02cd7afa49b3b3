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

"""App passwords (popd.conf app-passwords): one secret per device,
stored as HMAC-SHA256 under the site's key, each with a label, an expiry
and the networks it may be used from; the main password may be barred.
Through POP3 with real clients: two devices, one revoked by a reload
while the other and a session already in go on; expiry; network scope;
"app passwords only"; the forms a person types; the last use kept
across a restart and shown by popctl; the same from a SQLite table
through OpenSMTPD's table-sqlite (alias service, keyed by the user),
where a deleted row is refused at once; and popd -n's errors.

The records are made here with Python's hmac, independently of popd;
test_popdpass.py makes them with popdpass."""

import errno
import hashlib
import hmac
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import popdtest as T  # noqa: E402
import dbtest as D  # noqa: E402

SYMBOLS = "0123456789abcdefghjkmnpqrstvwxyz"
AUTH = b"-ERR [AUTH] "
USERS = [("alice", "alice-main"), ("bob", "bob-main")]
POPDPASS = os.path.join(T.REPO, "popdpass", "popdpass")


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def keyfile(srv):
    """The site's key, 32 random bytes, 0600."""
    path = os.path.join(srv.tmpdir, "app.key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path


def make_app(srv, user, label, expires=None, nets=None, created=None):
    """(the secret as shown, its record): the secret as popd makes one
    (28 symbols, in groups of four), hashed here with Python's hmac."""
    norm = "".join(secrets.choice(SYMBOLS) for _ in range(28))
    with open(keyfile(srv), "rb") as f:
        key = f.read()
    mac = hmac.new(key, user.encode() + b"\0" + norm.encode(),
                   hashlib.sha256).hexdigest()
    rec = "%s hmac-sha256:%s %s %s %s" % (
        label, mac, stamp(created or time.time() - 60),
        "never" if expires is None else stamp(expires),
        "any" if not nets else ";".join(nets))
    shown = "-".join(norm[i:i + 4] for i in range(0, 28, 4))
    return shown, rec


def configure(srv, lines, extra=""):
    """srv reads the app-password file made of lines ("user record")."""
    srv.appfile = os.path.join(srv.tmpdir, "apppass")
    srv.applast = os.path.join(srv.tmpdir, "state", "app-passwords.last")
    write_apps(srv, lines)
    srv.conf_extra = ('app-passwords "%s" key "%s" last "%s"\n%s'
                      % (srv.appfile, keyfile(srv), srv.applast, extra))


def write_apps(srv, lines):
    tmp = srv.appfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("# user  label  hash  created  expires  from\n")
        f.write("".join(ln + "\n" for ln in lines))
    os.chmod(tmp, 0o600)
    os.rename(tmp, srv.appfile)


def answer(srv, user, pw, src=None):
    """PASS's answer (a login ends with QUIT); [IN-USE] waited out."""
    def once():
        with srv.raw(src=src) as r:
            r.line()
            r.cmd("USER " + user)
            resp = r.cmd("PASS " + pw)
            if resp.startswith(b"+OK"):
                r.ok("QUIT")
            return None if b"[IN-USE]" in resp else resp
    return T.wait_for(once, 10, "%s's maildrop lock" % user)


def reload(srv):
    n = srv.log().count("reloaded")
    srv.reload()
    T.wait_for(lambda: srv.log().count("reloaded") > n, what="the reload")


def show(srv, user, uid=None):
    rc, out, err = srv.popctl("show", "app-passwords", user, uid=uid)
    T.expect(rc, 0, "popctl show app-passwords %s: %s" % (user, err))
    return out


# --- the tests -------------------------------------------------------------

@T.test(start=False, users=USERS)
def two_devices_one_revoked(srv):
    """alice's phone and laptop both log in, and her main password too;
    the phone's line removed and a reload: the phone is refused (a wrong
    password to the client, its reason in the log), the laptop and the
    main password go on, a session the phone opened before the reload is
    not ended, and one connected before the reload that logs in after it
    (the older authpop's, which read the old file) is refused too."""
    phone, prec = make_app(srv, "alice", "phone")
    laptop, lrec = make_app(srv, "alice", "laptop")
    configure(srv, ["alice " + prec, "alice " + lrec])
    srv.start()
    for what, pw in (("phone", phone), ("laptop", laptop),
                     ("main password", "alice-main")):
        T.expect(answer(srv, "alice", pw)[:3], b"+OK", "alice's " + what)
    T.expect_true(srv.log().count('with app password "phone"') == 1,
                  "the log names the app password", srv.log_tail(5))
    # bob has none: his main password, and alice's phone is not his.
    T.expect(answer(srv, "bob", "bob-main")[:3], b"+OK", "bob")
    T.expect(answer(srv, "bob", phone)[:len(AUTH)], AUTH,
             "alice's app password as bob's")
    held = srv.raw()
    held.line()
    T.expect(held.login("alice", phone)[:3], b"+OK", "the phone's session")
    # Connected before the reload, logging in after it: the older
    # authpop serves it, and must know of the revocation.
    early = srv.raw()
    early.line()
    early.capa()    # spoken: with the current authpop, not the listener
    write_apps(srv, ["alice " + lrec])
    reload(srv)
    T.expect(early.cmd("USER alice")[:3], b"+OK", "USER after the reload")
    T.expect(early.cmd("PASS " + phone)[:len(AUTH)], AUTH,
             "the revoked phone in a session of before the reload")
    early.close()
    # The held session goes on after the reload.
    T.expect(held.cmd("STAT")[:3], b"+OK", "the phone's session after")
    held.ok("QUIT")
    held.close()
    T.expect(answer(srv, "alice", phone)[:len(AUTH)], AUTH,
             "the revoked phone")
    srv.wait_log('failed login for "alice" from 127.0.0.1 port')
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK", "the laptop after")
    T.expect(answer(srv, "alice", "alice-main")[:3], b"+OK",
             "the main password after")
    # The state file forgets the revoked one, keeps the laptop's use.
    srv.stop()
    with open(srv.applast) as f:
        state = f.read()
    T.expect([ln.split()[:2] for ln in state.splitlines()],
             [["alice", "laptop"]], "the state file after the revocation")


@T.test(start=False, users=USERS)
def revoked_without_reload(srv):
    """The phone's line removed from the file, and nothing else: within
    the documented delay (10 seconds, and the load) the phone is
    refused, with no popctl reload or SIGHUP; the laptop goes on."""
    phone, prec = make_app(srv, "alice", "phone")
    laptop, lrec = make_app(srv, "alice", "laptop")
    configure(srv, ["alice " + prec, "alice " + lrec])
    srv.start()
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "the phone")
    write_apps(srv, ["alice " + lrec])
    t0 = time.monotonic()
    T.wait_for(lambda: answer(srv, "alice", phone)[:len(AUTH)] == AUTH,
               15, "the revoked phone refused, with no reload")
    T.expect_true(time.monotonic() - t0 < 15, "within the delay")
    srv.wait_log("tables changed on disk, now served: ")
    T.expect_true("]: reloaded " not in srv.log(), "no reload",
                  srv.log_tail(10))
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK", "the laptop after")


@T.test(start=False, users=USERS)
def records_name_the_device(srv):
    """The record of each message read or removed names the credential:
    the app password's label, or the main password (test_records.py)."""
    phone, prec = make_app(srv, "alice", "phone")
    configure(srv, ["alice " + prec])
    srv.start()
    for i in range(2):
        srv.deliver("alice", b"Message-ID: <d%d@example.org>\r\n\r\nx\r\n"
                    % i, name="%d.M%dP1.devices" % (1700000000 + i, i))
    for pw, src in ((phone, "127.0.0.8"), ("alice-main", "127.0.0.9")):
        with srv.raw(src=src) as r:
            r.line()
            r.login("alice", pw)
            r.ok("RETR 1")
            r.multiline()
            r.ok("DELE 1")
            r.ok("QUIT")
        srv.wait_log("session end: user alice from %s" % src)
    got = re.findall(r"message (\w+): user alice uidl \S+ size \d+ "
                     r"message-id (\S+) from (\S+) port \d+ credential "
                     r"(\S+)$", srv.log(), re.M)
    T.expect(got, [("retr", "<d0@example.org>", "127.0.0.8", "app:phone"),
                   ("dele", "<d0@example.org>", "127.0.0.8", "app:phone"),
                   ("retr", "<d1@example.org>", "127.0.0.9", "password"),
                   ("dele", "<d1@example.org>", "127.0.0.9", "password")],
             "each record names its device")


def popdpass(*args):
    r = subprocess.run([POPDPASS] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    T.expect(r.returncode, 0, "popdpass %s: %s" % (" ".join(args),
                                                   r.stderr))
    return r.stdout.decode()


@T.test(start=False, users=USERS)
def made_by_popdpass(srv):
    """What an admin does: popdpass -A makes the key and alice's phone
    and laptop (expiring, 127/8 only) in the file popd reads; both log
    in; popdpass -R phone and popctl reload: the phone is refused;
    popdpass -B and a reload: the main password is barred, the laptop
    still logs in."""
    srv.appfile = os.path.join(srv.tmpdir, "apppass")
    key = os.path.join(srv.tmpdir, "made.key")
    srv.conf_extra = ('app-passwords "%s" key "%s" last "%s"\n'
                      % (srv.appfile, key,
                         os.path.join(srv.tmpdir, "last")))
    phone = popdpass("-A", "phone", "-k", key, "-f", srv.appfile,
                     "alice").strip()
    laptop = popdpass("-A", "laptop", "-e", "30d", "-n", "127.0.0.0/8",
                      "-k", key, "-f", srv.appfile, "alice").strip()
    T.expect_true(re.match(r"^([0-9a-hjkmnp-tv-z]{4}-){6}[0-9a-hjkmnp-tv-z]"
                           r"{4}$", phone), "the secret's form", phone)
    T.expect(oct(os.stat(key).st_mode & 0o777), oct(0o600), "key mode")
    srv.start()
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "the phone")
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK", "the laptop")
    listed = show(srv, "alice")
    T.expect_true(re.search(r"app-password laptop created \S+ expires "
                            r"\S+Z from 127\.0\.0\.0/8", listed),
                  "the laptop listed", listed)
    popdpass("-R", "phone", "-f", srv.appfile, "alice")
    T.expect(srv.popctl("reload")[0], 0, "popctl reload")
    T.wait_for(lambda: answer(srv, "alice", phone)[:len(AUTH)] == AUTH,
               what="the phone refused after the reload")
    T.expect(answer(srv, "alice", "alice-main")[:3], b"+OK", "main")
    popdpass("-B", "-f", srv.appfile, "alice")
    T.expect(srv.popctl("reload")[0], 0, "popctl reload")
    T.wait_for(lambda: answer(srv, "alice", "alice-main")[:len(AUTH)] ==
               AUTH, what="the main password barred after the reload")
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK", "the laptop")


@T.test(start=False, users=USERS)
def typed_forms(srv):
    """The secret as a person types it: capitals, no dashes, spaces, O
    for zero and I or L for one; one symbol wrong is a wrong password."""
    shown, rec = make_app(srv, "alice", "tablet")
    configure(srv, ["alice " + rec])
    srv.start()
    plain = shown.replace("-", "")
    forms = [shown.upper(), plain, " ".join(shown.split("-")),
             shown.replace("0", "O").replace("1", "l")]
    for f in forms:
        T.expect(answer(srv, "alice", f)[:3], b"+OK", "typed as %r" % f)
    wrong = ("a" if plain[0] != "a" else "b") + plain[1:]
    T.expect(answer(srv, "alice", wrong)[:len(AUTH)], AUTH, "one wrong")


@T.test(start=False, users=USERS)
def expiry_and_networks(srv):
    """An expired app password and one used outside its networks are
    refused as a wrong password would be (the log says which); one that
    expires later, and one scoped to 127.0.0.0/8 and 2001:db8::/32, log
    in.  The failures go through the same delays: after them, the
    address's next failure waits (failure-delay)."""
    old, orec = make_app(srv, "alice", "old", expires=time.time() - 5)
    new, nrec = make_app(srv, "alice", "new", expires=time.time() + 3600)
    far, frec = make_app(srv, "alice", "far", nets=["10.0.0.0/8"])
    near, nearrec = make_app(srv, "alice", "near",
                             nets=["127.0.0.0/8", "2001:db8::/32"])
    configure(srv, ["alice " + r for r in (orec, nrec, frec, nearrec)])
    srv.start()
    T.expect(answer(srv, "alice", old)[:len(AUTH)], AUTH, "expired")
    srv.wait_log('"alice" from 127.0.0.1 port')
    T.wait_for(lambda: 'app password "old" expired' in srv.log(),
               what="the expiry in the log")
    T.expect(answer(srv, "alice", far)[:len(AUTH)], AUTH, "10/8 only")
    T.wait_for(lambda: 'app password "far" used outside its networks'
               in srv.log(), what="the network in the log")
    T.expect(answer(srv, "alice", new)[:3], b"+OK", "not yet expired")
    T.expect(answer(srv, "alice", near)[:3], b"+OK", "from 127/8")
    # fail2ban's filter (Debian's fail2ban-regex) reads these failures
    # as any other, as the journal writes them.
    hosts, lines, out = T.fail2ban_failures(srv)
    T.expect(len([ln for ln in lines if "app password" in ln]), 2,
             "failure lines")
    T.expect(hosts, ["127.0.0.1", "127.0.0.1"], "banned by the filter: %s"
             % out)


@T.test(start=False, users=USERS, timeout=300)
def failures_take_the_same_time(srv):
    """Invariant 18 across app passwords: a wrong password of their
    form, an expired one, one from outside its networks, a barred main
    password and an unknown user are all answered after the same time
    as a wrong main password of bcrypt cost 10 (each from an address of
    its own: no failure delay): no sooner than the floor authpop logs
    at start, medians within 20%."""
    srv.cost = 10
    srv.add_users({"carol": T.make_hash("carol-main", 10)})
    old, orec = make_app(srv, "alice", "old", expires=time.time() - 5)
    far, frec = make_app(srv, "alice", "far", nets=["10.0.0.0/8"])
    shaped, _ = make_app(srv, "alice", "never-stored")
    configure(srv, ["alice " + orec, "alice " + frec, "bob main barred"])
    srv.start()
    floor = float(T.wait_for(lambda: re.search(
        r"failure replies after ([0-9.]+) s at least", srv.log()),
        what="authpop's floor").group(1))
    tries = {"wrong app-shaped": ("alice", shaped), "expired": ("alice", old),
             "outside": ("alice", far), "barred": ("bob", "bob-main"),
             "unknown": ("nobody", "x"), "wrong bcrypt": ("carol", "no")}
    times = {k: [] for k in tries}
    for i in range(6):
        for j, (k, (user, pw)) in enumerate(sorted(tries.items())):
            with srv.raw(src="127.0.%d.%d" % (20 + i, 2 + j)) as r:
                r.line()
                r.cmd("USER " + user)
                t = time.monotonic()
                T.expect(r.cmd("PASS " + pw)[:len(AUTH)], AUTH, k)
                times[k].append(time.monotonic() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("# floor %.3f s, medians: %r" % (floor, med))
    T.expect_true(min(min(v) for v in times.values()) >= floor * 0.95,
                  "no failure sooner than the floor", (floor, times))
    T.expect_true(max(med.values()) <= min(med.values()) * 1.2,
                  "medians within 20% of each other", med)


@T.test(start=False, users=USERS)
def app_passwords_only(srv):
    """"alice main barred": her main password is refused (logged as
    such), her app password logs in; bob's main password is not
    touched.  A barred password is checked against the dummy hash for
    its time: the password that hash was once made of ("not a
    password"), twice (the login cache), logs in neither."""
    phone, rec = make_app(srv, "alice", "phone")
    configure(srv, ["alice " + rec, "alice main barred"])
    srv.start()
    T.expect(answer(srv, "alice", "alice-main")[:len(AUTH)], AUTH,
             "alice's main password")
    for i in (1, 2):
        T.expect(answer(srv, "alice", "not a password")[:len(AUTH)], AUTH,
                 "the dummy hash's old password (%d)" % i)
    T.wait_for(lambda: "main password barred (app passwords only)" in
               srv.log(), what="the bar in the log")
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "her app password")
    T.expect(answer(srv, "bob", "bob-main")[:3], b"+OK", "bob")
    T.expect_true("main password barred" in show(srv, "alice"),
                  "popctl shows the bar", show(srv, "alice"))


@T.test(start=False, users=USERS)
def last_use_survives_restart(srv):
    """popctl show app-passwords: label, created, expires, networks and
    the last use (time, address), never a hash; the last use is in the
    state file after popd stops and shown again after a restart; a
    member of the control group may see it."""
    phone, prec = make_app(srv, "alice", "phone", nets=["127.0.0.0/8"])
    spare, srec = make_app(srv, "alice", "spare",
                           expires=time.time() + 86400)
    configure(srv, ["alice " + prec, "alice " + srec])
    srv.start()
    before = show(srv, "alice")
    T.expect_true(re.search(r"app-password phone created \S+Z expires "
                            r"never from 127\.0\.0\.0/8 last-used never",
                            before), "phone before use", before)
    t0 = int(time.time())
    T.expect(answer(srv, "alice", phone, src="127.0.0.9")[:3], b"+OK",
             "the phone from 127.0.0.9")
    after = show(srv, "alice")
    m = re.search(r"app-password phone .* last-used (\S+) 127\.0\.0\.9",
                  after)
    T.expect_true(m, "the phone's last use", after)
    used = time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ")) \
        - time.timezone
    T.expect_true(abs(used - t0) <= 5, "last use at login", (used, t0))
    T.expect_true("spare" in after and "spare created" in after and
                  re.search(r"spare .* last-used never", after),
                  "the unused one", after)
    T.expect_true("hmac" not in after and "main password" not in after,
                  "no hash, no bar", after)
    srv.stop()
    with open(srv.applast) as f:
        state = f.read()
    T.expect_true(re.match(r"alice phone \d+ 127\.0\.0\.9\n$", state),
                  "the state file", state)
    T.expect(oct(os.stat(srv.applast).st_mode & 0o777), oct(0o600),
             "the state file's mode")
    srv.start()
    T.expect(re.search(r"phone .*", show(srv, "alice")).group(0),
             re.search(r"phone .*", after).group(0),
             "the last use after a restart")
    T.expect(show(srv, "nobody-here").splitlines()[0], "user nobody-here",
             "a user without app passwords")


def state_lines(srv):
    with open(srv.applast) as f:
        return [ln.split() for ln in f.read().splitlines()]


@T.test(start=False, users=USERS)
def last_use_through_a_draining_authpop(srv):
    """A client connected before a reload, half a command sent, logs in
    after it, through the older authpop, which drains (a session waiting
    for a command would go to the new one): its app password's last use
    is kept (the control process takes the uses of every authpop),
    shown, and written at stop."""
    phone, prec = make_app(srv, "alice", "phone")
    laptop, lrec = make_app(srv, "alice", "laptop")
    configure(srv, ["alice " + prec, "alice " + lrec])
    srv.start()
    old = T.wait_for(lambda: T.authpops(srv), what="authpop")
    early = srv.raw(src="127.0.0.7")
    early.line()
    early.capa()    # spoken: with the current authpop, not the listener
    early.send(b"USER ali")
    reload(srv)
    T.wait_for(lambda: len(T.authpops(srv)) == 2, what="a new authpop "
               "beside the draining one")
    T.expect_true(old[0] in T.authpops(srv), "the old authpop drains",
                  (old, T.authpops(srv)))
    early.send(b"ce\r\n")
    T.expect(early.line()[:3], b"+OK", "USER, finished after the reload")
    T.expect(early.cmd("PASS " + phone)[:3], b"+OK",
             "the phone, through the draining authpop")
    early.ok("QUIT")
    early.close()
    T.expect(answer(srv, "alice", laptop, src="127.0.0.8")[:3], b"+OK",
             "the laptop, through the new authpop")
    out = show(srv, "alice")
    T.expect_true(re.search(r"app-password phone .* last-used \S+Z "
                            r"127\.0\.0\.7\n", out) and
                  re.search(r"app-password laptop .* last-used \S+Z "
                            r"127\.0\.0\.8\n", out),
                  "both last uses", out)
    srv.stop()
    T.expect(sorted((ln[0], ln[1], ln[3]) for ln in state_lines(srv)),
             [("alice", "laptop", "127.0.0.8"),
              ("alice", "phone", "127.0.0.7")], "the state file")


@T.test(start=False, users=USERS, allow_crash=True)
def last_use_kept_by_control(srv):
    """The last uses are the control process's, none of them root's: it
    holds the state file root opened (0600, root's), popd has none of
    that code (nm); killed -9, it is restarted and reads the file
    again: what was written is shown, a use after is kept too, and the
    file has both once popd stops."""
    T.expect(T.symbols(T.POPD, r"apps_used|apps_flush|lastuse|show_print|"
                       r"app_line"), [], "last-use code in the popd binary")
    phone, prec = make_app(srv, "alice", "phone")
    laptop, lrec = make_app(srv, "alice", "laptop")
    configure(srv, ["alice " + prec, "alice " + lrec])
    srv.start()
    T.expect(answer(srv, "alice", phone, src="127.0.0.5")[:3], b"+OK",
             "the phone")
    srv.stop()
    st = os.stat(srv.applast)
    T.expect((st.st_uid, oct(st.st_mode & 0o777)), (0, oct(0o600)),
             "the state file's owner and mode")
    srv.start()
    ctl = T.wait_for(lambda: srv.pids()["control"], what="control")
    held = [os.readlink("/proc/%d/fd/%s" % (ctl, fd))
            for fd in os.listdir("/proc/%d/fd" % ctl)]
    T.expect_true(os.path.realpath(srv.applast) in held,
                  "the control process holds the state file", held)
    os.kill(ctl, signal.SIGKILL)
    srv.wait_log("control (pid %d) killed by signal 9, restarting" % ctl)
    T.wait_for(lambda: srv.pids()["control"] not in (None, ctl),
               what="a new control process")
    T.wait_for(lambda: re.search(r"app-password phone .* last-used \S+Z "
                                 r"127\.0\.0\.5\n", show(srv, "alice")),
               what="the phone's last use, from the file")
    T.expect(answer(srv, "alice", laptop, src="127.0.0.6")[:3], b"+OK",
             "the laptop, after the restart")
    T.expect_true(re.search(r"app-password laptop .* last-used \S+Z "
                            r"127\.0\.0\.6\n", show(srv, "alice")),
                  "the laptop's last use", show(srv, "alice"))
    srv.stop()
    T.expect(sorted((ln[0], ln[1], ln[3]) for ln in state_lines(srv)),
             [("alice", "laptop", "127.0.0.6"),
              ("alice", "phone", "127.0.0.5")], "the state file")


@T.test(start=False, users=USERS)
def sqlite_table(srv):
    """The records in SQLite, asked through table-sqlite's alias
    service with the user as key (one question for all of a user's
    records): both devices log in, a deleted row is refused at the next
    login without a reload, a row that is no record is [SYS/TEMP] with
    the table named in the log, never a wrong password."""
    T.need_root()
    D.need_backend("sqlite")
    phone, prec = make_app(srv, "alice", "phone")
    laptop, lrec = make_app(srv, "alice", "laptop")
    db = D.Sqlite(srv.tmpdir).start()
    db.run([("CREATE TABLE apppass (user TEXT, record TEXT)", ()),
            ("INSERT INTO apppass VALUES ('alice', ?), ('alice', ?)",
             (prec, lrec))])
    conf = os.path.join(srv.tmpdir, "apps-sqlite.conf")
    with open(conf, "w") as f:
        f.write("dbpath %s\nquery_alias SELECT record FROM apppass "
                "WHERE user = ?\n" % db.db)
    D._owned(conf, mode=0o640)
    keyfile(srv)
    srv.applast = os.path.join(srv.tmpdir, "app-passwords.last")
    srv.conf_extra = ('table apps sqlite:%s\napp-passwords <apps> key "%s" '
                      'last "%s"\n' % (conf, keyfile(srv), srv.applast))
    srv.start()
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "phone from SQLite")
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK", "laptop")
    T.expect(answer(srv, "bob", "bob-main")[:3], b"+OK", "bob (no rows)")
    # An empty record is no app password, and authpop keeps tablepop.
    db.run([("INSERT INTO apppass VALUES ('bob', '')", ())])
    T.expect(answer(srv, "bob", "bob-main")[:3], b"+OK", "bob (a row '')")
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK",
             "laptop after bob's empty row")
    T.expect_true(not re.search(r"authpop.*tablepop", srv.log()),
                  "authpop kept its tablepop", srv.log()[-1500:])
    T.expect_true("app-password phone" in show(srv, "alice") and
                  "app-password laptop" in show(srv, "alice"),
                  "popctl lists the database's", show(srv, "alice"))
    db.run([("DELETE FROM apppass WHERE record LIKE 'phone %'", ())])
    T.expect(answer(srv, "alice", phone)[:len(AUTH)], AUTH,
             "the deleted phone")
    T.expect(answer(srv, "alice", laptop)[:3], b"+OK", "laptop after")
    db.run([("UPDATE apppass SET record = 'laptop not-a-hash' "
             "WHERE user = 'alice'", ())])
    T.expect(answer(srv, "alice", laptop)[:16], b"-ERR [SYS/TEMP] ",
             "a broken row")
    T.wait_for(lambda: "app-passwords <apps>: the app passwords of alice"
               in srv.log(), what="the table named in the log")


@T.test(start=False, users=USERS, timeout=240, allow_crash=True)
def lookups_in_tablepop(srv):
    """authpop asks tablepop, not the root parent, for a database's app
    passwords: the popd binary has no such code (nm).  tablepop stopped
    while it holds the question, then killed -9: that login is
    [SYS/TEMP], never a wrong password; restarted, it answers, and the
    last use the control process keeps is still shown."""
    T.need_root()
    D.need_backend("sqlite")
    T.expect(T.symbols(T.POPD, r"parent_authpop_apps|apps_authpop"), [],
             "app-password lookups in the popd binary")
    phone, prec = make_app(srv, "alice", "phone")
    db = D.Sqlite(srv.tmpdir).start()
    db.run([("CREATE TABLE apppass (user TEXT, record TEXT)", ()),
            ("INSERT INTO apppass VALUES ('alice', ?)", (prec,))])
    conf = os.path.join(srv.tmpdir, "apps-sqlite.conf")
    with open(conf, "w") as f:
        f.write("dbpath %s\nquery_alias SELECT record FROM apppass "
                "WHERE user = ?\n" % db.db)
    D._owned(conf, mode=0o640)
    srv.applast = os.path.join(srv.tmpdir, "app-passwords.last")
    srv.conf_extra = ('table apps sqlite:%s\napp-passwords <apps> key "%s" '
                      'last "%s"\n' % (conf, keyfile(srv), srv.applast))
    srv.start()
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "phone from SQLite")
    tp = T.tablepop_pid(srv)
    T.expect_true(tp is not None, "a tablepop runs for app-passwords")
    os.kill(tp, signal.SIGSTOP)
    got = []
    t = threading.Thread(target=lambda: got.append(
        answer(srv, "alice", phone)))
    t.start()
    # Its question waits in the stopped tablepop.
    time.sleep(1.5)
    os.kill(tp, signal.SIGKILL)
    t.join(30)
    T.expect(got[0][:16], b"-ERR [SYS/TEMP] ", "the phone as tablepop died")
    srv.wait_log("tablepop (pid %d) killed by signal 9, restarting" % tp)
    T.wait_for(lambda: T.tablepop_pid(srv) not in (None, tp), timeout=10,
               what="a new tablepop")
    T.wait_for(lambda: answer(srv, "alice", phone)[:3] == b"+OK",
               timeout=10, what="the phone after tablepop's restart")
    T.expect_true(re.search(r"app-password phone .* last-used \S+Z "
                            r"127\.0\.0\.1", show(srv, "alice")),
                  "the phone's last use", show(srv, "alice"))


@T.test(start=False, users=USERS)
def config_errors(srv):
    """popd -n: a bad record is file:line naming the user, a label twice
    names both lines, a missing key or one others may read is named,
    and a passwd-file table cannot hold app passwords."""
    phone, rec = make_app(srv, "alice", "phone")
    configure(srv, ["alice " + rec, "alice phone " + rec.split(" ", 1)[1],
                    "bob laptop hmac-sha256:00 never never any"])
    rc, err = srv.check_config()
    T.expect(rc, 1, "popd -n with bad records")
    T.expect_true('%s:4: "bob": app password "laptop": the hash is not'
                  % srv.appfile in err, "the bad hash's line", err)
    T.expect_true('%s:3: "alice": "phone" is on line 2 already'
                  % srv.appfile in err, "the label twice", err)
    configure(srv, ["alice " + rec])
    srv.appkey = keyfile(srv)
    os.chmod(srv.appkey, 0o644)
    rc, out = srv.check_config()
    T.expect_true(rc == 1 and "app-passwords key %s: others may read it"
                  % keyfile(srv) in out, "a key others may read", out)
    os.unlink(keyfile(srv))
    rc, out = srv.check_config()
    T.expect_true(rc == 1 and "app-passwords key %s: " % srv.appkey in out,
                  "no key", out)
    keyfile(srv)
    pw = os.path.join(srv.tmpdir, "dovecot-users")
    with open(pw, "w") as f:
        f.write("alice:{PLAIN}x:1000:1000::/tmp::\n")
    srv.conf_extra = ('table dove "passwd-file:%s"\napp-passwords <dove> '
                      'key "%s"\n' % (pw, keyfile(srv)))
    rc, out = srv.check_config()
    T.expect_true(rc == 1 and "a passwd-file has no app passwords" in out,
                  "passwd-file", out)
    configure(srv, ["alice " + rec])
    rc, out = srv.check_config()
    T.expect((rc, out.strip()[-16:]), (0, "configuration OK"),
             "a good configuration")


@T.test(start=False, users=USERS)
def last_file_only_a_regular_one(srv):
    """The last uses' state file, opened read-write by root for the
    control process: a FIFO at its name is refused without being opened
    (a writer that opens it without waiting finds no reader) and logged
    naming the file; so is a symbolic link; logins go on.  Made 0600 if
    missing."""
    phone, prec = make_app(srv, "alice", "phone")
    configure(srv, ["alice " + prec])
    os.makedirs(os.path.dirname(srv.applast), 0o700)
    os.mkfifo(srv.applast, 0o600)
    srv.start()
    want = "app-passwords last %s: not a regular file, not kept" % \
        srv.applast
    srv.wait_log(want)
    try:
        fd = os.open(srv.applast, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        opened = True
    except OSError as e:
        opened = e.errno != errno.ENXIO
    T.expect(opened, False, "a reader on the FIFO")
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "the phone")
    srv.stop()
    os.unlink(srv.applast)
    os.symlink(srv.appfile, srv.applast)
    srv.start()
    srv.wait_log(want)
    T.expect(answer(srv, "alice", phone)[:3], b"+OK", "the phone, a link")
    srv.stop()
    os.unlink(srv.applast)
    srv.start()
    T.wait_for(lambda: os.path.isfile(srv.applast), what="the state file")
    T.expect(oct(os.stat(srv.applast).st_mode & 0o777), "0o600",
             "the state file's mode")


@T.test(start=False, users=USERS)
def reload_adds_and_drops_app_passwords(srv):
    """A reload that adds app passwords makes them work at once; one
    that removes them leaves the main password, the app password is a
    wrong one, and popctl show app-passwords says popd.conf has none."""
    phone, prec = make_app(srv, "alice", "phone")
    srv.start()
    T.expect(answer(srv, "alice", "alice-main")[:3], b"+OK", "alice")
    configure(srv, ["alice " + prec])
    srv._write(srv.conffile, srv.config()[0], 0o644)
    reload(srv)
    T.wait_for(lambda: answer(srv, "alice", phone)[:3] == b"+OK",
               what="the phone after a reload that adds app passwords")
    T.expect_true("phone" in show(srv, "alice"), "popctl shows the phone")
    srv.conf_extra = ""
    srv._write(srv.conffile, srv.config()[0], 0o644)
    reload(srv)
    T.wait_for(lambda: len(T.authpops(srv)) == 1, what="one authpop")
    T.expect(answer(srv, "alice", phone)[:len(AUTH)], AUTH,
             "the phone, with no app passwords configured")
    T.expect(answer(srv, "alice", "alice-main")[:3], b"+OK", "alice after")
    rc, out, err = srv.popctl("show", "app-passwords", "alice")
    T.expect((rc, err.strip()), (1, "popctl: popd.conf has no "
                                 "app-passwords"), "popctl after")


if __name__ == "__main__":
    T.main(users=USERS)
