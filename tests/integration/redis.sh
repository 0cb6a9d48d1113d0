#!/bin/sh
# redis.sh - deputy's state on Redis with Sentinel, two delivery hosts (TAP)
#
# A master, a replica and three Sentinels on loopback (redis-lib.sh),
# and a standalone server for the faults. Two deputy "hosts": two
# configurations, each with its own spool, Maildir root and log, the
# same Redis (through the sentinels) and the same LDIF directory, where
# alice is away and bob is her delegate. sendmail is a recorder.
#
# 1. 1,000 messages from 50 senders to alice, eight deputy-lda at a
#    time, alternating the hosts: exactly 50 notices (one per sender),
#    1,000 mailbox copies, 1,000 forwards, every exit 0.
# 2. The same with 50 other senders and the master killed (SIGKILL)
#    after a quarter of them; Sentinel fails over, the old master comes
#    back as a replica: at most one notice per sender, nothing lost or
#    duplicated; the suppressed notices are counted by reason.
# 3. Faults, on the standalone server: Redis down at start (then up),
#    killed mid-run (and back, empty), stopped (SIGSTOP), full
#    (maxmemory, noeviction), a wrong password, garbage values in
#    deputy's keys: never a message lost or duplicated, never a notice
#    without its dedupe record, never an exit but 0 or 75, one
#    "fails since" line per episode and host.
#
#	REDIS_MESSAGES=1000 REDIS_SENDERS=50 sh tests/integration/redis.sh
#
# The time each part takes goes to the TAP diagnostics.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/integration/redis-lib.sh"

N=${REDIS_MESSAGES:-1000}
NS=${REDIS_SENDERS:-50}
PAR=8

if ! redis_have; then
	skip "redis-server, redis-sentinel or redis-cli not installed (scripts/packages/integration.txt)"
	done_testing
	exit 0
fi

setup_env
trap 'redis_stop_all; integration_cleanup' EXIT
trap 'exit 1' INT TERM
t_start=$(date +%s)
u=$(id -un)
[ "$(id -u)" -eq 0 ] && u=nobody

# --- the servers ----------------------------------------------------------

