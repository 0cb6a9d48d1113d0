# scanners.sh - a private spamd and a private rspamd on loopback
#
# Sourced by tests/integration/spamd.sh, tests/integration/rspamd.sh and
# bench/spam-quality.sh (after tests/integration/lib.sh, which gives
# free_port and wait_for). Both scanners run offline, as in
# PLATFORM-NOTES 4a and 4b: spamd --local (no DNSBL, URIBL, Razor, Pyzor),
# rspamd with its network modules off and DNS pointed at a closed port.
#
#   spamd_start DIR     spamd on 127.0.0.1:$SPAMD_PORT, files under DIR;
#                       sets spamd_pid (the parent, in the foreground of
#                       a background job, so $! is its pid)
#   spamd_stop          TERM by pid, then its children, by pid
#   rspamd_start DIR    rspamd on 127.0.0.1:$RSPAMD_PORT (normal worker)
#                       and $RSPAMD_CTL_PORT (controller), files under
#                       DIR; the Hyperscan cache goes to $RSPAMD_DBDIR
#                       (default DIR/db), which a second start in the
#                       same run reuses (cold ~15 s, warm ~1 s)
#   rspamd_stop         TERM the main process by pid (workers follow)
#
# Nothing is ever stopped by name: other tests on the machine run their
# own scanners.

SPAMD=${SPAMD:-$(command -v spamd || echo /usr/sbin/spamd)}
SPAMC=${SPAMC:-$(command -v spamc || echo /usr/bin/spamc)}
RSPAMD=${RSPAMD:-$(command -v rspamd || echo /usr/bin/rspamd)}
RSPAMC=${RSPAMC:-$(command -v rspamc || echo /usr/bin/rspamc)}
RSPAMD_CONFDIR=${RSPAMD_CONFDIR:-/etc/rspamd}
spamd_pid=""
spamd_kids=""
rspamd_pid=""
rspamd_dir=""

# spamd_start DIR: start spamd --local on a free port; 0 when it answers
spamd_start() {
	sd=$1
	mkdir -p "$sd/home"
	: "${SPAMD_PORT:=$(free_port)}"
	set -- --listen="127.0.0.1:$SPAMD_PORT" --allowed-ips=127.0.0.1 \
	    --local --nouser-config --helper-home-dir="$sd/home" \
	    --pidfile="$sd/spamd.pid" --syslog="$sd/spamd.log" \
	    --max-children=2 --min-children=2
	if [ "$(id -u)" -eq 0 ]; then
		chown -R nobody:nogroup "$sd"
		set -- "$@" --username=nobody --groupname=nogroup
	fi
	"$SPAMD" "$@" </dev/null >>"$sd/spamd.out" 2>&1 &
	spamd_pid=$!
	wait_for 60 "$SPAMC" -d 127.0.0.1 -p "$SPAMD_PORT" -x -K
}

# spamd_stop: TERM the parent by pid, wait (bounded), then its children
spamd_stop() {
	[ -n "$spamd_pid" ] || return 0
	kill -CONT "$spamd_pid" 2>/dev/null
	kids=$(pgrep -P "$spamd_pid" 2>/dev/null | tr '\n' ' ')
	spamd_kids="$spamd_kids $kids"
	for k in $kids; do kill -CONT "$k" 2>/dev/null; done
	kill "$spamd_pid" 2>/dev/null
	n=50
	while kill -0 "$spamd_pid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	kill -9 "$spamd_pid" 2>/dev/null
	wait "$spamd_pid" 2>/dev/null
	for k in $spamd_kids; do
		n=20
		while kill -0 "$k" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$k" 2>/dev/null
	done
	spamd_pid=""
	spamd_kids=""
}

