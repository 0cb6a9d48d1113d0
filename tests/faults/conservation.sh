#!/bin/sh
# conservation - N messages through a real Postfix piping to deputy-lda
# (or, with CONSERVATION_PATH=deputyd, handing them to deputyd over LMTP),
# with a real slapd, while faults fire at random; then the faults stop,
# the queue drains, and every message is counted.
#
#	CONSERVATION_N=2000 sh tests/faults/conservation.sh
#	CONSERVATION_PATH=deputyd sh tests/faults/conservation.sh
#
# Through deputyd the faults are: its workers kill -9ed at random (in
# the middle of DATA, of a forward, of a directory search), the smtpd
# processes that take its reinjected forwards kill -9ed, and slapd
# stopped and SIGSTOPped as below.
#
# N (default 400, so CI stays under ~4 minutes) messages go through ONE
# SMTP session (Net::SMTP) to alice (away, delegate bob) and to present
# users (bob, erin, helga), each with a unique Subject and Message-ID.
# Faults, from a fixed seed (CONSERVATION_SEED), while the fault phase
# lasts:
#   - deputy's sendmail exits 75, exits 1, or hangs past the submission
#     timeout (and is killed by deputy) for some forwards;
#   - deputy-lda itself is kill -9ed after a short random delay for some
#     runs: master.cf runs a small wrapper that arms a killer for its own
#     pid and then execs the real deputy-lda (same pid), so Postfix's pipe
#     sees deputy-lda die of SIGKILL and defers;
#   - slapd is stopped and restarted, and SIGSTOPped for 1.5 s.
# Then "postqueue -f" until the queue is empty (bounded wait) and:
#   lost = 0 (each message once in its recipient's Maildir, each of
#   alice's once at bob), 0 bounces, queue empty, 0 duplicates.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

N=${CONSERVATION_N:-400}
SEED=${CONSERVATION_SEED:-4242}
MODE=${CONSERVATION_PATH:-pipe}
: "${DEPUTYD:=$top_builddir/deputyd}"

for need in "$SLAPD" "$SLAPADD" "$POSTFIX" /usr/sbin/postqueue; do
	if [ ! -x "$need" ]; then
		skip "$need not installed (scripts/packages/integration.txt)"
		done_testing
		exit 0
	fi
done
if ! perl -MNet::SMTP -e1 2>/dev/null || ! command -v flock >/dev/null; then
	skip "Perl's Net::SMTP or flock(1) not installed"
	done_testing
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	skip "a private Postfix needs root (CI runs as root)"
	done_testing
	exit 0
fi

t_start=$(date +%s)
setup_env
sender_pid=""
cons_cleanup() {
	[ -n "$sender_pid" ] && { kill "$sender_pid" 2>/dev/null; wait "$sender_pid" 2>/dev/null; }
	[ -n "${dpid:-}" ] && { kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; }
	integration_cleanup
}
trap cons_cleanup EXIT
trap 'exit 1' INT TERM

REAL_LDA=$DEPUTY_LDA
F=$T/faults
mkdir -p "$F"
echo 0 >"$F/seq"

# draw KIND: prints a number in [0,1) from the seeded sequence; the
# sequence number is shared by every process (flock on $F/seq)
cat >"$T/bin/draw" <<EOF
#!/bin/sh
exec 9<>"$F/seq"
flock 9
n=\$(cat "$F/seq")
echo \$((n + 1)) >"$F/seq"
awk -v s="$SEED" -v n="\$n" 'BEGIN { srand(s + n * 7919); print rand() }'
EOF

# the deputy-lda wrapper in master.cf: 6 % of runs are killed after
# 0..300 ms; every run is the real deputy-lda, exec'ed (same pid)
cat >"$T/bin/lda-wrap" <<EOF
#!/bin/sh
if [ -e "$F/on" ]; then
	r=\$("$T/bin/draw")
	if awk -v r="\$r" 'BEGIN { exit !(r < 0.06) }'; then
		d=\$(awk -v r="\$r" 'BEGIN { printf "%.3f", r / 0.06 * 0.3 }')
		echo "\$\$ \$d" >>"$F/killed"
		me=\$\$
		( sleep "\$d"; kill -9 "\$me" ) </dev/null >/dev/null 2>&1 &
	fi
