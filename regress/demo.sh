#!/bin/sh
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
#
# make demo: run popd from the build tree in the foreground on
# 127.0.0.1:9950 with a demo user (demo/demo) and three messages, all
# under the git-ignored folder demo/.  Works as root (full privilege
# separation, mail user "popdemo") and as any other user (no uid changes).
set -eu

cd "$(dirname "$0")/.."
TOP=$(pwd)
DEMO=$TOP/demo
PORT=${PORT:-9950}
ADDR=127.0.0.1:$PORT

if [ ! -x popd/popd ] || [ ! -x listener/listener ] || \
    [ ! -x lmtp/lmtp ] || [ ! -x control/control ] || \
    [ ! -x authpop/authpop ] || [ ! -x wrkrpop/wrkrpop ] || \
    [ ! -x popdpass/popdpass ] || [ ! -x popctl/popctl ]; then
	echo "demo: build first: make" >&2
	exit 1
fi

mkdir -p "$DEMO"
chmod 755 "$DEMO"

if [ "$(id -u)" = 0 ]; then
	if [ -f popd/mkusers.sh ]; then
		sh popd/mkusers.sh
	fi
	# popd refuses a mail user of a system group (gid below 1000).
	groupadd -f popdemo
	if [ "$(getent group popdemo | cut -d: -f3)" -lt 1000 ]; then
		groupmod -g "$(awk -F: '$3 >= 1000 && $3 < 60000 &&
		    $3 > m { m = $3 } END { print m < 1000 ? 1000 : m + 1 }' \
		    /etc/group)" popdemo
	fi
	if ! id popdemo >/dev/null 2>&1; then
		useradd -r -M -d /nonexistent -g popdemo -s /usr/sbin/nologin \
		    popdemo
		echo "demo: created system user popdemo"
	fi
	usermod -g popdemo popdemo
	uid=$(id -u popdemo)
	gid=$(id -g popdemo)
else
	uid=$(id -u)
	gid=$(id -g)
fi

if [ ! -f "$DEMO/cert.pem" ] || [ ! -f "$DEMO/key.pem" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$DEMO/key.pem" -out "$DEMO/cert.pem" -days 365 \
	    -subj /CN=localhost 2>/dev/null
	chmod 600 "$DEMO/key.pem"
fi

umask 077
{
	printf '# demo credentials: user demo, password demo\n'
	printf 'demo\n' | popdpass/popdpass -s -c 10 demo
} >"$DEMO/authtab"
umask 022
printf 'demo\t%s:%s:%s\n' "$uid" "$gid" "$DEMO/home" >"$DEMO/usertab"

cat >"$DEMO/popd.conf" <<EOF
# popd.conf(5) for the demo, written by regress/demo.sh.
authtab "$DEMO/authtab"
usertab "$DEMO/usertab"
maildir "Maildir"
pki localhost cert "$DEMO/cert.pem"
pki localhost key "$DEMO/key.pem"
listen on 127.0.0.1 port $PORT tls
control socket "$DEMO/popd.sock"
EOF
popd/popd -n -f "$DEMO/popd.conf"

MD=$DEMO/home/Maildir
if [ ! -d "$MD/new" ]; then
	umask 077
	mkdir -p "$MD/tmp" "$MD/new" "$MD/cur"
	now=$(date +%s)
	i=1
	for subj in "Welcome to popd" "A second message" "Last one"; do
		name=$now.M${i}P$$.demo
		{
			printf 'From: popd demo <demo@localhost>\n'
			printf 'To: demo@localhost\n'
			printf 'Subject: %s\n' "$subj"
			printf 'Date: %s\n' "$(LC_ALL=C date -R)"
			printf 'Message-ID: <%s@localhost>\n' "$name"
			printf '\n'
			printf 'This is demo message %d of 3.\n' "$i"
			printf '.A line starting with a dot (dot-stuffed on RETR).\n'
			printf '\nBye.\n'
		} >"$MD/tmp/$name"
		mv "$MD/tmp/$name" "$MD/new/$name"
		i=$((i + 1))
	done
	umask 022
fi
chmod 700 "$DEMO/home" "$MD"
if [ "$(id -u)" = 0 ]; then
	chown -R "$uid:$gid" "$DEMO/home"
	# The worker runs as popdemo: every directory above the maildir
	# must be searchable by it.
	if command -v runuser >/dev/null 2>&1 &&
	    ! runuser -u popdemo -- test -x "$DEMO/home"; then
		echo "demo: user popdemo cannot reach $DEMO/home;" \
		    "make the checkout world-searchable (chmod o+x) or" \
		    "move it out of a private directory" >&2
		exit 1
	fi
fi

cat <<EOF

popd demo on $ADDR -- user "demo", password "demo", three messages.
From another terminal:

  curl -k --user demo:demo pop3s://$ADDR/        # list
  curl -k --user demo:demo pop3s://$ADDR/1       # fetch message 1
  openssl s_client -connect $ADDR -quiet        # talk POP3 yourself:
      USER demo / PASS demo / STAT / LIST / UIDL / RETR 1 / QUIT
  popctl/popctl -s $DEMO/popd.sock show sessions   # who is on

Files: $DEMO (popd.conf, authtab, usertab, cert.pem, home/Maildir,
popd.sock)
Stop with Ctrl-C.

EOF
exec popd/popd -d -v -f "$DEMO/popd.conf"