# rspamd_conf DIR: the private top-level configuration (PLATFORM-NOTES 4b)
rspamd_conf() {
	rd=$1
	mkdir -p "$rd/local/local.d" "$rd/run" "$rd/log" "$RSPAMD_DBDIR"
	cat >"$rd/rspamd.conf" <<CONF
.include "\$CONFDIR/common.conf"
options {
	pidfile = "\$RUNDIR/rspamd.pid";
	.include "\$CONFDIR/options.inc"
	.include(try=true; priority=1,duplicate=merge) "\$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
	type = "file";
	filename = "\$LOGDIR/rspamd.log";
	level = "notice";
}
worker "normal" {
	bind_socket = "127.0.0.1:$RSPAMD_PORT";
	.include "\$CONFDIR/worker-normal.inc"
	count = 1;
}
worker "controller" {
	bind_socket = "127.0.0.1:$RSPAMD_CTL_PORT";
	.include "\$CONFDIR/worker-controller.inc"
	count = 1;
}
CONF
	# offline: DNS fails at once, the modules that need the network
	# (or Redis) are off
	printf 'dns { nameserver = ["127.0.0.1:%s"]; timeout = 0.1s; retransmits = 0; }\n' \
	    "$RSPAMD_DNS_PORT" >"$rd/local/local.d/options.inc"
	for m in rbl asn dmarc spf dkim arc hfilter fuzzy_check dcc \
	    external_services; do
		echo 'enabled = false;' >"$rd/local/local.d/$m.conf"
	done
	# the corpus is years old: DATE_IN_PAST (+1.0 for a Date over a
	# day before the scan) would score the replay, not the message
	echo 'symbols = { "DATE_IN_PAST" { weight = 0.0; } }' \
	    >"$rd/local/local.d/headers_group.conf"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R _rspamd:_rspamd "$rd/run" "$rd/log" "$RSPAMD_DBDIR"
	fi
}

# rspamd_start DIR: start rspamd; 0 when /ping answers (budget: 90 s,
# the cold start compiles Hyperscan databases for about 15 s, longer
# on a busy machine)
rspamd_start() {
	rspamd_dir=$1
	: "${RSPAMD_PORT:=$(free_port)}"
	: "${RSPAMD_CTL_PORT:=$(free_port)}"
	: "${RSPAMD_DNS_PORT:=$(free_port)}"
	: "${RSPAMD_DBDIR:=$rspamd_dir/db}"
	[ -f "$rspamd_dir/rspamd.conf" ] || rspamd_conf "$rspamd_dir"
	set -- -f -c "$rspamd_dir/rspamd.conf" \
	    --var="LOCAL_CONFDIR=$rspamd_dir/local" \
	    --var="DBDIR=$RSPAMD_DBDIR" --var="RUNDIR=$rspamd_dir/run" \
	    --var="LOGDIR=$rspamd_dir/log"
	if [ "$(id -u)" -eq 0 ]; then
		set -- "$@" -u _rspamd -g _rspamd
	fi
	"$RSPAMD" "$@" </dev/null >>"$rspamd_dir/rspamd.out" 2>&1 &
	rspamd_pid=$!
	wait_for 90 curl -sf "http://127.0.0.1:$RSPAMD_PORT/ping"
}

# rspamd_stop: TERM the main process by pid; it stops its workers
rspamd_stop() {
	[ -n "$rspamd_pid" ] || return 0
	kids=$(pgrep -P "$rspamd_pid" 2>/dev/null | tr '\n' ' ')
	for k in $kids; do kill -CONT "$k" 2>/dev/null; done
	kill -CONT "$rspamd_pid" 2>/dev/null
	kill "$rspamd_pid" 2>/dev/null
	n=100
	while kill -0 "$rspamd_pid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	kill -9 "$rspamd_pid" 2>/dev/null
	wait "$rspamd_pid" 2>/dev/null
	for k in $kids; do
		n=20
		while kill -0 "$k" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$k" 2>/dev/null
	done
	rspamd_pid=""
}

# rspamd_worker_pid: the pid of the normal worker (to SIGSTOP it)
rspamd_worker_pid() {
	for k in $(pgrep -P "$rspamd_pid" 2>/dev/null); do
		case $(tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null) in
		*"normal"*) echo "$k"; return 0 ;;
		esac
	done
	return 1
}

