#!/bin/sh
# redis-latency - what the Redis state backend costs a delivery, next
# to LMDB, on loopback; and what a notice record costs Redis in memory
#
#	sh bench/redis-latency.sh [-n MESSAGES] [-k RECORDS]
#
# Latency: MESSAGES deliveries (default 300) to an away user, each from
# a sender of its own, so that every one takes the whole state path
# (open, progress get, forward, progress record, notice claim, notice),
# through deputy-lda with three state configurations, interleaved
# message by message so that the machine's load falls on all alike:
#
#   lmdb       the default, a file on tmpfs-or-not as $TMPDIR is
#   redis      one redis-server, no Sentinel, no WAIT
#   sentinel   master + replica + three sentinels, WAIT 1 on writes
#
# Each delivery is timed from fork to exit (date +%s%N around the
# command); the table gives p50, p90 and the p50 difference to lmdb.
# The goal (Redis adds at most 1 ms at p50) is measured, not asserted.
#
# The state calls alone: bench/state-ops.c, built here against the
# tree's libdeputy.a, makes the calls one delivery makes (open, progress
# get, progress record, notice claim, close) MESSAGES times in one
# process, and gives their p50, p90 and max: the store's own cost,
# without the process start and parsing that dominate the first table.
#
# Memory: RECORDS notice records (default 100000) written the way
# deputy writes them (SET deputy:n:<32 hex> <time> EX 30 days) into an
# empty server, used_memory from INFO memory before and after.
#
# Needs redis-server, redis-sentinel, redis-cli; a built tree. Every
# process it starts is stopped by its pid; $T is removed at the end.

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$srcdir}"
: "${DEPUTY_LDA:=$top_builddir/deputy-lda}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/integration/redis-lib.sh"

N=300
K=100000
while getopts n:k:h o; do
	case $o in
	n) N=$OPTARG ;;
	k) K=$OPTARG ;;
	*) sed -n '2,32p' "$0"; exit 0 ;;
	esac
done
redis_have || { echo "redis-server, redis-sentinel or redis-cli missing"; exit 1; }
[ -x "$DEPUTY_LDA" ] || { echo "build deputy first ($DEPUTY_LDA)"; exit 1; }

setup_env
trap 'redis_stop_all; integration_cleanup' EXIT
trap 'exit 1' INT TERM
u=$(id -un)
[ "$(id -u)" -eq 0 ] && u=nobody

redis_cluster_start || { echo "the Redis cluster did not start"; exit 1; }
redis_solo_start || { echo "the standalone Redis did not start"; exit 1; }
printf '%s\n' "$REDIS_PASS" >"$T/redis.pass"
chmod 600 "$T/redis.pass"
chown "$u" "$T/redis.pass" 2>/dev/null

# conf NAME STATE-LINES...: $T/NAME.conf
conf() {
	name=$1; shift
	mkdir -p "$T/$name/spool" "$T/$name/mail"
	{
		sed '/^state {/,/^}/d; /^log {/,/^}/d; s|spool_dir = .*|spool_dir = "'"$T/$name/spool"'"|; s|maildir = .*|maildir = "'"$T/$name/mail"'/%d/%l/Maildir"|' "$T/deputy.conf"
		cat <<CONF
policy {
	rate_per_recipient = 0
	rate_per_domain = 0
	rate_global = 0
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
	file = "$T/$name/log"
}
state {
	path = "$T/$name/state.lmdb"
CONF
		for l in "$@"; do echo "	$l"; done
		echo '}'
	} >"$T/$name.conf"
	chown -R "$u" "$T/$name" "$T/$name.conf" 2>/dev/null
}
conf lmdb
conf redis 'backend = "redis"' "redis_servers = {\"127.0.0.1:$RS\"}" \
    "redis_password_file = \"$T/redis.pass\""
conf sentinel 'backend = "redis"' \
    "redis_sentinels = {\"127.0.0.1:$S1\", \"127.0.0.1:$S2\", \"127.0.0.1:$S3\"}" \
    "redis_password_file = \"$T/redis.pass\""

# msg I: a clean, authenticated message from a sender of its own
msg() {
	s=b$1@bench$(( $1 % 13 )).example
	{
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "$s"
		printf 'X-Spam-Score: 0.0\nFrom: <%s>\nTo: <alice@example.org>\n' "$s"
		printf 'Subject: bench %s\nMessage-ID: <bench.%s.%s@example>\n\n' "$1" "$1" "$2"
		printf 'A line of text.\n'
	} >"$T/m.eml"
	chmod 644 "$T/m.eml"
	echo "$s"
}

# one NAME I: one delivery through NAME's config; its time in µs
one() {
	s=$(msg "$2" "$1")
	t0=$(date +%s%N)
	as_user "$DEPUTY_LDA" -c "$T/$1.conf" -f "$s" -- alice@example.org \
	    <"$T/m.eml" >/dev/null 2>&1
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" -eq 0 ] || echo "# $1: exit $rc" >&2
	echo $(( (t1 - t0) / 1000 )) >>"$T/$1.us"
}

i=0
while [ "$i" -lt 5 ]; do		# warm up: page cache, first files
	i=$((i + 1))
	for c in lmdb redis sentinel; do one "$c" "w$i"; done
done
: >"$T/lmdb.us"; : >"$T/redis.us"; : >"$T/sentinel.us"
i=0
t=$(date +%s)
while [ "$i" -lt "$N" ]; do
	i=$((i + 1))
	for c in lmdb redis sentinel; do one "$c" "$i"; done
done

# pct FILE P: the P-th percentile, in µs
pct() { sort -n "$1" | awk -v p="$2" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print a[i] }'; }

echo "# $N deliveries per configuration, interleaved, in $(( $(date +%s) - t )) s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| state | p50 ms | p90 ms | p50 - lmdb ms | notices sent |"
echo "| --- | --- | --- | --- | --- |"
base=$(pct "$T/lmdb.us" 50)
for c in lmdb redis sentinel; do
	p50=$(pct "$T/$c.us" 50); p90=$(pct "$T/$c.us" 90)
	sent=$(grep -c 'notice sent' "$T/$c/log")
	awk -v c="$c" -v a="$p50" -v b="$p90" -v d="$base" -v s="$sent" 'BEGIN {
	    printf "| %s | %.2f | %.2f | %+.2f | %s |\n", c, a / 1000, b / 1000,
	    (a - d) / 1000, s }'
