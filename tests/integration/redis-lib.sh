# redis-lib.sh - a private Redis for tests: a master, a replica, three
# Sentinels, and a standalone server, on loopback (PLATFORM-NOTES,
# "Redis + Sentinel on loopback")
#
#   redis_cluster_start   master + replica (requirepass, masterauth) and
#                         three sentinels watching "deputy"; waits until
#                         every sentinel sees one replica and two other
#                         sentinels
#   redis_solo_start      one more server, alone (for the fault cases)
#   redis_stop_all        every process started here, by pid
#   rcli PORT ARGS...     redis-cli with the password
#   sentinel_master       "host:port" the first live sentinel names
#
# Configs are written fresh under $T/redis on every run (Sentinel
# rewrites its file, and after a failover the servers' too). Ports are
# free ones below 32768. Sourced after tests/integration/lib.sh.

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_SENTINEL=${REDIS_SENTINEL:-/usr/bin/redis-sentinel}
REDIS_PASS=deputy-redis-secret
redis_pids=""

# redis_have: whether the Redis programs are installed
redis_have() {
	[ -x "$REDIS_SERVER" ] && [ -x "$REDIS_SENTINEL" ] &&
	    command -v redis-cli >/dev/null
}

# rcli PORT ARGS...: redis-cli on 127.0.0.1:PORT with the password
rcli() {
	p=$1; shift
	redis-cli -h 127.0.0.1 -p "$p" -a "$REDIS_PASS" --no-auth-warning "$@"
}

# scli PORT ARGS...: redis-cli to a sentinel (no password)
scli() {
	p=$1; shift
	redis-cli -h 127.0.0.1 -p "$p" "$@"
}

# redis_ports N: N distinct free ports, on one line
redis_ports() {
	out=""
	while [ "$(echo $out | wc -w)" -lt "$1" ]; do
		p=$(free_port)
		case " $out " in *" $p "*) continue ;; esac
		out="$out $p"
	done
	echo $out
}

# redis_conf NAME PORT [MASTER-PORT]: a server config in $T/redis/NAME
redis_conf() {
	d=$T/redis/$1
	mkdir -p "$d"
	cat >"$d/redis.conf" <<CONF
bind 127.0.0.1
port $2
daemonize no
supervised no
protected-mode yes
dir $d
logfile $d/log
save ""
appendonly no
requirepass $REDIS_PASS
masterauth $REDIS_PASS
repl-diskless-sync-delay 0
CONF
	[ -n "${3:-}" ] && echo "replicaof 127.0.0.1 $3" >>"$d/redis.conf"
	return 0
}

# redis_run NAME: start the server of $T/redis/NAME; its pid in
# $T/redis/NAME/pid and in redis_pids
redis_run() {
	"$REDIS_SERVER" "$T/redis/$1/redis.conf" >/dev/null 2>&1 &
	echo $! >"$T/redis/$1/pid"
	redis_pids="$redis_pids $!"
}

# redis_pid NAME
redis_pid() { cat "$T/redis/$1/pid"; }

# sentinel_run NAME PORT MASTER-PORT
sentinel_run() {
	d=$T/redis/$1
	mkdir -p "$d"
	cat >"$d/sentinel.conf" <<CONF
bind 127.0.0.1
port $2
daemonize no
dir $d
logfile $d/log
sentinel monitor deputy 127.0.0.1 $3 2
sentinel auth-pass deputy $REDIS_PASS
sentinel down-after-milliseconds deputy 1000
sentinel failover-timeout deputy 3000
sentinel parallel-syncs deputy 1
CONF
	"$REDIS_SENTINEL" "$d/sentinel.conf" >/dev/null 2>&1 &
	echo $! >"$d/pid"
	redis_pids="$redis_pids $!"
}

# sentinel_ready PORT: one replica and two other sentinels seen
sentinel_ready() {
	scli "$1" SENTINEL master deputy 2>/dev/null | awk '
	    prev == "num-slaves" && $0 == "1" { s = 1 }
	    prev == "num-other-sentinels" && $0 == "2" { o = 1 }
	    { prev = $0 }
	    END { exit !(s && o) }'
}

# redis_cluster_start: $RM (master), $RR (replica), $S1 $S2 $S3
redis_cluster_start() {
	set -- $(redis_ports 5)
	RM=$1; RR=$2; S1=$3; S2=$4; S3=$5
	redis_conf m "$RM" && redis_run m
	redis_conf r "$RR" "$RM" && redis_run r
	wait_for 10 rcli "$RM" ping || return 1
	wait_for 10 sh -c "redis-cli -p $RR -a $REDIS_PASS --no-auth-warning \
	    info replication | grep -q 'master_link_status:up'" || return 1
	sentinel_run s1 "$S1" "$RM"
	sentinel_run s2 "$S2" "$RM"
	sentinel_run s3 "$S3" "$RM"
	for s in "$S1" "$S2" "$S3"; do
		wait_for 20 sentinel_ready "$s" || return 1
	done
	return 0
}

# redis_solo_start: $RS, a server of its own
redis_solo_start() {
	RS=$(redis_ports 1)
	redis_conf solo "$RS" && redis_run solo
	wait_for 10 rcli "$RS" ping
}

# replica_online PORT: the master on PORT has an online replica
replica_online() {
	rcli "$1" info replication 2>/dev/null | grep -q '^slave0:.*state=online'
}

# sentinel_master: "host:port" of the master, by the first sentinel
# that answers
sentinel_master() {
	for s in "$S1" "$S2" "$S3"; do
		a=$(scli "$s" SENTINEL get-master-addr-by-name deputy 2>/dev/null |
		    paste -sd: -)
		[ -n "$a" ] && { echo "$a"; return 0; }
	done
	return 1
}

# redis_stop_all: stop every process started here, by pid
redis_stop_all() {
	for p in $redis_pids; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	for p in $redis_pids; do
		n=50
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	redis_pids=""
}