# fake_scanner_start MODE PORT [DELAY]: a stand-in scanner on
# 127.0.0.1:PORT (perl, which spamd needs anyway and Debian always has):
#   reset  read the request, then reset the connection (SO_LINGER 0)
#   late   read the request, answer DELAY seconds later (a valid answer:
#          SPAMD/1.1 for CHECK, HTTP/JSON for POST)
# sets fake_pid; fake_scanner_stop ends it by pid
fake_pid=""
fake_scanner_start() {
	cat >"$T/fake-scanner.pl" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
my ($mode, $port, $delay) = @ARGV;
my $l = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1',
    LocalPort => $port, Proto => 'tcp', ReuseAddr => 1) or die "listen: $!";
$SIG{PIPE} = 'IGNORE';
while (my $c = $l->accept) {
	my $buf = '';
	while (1) {
		my $n = sysread($c, $buf, 65536, length $buf);
		last if !$n;
		my $end = index($buf, "\r\n\r\n");
		next if $end < 0;
		my ($len) = substr($buf, 0, $end) =~ /content-length:\s*(\d+)/i;
		last if !defined $len || length($buf) - $end - 4 >= $len;
	}
	if ($mode eq 'reset') {
		setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
		close $c;
		next;
	}
	sleep $delay;
	if ($buf =~ /^CHECK/) {
		print $c "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n" .
		    "Spam: False ; 0.0 / 5.0\r\n\r\n";
	} else {
		my $j = '{"score":0.0,"required_score":15.0,"action":"no action"}';
		print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($j) .
		    "\r\n\r\n$j";
	}
	close $c;
}
PERL
	perl "$T/fake-scanner.pl" "$1" "$2" "${3:-0}" </dev/null \
	    >>"$T/fake-scanner.out" 2>&1 &
	fake_pid=$!
	wait_for 10 sh -c "ss -Htln 'sport = :$2' | grep -q ."
}

fake_scanner_stop() {
	[ -n "$fake_pid" ] || return 0
	kill "$fake_pid" 2>/dev/null
	wait "$fake_pid" 2>/dev/null
	fake_pid=""
}

# ------------------------------------------------------------------
# Shared checks for spamd.sh and rspamd.sh (TAP, tests/blackbox/lib.sh)

# scanner_env: $T with alice away, delegates bob (inside, example.org)
# and carol (outside, example.net); $T/deputy.conf.base without a spam
# section
scanner_env() {
	default_ldif | awk '{ print }
	    /^deputyDelegate: uid=bob/ { print "deputyDelegate: carol@example.net" }' \
	    >"$T/directory.ldif"
	cp "$T/deputy.conf" "$T/deputy.conf.base"
	[ "$(id -u)" -ne 0 ] || chown -R nobody:nogroup "$T"
}