done
fails=$(grep -c 'fails since' "$T"/*/log | awk -F: '{ n += $2 } END { print n + 0 }')
[ "$fails" -eq 0 ] || echo "# $fails state failures in the logs: the numbers above are not all the full path"
for c in lmdb redis sentinel; do
	sent=$(grep -c 'notice sent' "$T/$c/log" 2>/dev/null)
	[ "${sent:-0}" -eq $((N + 5)) ] ||
	    echo "# WARNING: $c sent ${sent:-0} notices, not $((N + 5)): not every delivery took the full path"
done

# --- the state calls alone (bench/state-ops.c), in one process ---------------
# what one away-user delivery asks of the store: open, progress get,
# progress record, notice claim, close; no process start, no parsing
cc -std=gnu11 -O2 -I"$top_builddir" -I"$srcdir/gateway" \
    $(pkg-config --cflags glib-2.0) -o "$T/state-ops" "$srcdir/bench/state-ops.c" \
    "$top_builddir/libdeputy.a" $(pkg-config --libs glib-2.0 lmdb hiredis) 2>"$T/cc.log" ||
    { echo "# state-ops does not build:"; sed 's/^/#   /' "$T/cc.log"; exit 1; }
ops() { as_user "$T/state-ops" "$@" 2>>"$T/ops.err"; }
# interleaved, ten at a time, so that the load falls on all alike
i=0
while [ "$i" -lt "$N" ]; do
	i=$((i + 10))
	ops 10 lmdb "$T/ops.lmdb" >>"$T/ops-lmdb.us"
	ops 10 redis "127.0.0.1:$RS" "$T/redis.pass" >>"$T/ops-redis.us"
	ops 10 sentinel "127.0.0.1:$S1,127.0.0.1:$S2,127.0.0.1:$S3" \
	    "$T/redis.pass" >>"$T/ops-sentinel.us"
done
echo "| state calls of one delivery | p50 ms | p90 ms | p50 - lmdb ms |"
echo "| --- | --- | --- | --- |"
base=$(pct "$T/ops-lmdb.us" 50)
for c in lmdb redis sentinel; do
	p50=$(pct "$T/ops-$c.us" 50); p90=$(pct "$T/ops-$c.us" 90)
	awk -v c="$c" -v a="$p50" -v b="$p90" -v d="$base" 'BEGIN {
	    printf "| %s | %.2f | %.2f | %+.2f |\n", c, a / 1000, b / 1000,
	    (a - d) / 1000 }'
done
[ -s "$T/ops.err" ] && sed 's/^/# /' "$T/ops.err"

# --- memory ---------------------------------------------------------------
rcli "$RS" FLUSHALL >/dev/null
before=$(rcli "$RS" INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r')
now=$(date +%s)
awk -v k="$K" -v now="$now" 'BEGIN {
	srand(17)
	for (i = 0; i < k; i++) {
		key = "deputy:n:"
		for (j = 0; j < 32; j++) key = key sprintf("%x", int(rand() * 16))
		printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$7\r\n2592000\r\n",
		    length(key), key, length(now ""), now
	}
}' | redis-cli -h 127.0.0.1 -p "$RS" -a "$REDIS_PASS" --no-auth-warning --pipe >/dev/null
after=$(rcli "$RS" INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r')
keys=$(rcli "$RS" DBSIZE)
awk -v k="$keys" -v a="$after" -v b="$before" 'BEGIN {
	printf "# memory: %d notice records: used_memory %d -> %d bytes: %.0f bytes a record, %.1f MiB per 100,000 senders\n",
	    k, b, a, (a - b) / k, (a - b) / k * 100000 / 1048576 }'
