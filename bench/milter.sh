#!/bin/sh
# milter.sh - Postfix with and without deputy-milter, side by side
#
#	sh bench/milter.sh [-b BUILDDIR] [-m MESSAGES] [-r ROUNDS]
#			   [-s "SESSIONS..."] [-C PER-SESSION] [--ldap]
#
# One private Postfix (tests/integration/lib.sh's postfix_setup) with
# smtpd listeners on loopback that differ only in smtpd_milters: none;
# a minimal libmilter filter that changes nothing (the stand-in of
# tests/integration, default protocol options: the fixed cost of any
# milter); and deputy-milter, each on a Unix socket (milter_protocol 6,
# milter_default_action tempfail). Mail goes to the discard transport,
# so what is measured is the SMTP transaction: Postfix's smtp-source
# sends MESSAGES messages of 1 kB (default 2000) over each number of
# parallel SESSIONS (default "1 10"), from sender@partner.example to
# alice@example.org, one message per SMTP session (-C: more; Postfix
# opens one milter connection per SMTP session), and the clock stops
# when smtp-source has its last reply; the queue is left to empty
# before the next run. The runs alternate, without, minimal, then
# deputy-milter, ROUNDS times (default 3), so that the machine's other
# load falls on all alike.
#
# deputy-milter does its real work on each message: the recipient
# looked up in the directory (an LDIF file; with --ldap a private slapd
# on loopback, deputy's schema, one persistent connection per worker
# thread), the refused senders checked, BATV on for example.org, every
# header field read for the strip decision.
#
# Prints one line per run and a table: messages per second, median of
# the rounds, and the ratio deputy-milter/without (the goal is at least
# 0.90); the minimal filter shows how much of the cost any milter has.
# A measurement, not a test: nothing here fails. Needs root, postfix
# (smtp-source), a built deputy-milter; slapd for --ldap.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here
msgs=2000
rounds=3
sessions="1 10"
per_session=1
ldap=0
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$2; shift 2 ;;
	-m) msgs=$2; shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	-s) sessions=$2; shift 2 ;;
	-C) per_session=$2; shift 2 ;;
	--ldap) ldap=1; shift ;;
	-h|--help) sed -n '2,37p' "$0"; exit 0 ;;
	*) echo "milter.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
DEPUTY_MILTER=$build/deputy-milter
for need in /usr/sbin/postfix "$SMTP_SOURCE" "$DEPUTY_MILTER"; do
	if [ ! -x "$need" ]; then
		echo "milter.sh: $need missing (postfix, or build deputy-milter: libmilter-dev)" >&2
		exit 77
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "milter.sh: a private Postfix needs root" >&2
	exit 77
fi

srcdir=$here
top_builddir=$build
DEPUTY_LDA=$build/deputy-lda
export srcdir top_builddir DEPUTY_LDA
. "$here/tests/integration/lib.sh"