fi
exec "$REAL_LDA" "\$@"
EOF

# deputy's sendmail: 6 % exit 75, 3 % exit 1, 3 % hang (deputy kills it
# at its submission timeout); the rest submit over SMTP
cat >"$T/bin/sendmail-faulty" <<EOF
#!/bin/sh
if [ -e "$F/on" ]; then
	r=\$("$T/bin/draw")
	case \$(awk -v r="\$r" 'BEGIN { print (r < 0.06) ? "tempfail" : (r < 0.09) ? "fail" : (r < 0.12) ? "hang" : "ok" }') in
	tempfail) echo tempfail >>"$F/sendmail"; exit 75 ;;
	fail) echo fail >>"$F/sendmail"; exit 1 ;;
	hang) echo hang >>"$F/sendmail"; exec sleep 30 ;;
	esac
fi
exec "$T/bin/pf-sendmail" "\$@"
EOF
chmod 755 "$T/bin/draw" "$T/bin/lda-wrap" "$T/bin/sendmail-faulty"

slapd_setup; ok $? "slapd configured"
slapd_start; ok $? "slapd answers on $LDAP_URI"
if [ "$MODE" = deputyd ]; then
	postfix_setup "example.org=lmtp:unix:$T/run/lmtp partner.example=discard: example.com=discard:"
	# deputyd reinjects on a port of its own, as amavis does
	REINJECT_PORT=$(free_port)
	{
		echo "lmtp unix - - n - - lmtp"
		echo "127.0.0.1:$REINJECT_PORT inet n - n - - smtpd"
	} >>"$T/pf/etc/master.cf"
	ok $? "postfix check passes (example.org: LMTP to deputyd)"
	RELAY=lmtp
else
	DEPUTY_LDA=$T/bin/lda-wrap
	postfix_setup "example.org=deputy: partner.example=discard: example.com=discard:"
	ok $? "postfix check passes (deputy argv: the kill wrapper, then the real $REAL_LDA)"
	DEPUTY_LDA=$REAL_LDA
	RELAY=deputy
fi
pf_sendmail_wrapper "$T/bin/pf-sendmail" "$SMTP_PORT"
sed "s,sendmail = .*,sendmail = \"$T/bin/sendmail-faulty\",; s/timeout = 10/timeout = 3/" \
    "$T/deputy.conf" >"$T/deputy.conf.orig"
ldap_conf "$LDAP_URI"
if [ "$MODE" = deputyd ]; then
	mkdir -p "$T/run"
	sed -i "s|^submission {|submission {\n\tsmtp = \"127.0.0.1:$REINJECT_PORT\"|" "$T/deputy.conf"
	printf 'daemon {\n\tlisten = {"unix:%s/run/lmtp"}\n\tsocket_mode = "0666"\n\tworkers = 2\n}\n' "$T" >>"$T/deputy.conf"