# scanner_conf KIND ADDRESS TIMEOUT: the config asking KIND at ADDRESS,
# with mx.example.org as the trusted authserv-id
scanner_conf() {
	cp "$T/deputy.conf.base" "$T/deputy.conf"
	cat >>"$T/deputy.conf" <<CONF
spam {
	scanner = "$1"
	address = "$2"
	timeout = $3
}
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
CONF
	[ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$T/deputy.conf"
}

# scanner_msg ID AUTH: a short personal message from dave@example.com,
# with a trusted Authentication-Results header when AUTH is 1
scanner_msg() {
	[ "$2" -eq 1 ] && printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=dave@example.com\n'
	cat <<MSG
Received: from mail.example.com (mail.example.com [192.0.2.25])
	by mx.example.org with ESMTP; $(date -R)
From: Dave <dave@example.com>
To: Alice <alice@example.org>
Subject: lunch on Thursday
Date: $(date -R)
Message-ID: <$1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi Alice,

shall we move Thursday's lunch to one o'clock? The room is free then.

Dave
MSG
}

# scanner_fault NAME AUTH LOG-PATTERN: deliver a personal message with
# the scanner in fault; exit 0, delivered, no notice, bob gets it and
# carol only if AUTH; the log names the fault
scanner_fault() {
	name=$1; auth=$2; want=$3
	id="fault$(date +%s%N)"
	scanner_msg "$id" "$auth" >"$T/fault.eml"
	before=$(wc -l 2>/dev/null <"$T/log" || echo 0)
	mb=$(maildir_count alice@example.org)
	lda "$T/fault.eml" -f dave@example.com -- alice@example.org
	new=$(tail -n +"$((before + 1))" "$T/log" 2>/dev/null)
	line=$(printf '%s\n' "$new" | grep " msgid=<$id@example.com>")
	bad=0
	[ "$rc" -eq 0 ] && [ -z "$err" ]; r=$?; bad=$((bad + r))
	ok $r "$name: exit 0, nothing on stderr (exit $rc)"
	case $line in *" mailbox=delivered "*) r=0 ;; *) r=1 ;; esac
	[ "$(maildir_count alice@example.org)" -eq $((mb + 1)) ] || r=1
	bad=$((bad + r)); ok $r "$name: delivered to the mailbox"
	case $line in *" notice=no "*) r=0 ;; *) r=1 ;; esac
	bad=$((bad + r)); ok $r "$name: no notice"
	if [ "$auth" -eq 1 ]; then
		case $line in
		*" forward=bob@example.org,carol@example.net "*) r=0 ;;
		*) r=1 ;;
		esac
		ok $r "$name: authenticated sender: bob (inside) and carol (outside) get it"
	else
		case $line in
		*" forward=bob@example.org "*) r=0 ;;
		*) r=1 ;;
		esac
		ok $r "$name: bob (inside) gets it, carol (outside) does not: no verdict, sender not authenticated"
	fi
	bad=$((bad + r))
	printf '%s\n' "$new" | grep "spam scanner: " | grep -q -- "$want"
	r=$?; bad=$((bad + r))
	ok $r "$name: the log says why there is no verdict ($want)"
	[ $bad -eq 0 ] || printf '%s\n' "exit $rc: $err" "$new" | sed 's/^/# /'
}

# scanner_explain FILE: deputy-lda --explain for FILE; sets $x_spam
# (the spam line), $x_forward and $x_skipped
scanner_explain() {
	lda "$1" -f "$(envelope_sender "$1")" --explain -- alice@example.org
	x_spam=$(printf '%s\n' "$out" | sed -n 's/^  spam:    //p')
	x_forward=$(printf '%s\n' "$out" | sed -n 's/^  forward: //p')
	x_skipped=$(printf '%s\n' "$out" | sed -n 's/^  skipped: //p' |
	    tr '\n' ';')
}

# scanner_body FILE: the bytes deputy sends (without an mbox From line)
scanner_body() {
	if head -c 5 "$1" | grep -q '^From '; then
		tail -n +2 "$1"
	else
		cat "$1"
	fi
}

# scanner_band FILE CLASS: the forward for a message the scanner put in
# CLASS (certain: nobody; suspect: bob, not carol; clean: both, unless
# something else than spam stops the forward)
scanner_band() {
	f=$1; class=$2
	case $class in
	certain)
		case $x_forward in
		"no (spam-score"*|"no (bounce"*|"no (report"*|"no (auto-reply"*|"no (challenge"*|"no (hops"*) r=0 ;;
		*) r=1 ;;
		esac
		ok $r "$f: $class: forwarded to nobody ($x_forward)" ;;
	suspect)
		case $x_forward in
		*carol@*) r=1 ;;
		no*|*bob@example.org*) r=0 ;;
		*) r=1 ;;
		esac
		case $x_forward in no*) ;; *)
			case $x_skipped in *"carol@example.net (outside delegate"*) ;; *) r=1 ;; esac ;;
		esac
		ok $r "$f: $class: not to carol outside ($x_forward; $x_skipped)" ;;
	clean)
		case $x_forward in
		*"bob@example.org, carol@example.net"*|"no (bulk"*|"no (bounce"*|"no (report"*|"no (auto-reply"*|"no (challenge"*|"no (hops"*) r=0 ;;
		*) r=1 ;;
		esac
		ok $r "$f: $class: bob and carol both get it ($x_forward)" ;;
	esac
}