t=$(date +%s%N)
if ! redis_cluster_start; then
	ok 1 "master, replica and three sentinels on loopback"
	for f in "$T"/redis/*/log; do tail -n 5 "$f" | sed "s|^|# $f: |"; done
	done_testing
	exit 1
fi
ok 0 "master :$RM, replica :$RR, sentinels :$S1 :$S2 :$S3 ready in $(( ($(date +%s%N) - t) / 1000000 )) ms"

printf '%s\n' "$REDIS_PASS" >"$T/redis.pass"
printf 'not-the-password\n' >"$T/wrong.pass"
chmod 600 "$T/redis.pass" "$T/wrong.pass"
chown "$u" "$T/redis.pass" "$T/wrong.pass" 2>/dev/null

# --- the hosts ------------------------------------------------------------

# host_conf NAME STATE-LINE...: $T/NAME/deputy.conf, its own spool,
# Maildir root and log
host_conf() {
	h=$T/$1; name=$1; shift
	mkdir -p "$h/spool" "$h/mail"
	{
		cat <<CONF
directory {
	ldif_file = "$T/directory.ldif"
}
policy {
	rate_per_recipient = 1000
	rate_per_domain = 1000
	rate_global = 100000
}
delivery {
	maildir = "$h/mail/%d/%l/Maildir"
	spool_dir = "$h/spool"
	deadline = 60
}
submission {
	sendmail = "$T/bin/sendmail"
	timeout = 10
	hostname = "$name.example.org"
}
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
spam {
	trusted_headers = {"X-Spam-Score"}
}
templates {
	dir = "$srcdir/templates"
}
log {
	file = "$h/log"
}
state {
	backend = "redis"
	path = "$h/state.lmdb"
	redis_password_file = "$T/redis.pass"
	redis_connect_timeout_ms = 300
	redis_timeout_ms = 300
CONF
		for l in "$@"; do echo "	$l"; done
		echo '}'
	} >"$h/deputy.conf"
	: >"$h/log"
	chown -R "$u" "$h" 2>/dev/null
	return 0
}

SENT="redis_sentinels = {\"127.0.0.1:$S1\", \"127.0.0.1:$S2\", \"127.0.0.1:$S3\"}"
host_conf mx1 "$SENT"
host_conf mx2 "$SENT"

# the runner: deliver MSG-FILE through HOST's config, as the MTA would
# (as nobody when root); the exit status to $T/rc/RUN.I
cat >"$T/deliver" <<EOF
#!/bin/sh
# deliver RUN I HOST SENDER
m=$T/msg/\$1.\$2.eml
if [ "\$(id -u)" -eq 0 ]; then
	set -- "\$@" setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env --
else
	set -- "\$@"
fi
run=\$1; i=\$2; host=\$3; sender=\$4; shift 4
t0=\$(date +%s%N)
"\$@" "$DEPUTY_LDA" -c "$T/\$host/deputy.conf" -f "\$sender" -- alice@example.org <"\$m" >/dev/null 2>&1
rc=\$?
echo "\$rc \$(( (\$(date +%s%N) - t0) / 1000000 ))" >"$T/rc/\$run.\$i"
EOF
chmod 755 "$T/deliver"
mkdir -p "$T/msg" "$T/rc"
chown "$u" "$T/msg" "$T/rc" 2>/dev/null

# make_msgs RUN COUNT SENDER-PREFIX NSENDERS: the messages of a run
make_msgs() {
	i=0
	while [ "$i" -lt "$2" ]; do
		i=$((i + 1))
		s=$3$(( i % $4 ))@d$(( i % $4 % 7 )).example
		{
			printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "$s"
			printf 'X-Spam-Score: 0.0\n'
			printf 'Received: from mail.d.example (mail.d.example [192.0.2.1])\n'
			printf '\tby mx.example.org (Postfix) with ESMTPS id R%s%s;\n' "$1" "$i"
			printf '\tTue, 22 Dec 2026 09:14:02 +0100 (CET)\n'
			printf 'From: <%s>\nTo: Alice <alice@example.org>\n' "$s"
			printf 'Subject: %s %s\nMessage-ID: <%s.%s@d.example>\n\n' "$1" "$i" "$1" "$i"
			printf 'Hello Alice, message %s of run %s.\n' "$i" "$1"
		} >"$T/msg/$1.$i.eml"
		echo "$1 $i mx$(( i % 2 + 1 )) $s"
	done >"$T/msg/$1.list"
	chmod 644 "$T/msg/$1".*.eml
}

# run_all RUN: deliver the run's list, $PAR at a time
run_all() {
	xargs -P "$PAR" -L 1 "$T/deliver" <"$T/msg/$1.list"
}

# new_sent: a fresh recorder directory (the last one moved aside)
new_sent() {
	[ -d "$T/sent" ] && mv "$T/sent" "$T/sent.$1"
	mkdir -p "$T/sent"
	chown "$u" "$T/sent" 2>/dev/null
	return 0
}

# sent_dir DIR: "notices forwards" handed to sendmail; notices go from
# <> (the 3rd argv word empty), forwards to bob
sent_counts() {
	awk 'FNR == 3 && $0 == "" { n++ } FNR == 5 && $0 == "bob@example.org" { f++ }
	    END { print n + 0, f + 0 }' "$1"/*.argv 2>/dev/null || echo "0 0"
}

# notice_rcpts DIR: the recipient of every notice, one a line
notice_rcpts() {
	awk 'FNR == 3 && $0 == "" { n = 1 } FNR == 5 && n { print; n = 0 }
	    FNR == 1 { n = 0 }' "$1"/*.argv 2>/dev/null
}

# msgids FILES...: the distinct Message-IDs of RUN among FILES
msgids() {
	run=$1; shift
	grep -h "^Message-ID: <$run\." "$@" 2>/dev/null | sort -u | wc -l
}

# mailbox_ids RUN: distinct Message-IDs of RUN in alice's Maildirs
mailbox_ids() {
	find "$T"/mx[1-5]/mail -path '*/alice/Maildir/new/*' \
	    -type f 2>/dev/null | xargs -r grep -h "^Message-ID: <$1\." | sort | uniq -c |
	    awk '{ n++; if ($1 != 1) dup++ } END { print n + 0, dup + 0 }'
}

# exits RUN: "zeros seventy-fives others max-ms"
exits() {
	cat "$T/rc/$1".* 2>/dev/null | awk '
	    $1 == 0 { z++ } $1 == 75 { s++ } $1 != 0 && $1 != 75 { o++ }
	    $2 > max { max = $2 } { t[NR] = $2 }
	    END { print z + 0, s + 0, o + 0, max + 0 }'
}

# retry_75 RUN: deliver again what ended in 75, as the MTA would
retry_75() {
	for f in "$T/rc/$1".*; do
		read -r rc _ <"$f"
		[ "$rc" = 75 ] || continue
		i=${f##*.}
		grep "^$1 $i " "$T/msg/$1.list" | xargs -L 1 "$T/deliver"
	done
}

# reasons HOST-LOGS...: notice_reason counts of the decision lines
reasons() {
	grep -h ' msgid=<' "$@" 2>/dev/null | sed -n 's/.*notice_reason=\([^ ]*\).*/\1/p' |
	    sort | uniq -c | awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " }'
}