fi
chown -R nobody: "$T/mail" "$T/spool" "$T/bin" "$F"
[ "$MODE" = deputyd ] && chown -R nobody: "$T/run" "$T/deputy.conf"
postfix_start; ok $? "postfix listens on 127.0.0.1:$SMTP_PORT"
LOG=$T/pf/maillog
dpid=""
if [ "$MODE" = deputyd ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
	    "$DEPUTYD" -c "$T/deputy.conf" >"$T/deputyd.out" 2>&1 &
	dpid=$!
	wait_for 10 test -S "$T/run/lmtp"
	ok $? "deputyd listens on $T/run/lmtp"
fi

# the sender: one SMTP session, N messages; recipient of message i:
# i % 4 == 0 alice, 1 bob, 2 erin, 3 helga
cat >"$T/send.pl" <<'PERL'
use strict;
use warnings;
use Net::SMTP;
my ($port, $n) = @ARGV;
my @to = qw(alice bob erin helga);
my $smtp = Net::SMTP->new('127.0.0.1', Port => $port, Timeout => 60,
    Hello => 'client.example.com') or die "connect: $@";
my $bad = 0;
for my $i (1 .. $n) {
	my $rcpt = $to[$i % 4] . '@example.org';
	my $id = sprintf 'cons %06d', $i;
	if (!($smtp->mail('<sender@example.com>') && $smtp->to("<$rcpt>")
	    && $smtp->data() && $smtp->datasend(
	    "From: <sender\@example.com>\nTo: <$rcpt>\nSubject: $id\n" .
	    sprintf("Message-ID: <cons.%06d.%d\@example.com>\n", $i, $$) .
	    "Date: " . localtime() . "\n\nconservation message $i\n")
	    && $smtp->dataend())) {
		print STDERR "message $i: ", $smtp->message;
		$bad++;
		$smtp->reset;
	}
}
$smtp->quit;
exit($bad ? 1 : 0);
PERL

: >"$F/on"
t_send=$(date +%s)
perl "$T/send.pl" "$SMTP_PORT" "$N" 2>"$T/send.err" &
sender_pid=$!

# the directory faults, from the same seed, while the sender runs and
# for 15 s after it (deliveries lag behind the submissions)
restarts=0; stops=0; sender_rc=""; round=0; smtpd_kills=0
t_end=""
while :; do
	if [ -z "$sender_rc" ] && ! kill -0 "$sender_pid" 2>/dev/null; then
		wait "$sender_pid"; sender_rc=$?; sender_pid=""
		t_end=$(( $(date +%s) + 15 ))
		diag "sender done in $(( $(date +%s) - t_send )) s (exit $sender_rc)"
	fi
	[ -n "$t_end" ] && [ "$(date +%s)" -ge "$t_end" ] && break
	round=$((round + 1))
	r=$(awk -v s="$SEED" -v n="$round" 'BEGIN { srand(s * 3 + n); print int(rand() * 3) }')
	if [ "$MODE" = deputyd ]; then
		# kill -9 a worker of deputyd, and now and then the smtpd
		# processes that take its reinjected forwards
		w=$(pgrep -P "$dpid" | head -n "$(awk -v s="$SEED" -v n="$round" 'BEGIN { srand(s + n); print int(rand() * 2) + 1 }')" | tail -1)
		if [ -n "$w" ]; then
			kill -9 "$w" 2>/dev/null && echo "$w" >>"$F/killed"
		fi
		if [ $((round % 3)) -eq 0 ]; then
			for p in $(pgrep -f "smtpd -n 127.0.0.1:$REINJECT_PORT " 2>/dev/null); do
				kill -9 "$p" 2>/dev/null && smtpd_kills=$((smtpd_kills + 1))
			done
		fi
	fi
	case $r in
	0)	if [ "$restarts" -lt 4 ]; then
			slapd_stop; sleep 2; slapd_start; restarts=$((restarts + 1))
		fi ;;
	1)	if [ "$stops" -lt 4 ]; then
			kill -STOP "$slapd_pid"; sleep 1.5; kill -CONT "$slapd_pid"
			stops=$((stops + 1))
		fi ;;
	esac
	sleep 2
done
rm -f "$F/on"
[ -n "$slapd_pid" ] || slapd_start
ok "$sender_rc" "one SMTP session submitted $N messages ($(head -c 200 "$T/send.err"))"

# drain: postqueue -f until the queue is empty, at most 150 s
t_drain=$(date +%s)
while ! pf_queue_empty && [ $(( $(date +%s) - t_drain )) -lt 150 ]; do
	postqueue -c "$T/pf/etc" -f >/dev/null 2>&1
	wait_for 5 pf_queue_empty
done
sleep 1
pf_queue_empty; ok $? "the queue drained in $(( $(date +%s) - t_drain )) s after the faults stopped"

# --- count -----------------------------------------------------------------
# (deputyd stores the CR LF line ends Postfix's lmtp client sends)
grep -H "^Subject: cons [0-9]*$(printf '\r')*\$" "$T"/mail/example.org/*/Maildir/new/* 2>/dev/null |
    tr -d '\r' |
    sed 's,^.*/example.org/\([^/]*\)/Maildir/new/[^:]*:Subject: cons 0*,\1 ,' \
    >"$T/found"