setup_env
milter_pid=""
bench_cleanup() {
	for p in $milter_pid ${minimal_pid:-}; do
		kill "$p" 2>/dev/null
		n=100
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	integration_cleanup
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM

dirconf="	ldif_file = \"$T/directory.ldif\""
if [ "$ldap" -eq 1 ]; then
	if ! slapd_setup >/dev/null 2>&1 || ! slapd_start >/dev/null; then
		echo "milter.sh: slapd did not start" >&2
		exit 1
	fi
	dirconf="	backend = \"ldap\"
	uri = {\"$LDAP_URI\"}
	base = \"$BASE\"
	tls = \"none\"
	alias_attributes = {\"mailLocalAddress\"}"
fi
printf '1 %s\n' "$(head -c 24 /dev/urandom | base64)" >"$T/batv.key"
chmod 600 "$T/batv.key"
mkdir -p "$T/msock"
cat >"$T/deputy.conf" <<CONF
directory {
$dirconf
}
log {
	file = "$T/log"
}
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
spam {
	trusted_headers = {"X-Spam-Score", "X-Spam-Status"}
}
milter {
	socket = "unix:$T/msock/milter.sock"
	socket_mode = "0666"
	recipient_domains = {"example.org"}
	batv_key_file = "$T/batv.key"
	batv_domains = {"example.org"}
	directory_connections = 16
}
CONF
chown -R nobody: "$T"

postfix_setup "example.org=discard: partner.example=discard:" || {
	echo "milter.sh: postfix check failed:" >&2
	cat "$T/pf/check.log" >&2
	exit 1
}
P=$T/pf
NOMILTER_PORT=$SMTP_PORT
MILTER_PORT=$(free_port)
[ "$MILTER_PORT" = "$NOMILTER_PORT" ] && MILTER_PORT=$((MILTER_PORT + 1))
MIN_PORT=$(free_port)
while [ "$MIN_PORT" = "$NOMILTER_PORT" ] || [ "$MIN_PORT" = "$MILTER_PORT" ]; do
	MIN_PORT=$((MIN_PORT + 1))
done
cat >>"$P/etc/master.cf" <<CF
127.0.0.1:$MILTER_PORT inet n - n - - smtpd
  -o smtpd_milters=unix:$T/msock/milter.sock
127.0.0.1:$MIN_PORT inet n - n - - smtpd
  -o smtpd_milters=unix:$T/msock/minimal.sock
CF
cat >>"$P/etc/main.cf" <<CF
smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 200
CF

setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    "$DEPUTY_MILTER" -c "$T/deputy.conf" >"$T/milter.out" 2>&1 &
milter_pid=$!
minimal_pid=""
if [ -x "$build/tests/integration/standin-milter" ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh -c \
	    "umask 0; exec $build/tests/integration/standin-milter unix:$T/msock/minimal.sock mx.example.org" \
	    >"$T/minimal.out" 2>&1 &
	minimal_pid=$!
	wait_for 10 test -S "$T/msock/minimal.sock"
fi
if ! wait_for 10 test -S "$T/msock/milter.sock"; then
	echo "milter.sh: deputy-milter did not start:" >&2
	cat "$T/milter.out" "$T/log" >&2
	exit 1
fi
postfix_start || { echo "milter.sh: postfix did not start" >&2; exit 1; }
wait_for 10 sh -c "ss -Htln 'sport = :$MILTER_PORT' | grep -q ."

# one_run PORT SESSIONS: messages per second of one smtp-source run
one_run() {
	t0=$(date +%s.%N)
	"$SMTP_SOURCE" -s "$2" -m "$msgs" -C "$per_session" -l 1024 \
	    -f sender@partner.example \
	    -t alice@example.org "127.0.0.1:$1" >"$T/source.out" 2>&1
	src=$?
	t1=$(date +%s.%N)
	wait_for 120 pf_queue_empty
	if [ "$src" -ne 0 ]; then
		echo "milter.sh: smtp-source failed: $(head -3 "$T/source.out")" >&2
		echo 0
		return
	fi
	echo "$t0 $t1 $msgs" | awk '{ printf "%.1f\n", $3 / ($2 - $1) }'
}

# median of the numbers on stdin
median() {
	sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
	    else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# warm up: the directory read, the processes forked
one_run "$MILTER_PORT" 2 >/dev/null
one_run "$NOMILTER_PORT" 2 >/dev/null

echo "# deputy-milter benchmark: $msgs messages of 1 kB per run," \
    "$per_session per SMTP session, $rounds rounds," \
    "directory $( [ "$ldap" -eq 1 ] && echo "LDAP (slapd)" || echo LDIF)," \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $sessions; do
	: >"$T/without.$s"
	: >"$T/with.$s"
	: >"$T/minimal.$s"
	r=1
	while [ "$r" -le "$rounds" ]; do
		a=$(one_run "$NOMILTER_PORT" "$s")
		m=-
		[ -n "$minimal_pid" ] && m=$(one_run "$MIN_PORT" "$s")
		b=$(one_run "$MILTER_PORT" "$s")
		echo "$a" >>"$T/without.$s"
		echo "$b" >>"$T/with.$s"
		echo "$m" >>"$T/minimal.$s"
		echo "# sessions=$s round=$r without=$a minimal=$m deputy-milter=$b msg/s"
		r=$((r + 1))
	done
done
rejects=$(grep -c 'milter: reject\|milter: tempfail' "$T/log")
echo
echo "| sessions | without milter | minimal milter | deputy-milter | deputy-milter / without | deputy-milter / minimal |"
echo "| --- | --- | --- | --- | --- | --- |"
for s in $sessions; do
	a=$(median <"$T/without.$s")
	b=$(median <"$T/with.$s")
	m=$(grep -v '^-' "$T/minimal.$s" | median)
	ratio=$(echo "$a $b" | awk '{ if ($1 > 0) printf "%.2f", $2 / $1; else print "-" }')
	mratio=$(echo "${m:-0} $b" | awk '{ if ($1 > 0) printf "%.2f", $2 / $1; else print "-" }')
	echo "| $s | $a | ${m:--} | $b | $ratio | $mratio |"
done
echo "(messages per second)"
echo
echo "# medians of $rounds rounds; deputy-milter refused or deferred $rejects" \
    "transactions (should be 0); goal: ratio >= 0.90"