# dedupe_key SENDER: the Redis key of alice's notice record for SENDER
dedupe_key() {
	printf 'alice@example.org\0%s\0notice\0' "$1" | sha256sum |
	    cut -c1-32 | sed 's/^/deputy:n:/'
}

# fault_ok RUN COUNT DESCRIPTION: nothing lost or duplicated, exits 0/75
fault_ok() {
	retry_75 "$1"
	set -- "$1" "$2" "$3" $(exits "$1") $(mailbox_ids "$1")
	fw=$(msgids "$1" "$T"/sent/*.eml)
	[ "$6" -eq 0 ] && [ "$8" -eq "$2" ] && [ "$9" -eq 0 ] && [ "$fw" -eq "$2" ]
	ok $? "$3: exits 0/75 only ($4 zero, $5 seventy-five, $6 other; slowest $7 ms), $8 of $2 in the mailbox (${9} twice), $fw forwarded once each"
}
notices_of() { notice_rcpts "$T/sent" | grep -c "^$1" ; }

# --- 1. two hosts, concurrently ---------------------------------------

new_sent run1
make_msgs r1 "$N" s "$NS"
t=$(date +%s%N)
run_all r1
ms=$(( ($(date +%s%N) - t) / 1000000 ))
set -- $(exits r1)
diag "run 1: $N deliveries through two hosts, $PAR at a time, in $ms ms (slowest $4 ms)"
[ "$1" -eq "$N" ]
ok $? "run 1: every deputy-lda exited 0 ($1 of $N; $2 exit 75, $3 other)"
set -- $(sent_counts "$T/sent")
notices=$1; forwards=$2
[ "$notices" -eq "$NS" ]
ok $? "run 1: exactly $NS notices for $NS senders ($notices)"
[ "$(notice_rcpts "$T/sent" | sort -u | wc -l)" -eq "$notices" ]
ok $? "run 1: no sender got two"
[ "$forwards" -eq "$N" ] && [ "$(msgids r1 "$T"/sent/*.eml)" -eq "$N" ]
ok $? "run 1: $N forwards to bob, one per message ($forwards)"
set -- $(mailbox_ids r1)
[ "$1" -eq "$N" ] && [ "$2" -eq 0 ]
ok $? "run 1: $N mailbox copies over both hosts, none twice ($1, $2 twice)"
n1=$(find "$T/mx1/mail" -path '*/new/*' -type f | wc -l)
n2=$(find "$T/mx2/mail" -path '*/new/*' -type f | wc -l)
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ]
ok $? "run 1: both hosts delivered ($n1 + $n2) and both sent notices ($(grep -c 'notice=sent' "$T/mx1/log") + $(grep -c 'notice=sent' "$T/mx2/log"))"
missing=0
for s in $(notice_rcpts "$T/sent" | sort -u); do
	v=$(rcli "$RM" GET "$(dedupe_key "$s")")
	case $v in ''|*[!0-9]*) missing=$((missing + 1)) ;; esac
done
[ "$missing" -eq 0 ]
ok $? "run 1: every notice has its dedupe record in Redis ($missing missing)"
keys=$(rcli "$RM" DBSIZE)
mem=$(rcli "$RM" INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r')
diag "run 1: $keys keys in Redis, used_memory $mem bytes"
cat "$T/mx1/log" "$T/mx2/log" >"$T/run1.log"

# --- 2. the master killed in the middle ---------------------------------

: >"$T/mx1/log"; : >"$T/mx2/log"
new_sent run2
make_msgs r2 "$N" f "$NS"
old=$(sentinel_master)
t=$(date +%s%N)
run_all r2 &
runner=$!
while [ "$(ls "$T/rc" | grep -c '^r2\.')" -lt $((N / 4)) ]; do sleep 0.05; done
kill -9 "$(redis_pid m)"
t_kill=$(date +%s%N)
done_at_kill=$(ls "$T/rc" | grep -c '^r2\.')
wait_for 30 sh -c "[ \"\$(redis-cli -p $S1 SENTINEL get-master-addr-by-name deputy | paste -sd: -)\" != \"$old\" ]"
new=$(sentinel_master)
t_failover=$(( ($(date +%s%N) - t_kill) / 1000000 ))
done_at_failover=$(ls "$T/rc" | grep -c '^r2\.')
# the old master comes back as a replica of the new one
redis_conf m "$RM" "${new##*:}" && redis_run m
wait_for 20 replica_online "${new##*:}"
t_replica=$(( ($(date +%s%N) - t_kill) / 1000000 ))
done_at_replica=$(ls "$T/rc" | grep -c '^r2\.')
wait "$runner"
ms=$(( ($(date +%s%N) - t) / 1000000 ))
diag "run 2: master $old killed after $done_at_kill deliveries; sentinels named $new after $t_failover ms ($done_at_failover done); the old master a replica again after $t_replica ms ($done_at_replica done); all $N in $ms ms"
set -- $(exits r2)
seventyfive=$2
[ "$3" -eq 0 ]
ok $? "run 2: every exit 0 or 75 ($1 zero, $2 seventy-five, $3 other; slowest $4 ms)"
retry_75 r2
set -- $(sent_counts "$T/sent")
notices=$1; forwards=$2
[ "$notices" -le "$NS" ] && [ "$(notice_rcpts "$T/sent" | sort -u | wc -l)" -eq "$notices" ]
ok $? "run 2: at most one notice per sender ($notices notices, $NS senders)"
[ "$forwards" -eq "$N" ] && [ "$(msgids r2 "$T"/sent/*.eml)" -eq "$N" ]
ok $? "run 2: $N forwards, one per message ($forwards)"
set -- $(mailbox_ids r2)
[ "$1" -eq "$N" ] && [ "$2" -eq 0 ]
ok $? "run 2: $N mailbox copies, none twice ($1, $2 twice)"
missing=0
for s in $(notice_rcpts "$T/sent" | sort -u); do
	v=$(rcli "${new##*:}" GET "$(dedupe_key "$s")")
	case $v in ''|*[!0-9]*) missing=$((missing + 1)) ;; esac
done
[ "$missing" -eq 0 ]
ok $? "run 2: every notice sent has its dedupe record on the new master ($missing missing)"
diag "run 2: decisions by notice reason: $(reasons "$T/mx1/log" "$T/mx2/log"); retried after 75: $seventyfive"
diag "run 2: senders without a notice: $((NS - notices)); the state errors of run 2, by kind: $(grep -ho 'state: redis[^;]*' "$T/mx1/log" "$T/mx2/log" | grep -v 'store fails since' | sed 's/127\.0\.0\.1:[0-9]*/HOST/g; s/ in [0-9]* ms//' | sort | uniq -c | sort -rn | awk '{ n = $1; $1 = ""; printf "%s%sx%s", sep, n, $0; sep = " |" }')"
# one more message through each host, now that a replica keeps writes,
# and more than 5 s after the last failure (an episode ends only then:
# a store coming back fails and works by turns for a moment)
sleep 6
make_msgs r2b 2 after 2
run_all r2b
fault_ok r2b 2 "run 2, after the failover"
[ "$(notices_of after)" -eq 2 ]
ok $? "run 2, after the failover: a new sender gets a notice again, on each host"
f1=$(grep -c 'store fails since' "$T/mx1/log"); f2=$(grep -c 'store fails since' "$T/mx2/log")
w1=$(grep -c 'store works again' "$T/mx1/log"); w2=$(grep -c 'store works again' "$T/mx2/log")
[ "$f1" -le 1 ] && [ "$f2" -le 1 ] && [ $((f1 + f2)) -ge 1 ] && [ "$w1" -eq "$f1" ] && [ "$w2" -eq "$f2" ]
ok $? "run 2: the outage logged once per host ($f1, $f2 \"fails since\"; $w1, $w2 \"works again\")"

# --- 3. faults, on a standalone server ------------------------------------

RS=$(redis_ports 1)
host_conf mx3 "redis_servers = {\"127.0.0.1:$RS\"}"
host_conf mx4 "redis_servers = {\"127.0.0.1:$RS\"}" \
    "redis_password_file = \"$T/wrong.pass\""
sed -i 's|redis_password_file = "[^"]*/redis.pass"||' "$T/mx4/deputy.conf"
# run_on HOST RUN COUNT PREFIX: COUNT messages from COUNT senders via HOST
run_on() {
	make_msgs "$2" "$3" "$4" "$3"
	sed -i "s/ mx[12] / $1 /" "$T/msg/$2.list"
	xargs -P "$PAR" -L 1 "$T/deliver" <"$T/msg/$2.list"
}
# no_notice_without_record PREFIX: every notice to PREFIX* has its key
no_notice_without_record() {
	m=0
	for s in $(notice_rcpts "$T/sent" | grep "^$1" | sort -u); do
		v=$(rcli "$RS" GET "$(dedupe_key "$s")")
		case $v in ''|*[!0-9]*) m=$((m + 1)) ;; esac
	done
	echo "$m"
}

# down at start: nothing listens yet
new_sent run3
: >"$T/mx3/log"
run_on mx3 a 20 down
fault_ok a 20 "Redis down at start"
[ "$(notices_of down)" -eq 0 ] && [ "$(grep -c 'store fails since' "$T/mx3/log")" -eq 1 ]
ok $? "Redis down at start: no notice, one \"fails since\" line for 20 deliveries ($(grep -c 'store fails since' "$T/mx3/log"))"
redis_conf solo "$RS" && redis_run solo && wait_for 10 rcli "$RS" ping
sleep 5
run_on mx3 b 20 up
fault_ok b 20 "Redis up again"
[ "$(notices_of up)" -eq 20 ] && [ "$(grep -c 'store works again' "$T/mx3/log")" -eq 1 ] &&
    [ "$(no_notice_without_record up)" -eq 0 ]
ok $? "Redis up again: 20 notices, each with its record; one \"works again\" line"

# killed mid-run, then back (empty: no persistence in this test)
make_msgs c 100 mid 100
sed -i "s/ mx[12] / mx3 /" "$T/msg/c.list"
xargs -P "$PAR" -L 1 "$T/deliver" <"$T/msg/c.list" &
runner=$!
while [ "$(ls "$T/rc" | grep -c '^c\.')" -lt 30 ]; do sleep 0.02; done
kill -9 "$(redis_pid solo)"
wait "$(redis_pid solo)" 2>/dev/null
while [ "$(ls "$T/rc" | grep -c '^c\.')" -lt 60 ]; do sleep 0.02; done
redis_run solo
wait "$runner"
wait_for 10 rcli "$RS" ping
fault_ok c 100 "Redis killed mid-run and started again"
diag "killed mid-run: $(notices_of mid) notices for 100 senders; $(reasons "$T/mx3/log")"

# stopped (SIGSTOP): every call waits for its timeout, no longer
kill -STOP "$(redis_pid solo)"
run_on mx3 d 16 stopped
kill -CONT "$(redis_pid solo)"
fault_ok d 16 "Redis stopped (SIGSTOP)"
[ "$(notices_of stopped)" -eq 0 ]
ok $? "Redis stopped: no notice"

# full: maxmemory with noeviction
rcli "$RS" CONFIG SET maxmemory-policy noeviction >/dev/null
used=$(rcli "$RS" INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r')
rcli "$RS" CONFIG SET maxmemory "$used" >/dev/null
run_on mx3 e 16 full
rcli "$RS" CONFIG SET maxmemory 0 >/dev/null
fault_ok e 16 "Redis full (maxmemory, noeviction)"
[ "$(notices_of full)" -eq 0 ] && grep -q 'OOM' "$T/mx3/log"
ok $? "Redis full: no notice, OOM in the log"

# a wrong password
: >"$T/mx4/log"
run_on mx4 g 10 wrongpw
fault_ok g 10 "a wrong Redis password"
[ "$(notices_of wrongpw)" -eq 0 ] && grep -q 'WRONGPASS\|invalid password\|invalid username' "$T/mx4/log" &&
    [ "$(grep -c 'store fails since' "$T/mx4/log")" -eq 1 ]
ok $? "a wrong password: no notice, the refusal logged once"

# garbage in deputy's keys, written by somebody else
hour=$(( $(date +%s) / 3600 ))
make_msgs h 4 junk 4
sed -i "s/ mx[12] / mx3 /" "$T/msg/h.list"
rcli "$RS" SET "$(dedupe_key junk1@d1.example)" "not a time" >/dev/null
rcli "$RS" RPUSH "$(dedupe_key junk2@d2.example)" x >/dev/null
d3=$(sha256sum <"$T/msg/h.3.eml" | cut -c1-64)
p3=$(printf '%s\0alice@example.org\0forwarded\0' "$d3" | sha256sum | cut -c1-32)
rcli "$RS" HSET "deputy:p:$p3" a b >/dev/null
xargs -P "$PAR" -L 1 "$T/deliver" <"$T/msg/h.list"
fault_ok h 4 "garbage values in deputy's keys"
[ "$(notices_of junk1)" -eq 0 ] && [ "$(notices_of junk2)" -eq 0 ] &&
    [ "$(notices_of junk3)" -eq 1 ] && [ "$(notices_of junk0)" -eq 1 ] &&
    [ "$(no_notice_without_record junk)" -eq 0 ]
ok $? "garbage: no notice where the record is garbage or of another type; the others sent, each with its record"
rcli "$RS" SET "deputy:r:r:alice@example.org:$hour" "12abc" >/dev/null
make_msgs i 2 cnt 2
sed -i "s/ mx[12] / mx3 /" "$T/msg/i.list"
xargs -P "$PAR" -L 1 "$T/deliver" <"$T/msg/i.list"
fault_ok i 2 "a garbage rate counter"
[ "$(notices_of cnt)" -eq 0 ] && grep -q 'not a number' "$T/mx3/log"
ok $? "a garbage rate counter: no notice, said in the log"

# --- 4. deputyd: one connection per worker, a new one after a failure ----

: "${DEPUTYD:=$top_builddir/deputyd}"
host_conf mx5 "redis_servers = {\"127.0.0.1:$RS\"}"
mkdir -p "$T/mx5/run"
cat >>"$T/mx5/deputy.conf" <<CONF
daemon {
	listen = {"unix:$T/mx5/run/lmtp"}
	workers = 1
}
CONF
chown -R "$u" "$T/mx5"
if [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
	    "$DEPUTYD" -c "$T/mx5/deputy.conf" >"$T/mx5/out" 2>&1 &
else
	"$DEPUTYD" -c "$T/mx5/deputy.conf" >"$T/mx5/out" 2>&1 &
fi
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; redis_stop_all; integration_cleanup' EXIT
wait_for 10 test -S "$T/mx5/run/lmtp"
# clients of the server other than redis-cli itself
conns() { rcli "$RS" CLIENT LIST | grep -vc 'cmd=client' ; }
rcli "$RS" FLUSHALL >/dev/null		# the garbage of part 3
run_on mx5 j 6 kept
fault_ok j 6 "deputyd, Redis up"
c1=$(conns)
[ "$(notices_of kept)" -eq 6 ] && [ "$c1" -eq 1 ] &&
    grep -q 'handed to deputyd\|msgid=<j\.' "$T/mx5/log"
ok $? "deputyd: $(notices_of kept) of 6 notices, one Redis connection kept by its worker between messages ($c1)"
kill -9 "$(redis_pid solo)"
wait "$(redis_pid solo)" 2>/dev/null
run_on mx5 k 3 gone
fault_ok k 3 "deputyd, Redis killed"
redis_run solo
wait_for 10 rcli "$RS" ping
sleep 6
run_on mx5 l 3 back
fault_ok l 3 "deputyd, Redis back"
[ "$(notices_of gone)" -eq 0 ] && [ "$(notices_of back)" -eq 3 ] && [ "$(conns)" -eq 1 ]
ok $? "deputyd: no notice while Redis was gone; after, 3 notices through a new connection"

all=$(ls "$T/rc" | wc -l)
diag "faults: $(reasons "$T/mx3/log" "$T/mx4/log")"
diag "$all deliveries in $(( $(date +%s) - t_start )) s"
done_testing