awk -v n="$N" '
BEGIN { split("alice bob erin helga", to, " ") }
{ c[$1 " " $2]++ }
END {
	for (i = 1; i <= n; i++) {
		r = to[i % 4 + 1]
		k = c[r " " i] + 0
		if (k == 0) { lost++; print "# lost: message " i " to " r > "/dev/stderr" }
		if (k > 1) { if (r == "alice") dupa += k - 1; else dupm += k - 1 }
		if (r == "alice") {
			f = c["bob " i] + 0
			if (f == 0) { lostf++; print "# lost forward: message " i > "/dev/stderr" }
			if (f > 1) dupf += f - 1
		}
		for (u in to) if (to[u] != r && !(r == "alice" && to[u] == "bob") && c[to[u] " " i] > 0)
			stray++
	}
	printf "%d %d %d %d %d %d\n", lost, lostf, dupm, dupa, dupf, stray
}' "$T/found" >"$T/counts" 2>"$T/lost.txt"
read lost lostf dupm dupa dupf stray <"$T/counts"
head -20 "$T/lost.txt"

bounced=$(grep -c 'status=bounced' "$LOG")
nullfrom=$(grep -c 'from=<>' "$LOG")
deferred=$(grep -c "relay=[^ ]*$RELAY.*status=deferred\|to=<[a-z]*@example.org>.*relay=.*\(lmtp\|deputy\).*status=deferred" "$LOG")
sigkill=$(grep -c 'relay=deputy.*status=deferred.*signal 9' "$LOG")
killed=$(wc -l <"$F/killed" 2>/dev/null || echo 0)
sm_tf=$(grep -c tempfail "$F/sendmail" 2>/dev/null); sm_f=$(grep -c '^fail' "$F/sendmail" 2>/dev/null)
sm_h=$(grep -c hang "$F/sendmail" 2>/dev/null)
alice_n=$(( N / 4 ))
diag "N=$N (alice $alice_n with a forward each) seed=$SEED"
if [ "$MODE" = deputyd ]; then
	diag "faults: deputyd workers kill -9ed $killed, reinjection smtpd kill -9ed $smtpd_kills, slapd restarts $restarts, SIGSTOPs $stops"
else
	diag "faults: deputy-lda kill -9 armed $killed (deferred by signal 9: $sigkill), sendmail exit 75: ${sm_tf:-0}, exit 1: ${sm_f:-0}, hang: ${sm_h:-0}, slapd restarts $restarts, SIGSTOPs $stops"
fi
diag "Postfix: deputy deferrals $deferred, bounces $bounced, null-sender messages $nullfrom"
diag "lost: mailbox $lost, forward $lostf; duplicated: forward $dupf, mailbox (away user, forwarding run) $dupa, mailbox (mailbox-only run) $dupm; stray copies $stray"
diag "time: $(( $(date +%s) - t_start )) s in all"

[ "$lost" -eq 0 ] && [ "$lostf" -eq 0 ]
ok $? "lost = 0 (mailbox $lost, forward $lostf) of $N messages"
[ "$bounced" -eq 0 ] && [ "$nullfrom" -eq 0 ] &&
    ! grep -q 'sender non-delivery notification' "$LOG"
ok $? "bounces = 0 (status=bounced $bounced, from=<> $nullfrom)"
# A kill -9 between an action and its record makes the retry repeat
# it, but nothing repeated lands twice: a mailbox copy keeps its file
# name across attempts (found in new/), and a forward its
# Resent-Message-ID (known at the delegate). So every duplicate fails.
[ "$dupf" -eq 0 ]; ok $? "duplicate forwards at the delegate = 0 ($dupf)"
[ "$stray" -eq 0 ]; ok $? "no copy at a user who was not a recipient ($stray)"
[ "$dupa" -eq 0 ] && [ "$dupm" -eq 0 ]
ok $? "duplicate mailbox copies = 0 (away user's runs $dupa, mailbox-only runs $dupm)"
[ "$killed" -gt 0 ] && [ "$deferred" -gt 0 ]
ok $? "the faults did fire ($killed kills armed, $deferred deferrals)"

[ -n "$dpid" ] && { kill "$dpid"; wait "$dpid" 2>/dev/null; dpid=""; }
postfix_stop
slapd_stop
done_testing
