#!/bin/sh
# deputyd.sh - a real Postfix (its lmtp client) -> deputyd -> Maildir, and
# -> deputyd -> a real Dovecot LMTP with Pigeonhole (TAP)
#
# Postfix (private instance in $T/pf) routes example.org to
# lmtp:unix:$T/run/lmtp, deputyd's socket. deputyd reinjects forwards
# over SMTP into the same Postfix (submission.smtp), so a delegate's copy
# goes round through the queue and deputyd again. Then deputyd is told
# (SIGHUP) to store through Dovecot's LMTP instead of Maildir: Dovecot
# delivers (and runs erin's Sieve script), refuses an unknown user with
# its own 550, and a stopped Dovecot makes Postfix defer, not bounce.
# Stopping deputyd makes Postfix defer; once it is back, everything is
# delivered once. No bounce of deputy's making anywhere.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

: "${DEPUTYD:=$top_builddir/deputyd}"
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
for need in "$POSTFIX" /usr/sbin/postqueue "$DEPUTYD"; do
	if [ ! -x "$need" ]; then
		skip "$need not installed"; done_testing; exit 0
	fi
done
if ! command -v swaks >/dev/null || [ "$(id -u)" -ne 0 ]; then
	skip "needs swaks and root (a private Postfix)"; done_testing; exit 0
fi

setup_env
dpid=""; dcpid=""
deputyd_stop() {
	[ -n "$dpid" ] || return 0
	kill "$dpid" 2>/dev/null
	n=100; while kill -0 "$dpid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; dpid=""
}
dovecot_stop() {
	[ -n "$dcpid" ] || return 0
	kill "$dcpid" 2>/dev/null
	n=100; while kill -0 "$dcpid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$dcpid" 2>/dev/null; wait "$dcpid" 2>/dev/null; dcpid=""
}
trap 'deputyd_stop; dovecot_stop; integration_cleanup' EXIT
trap 'exit 1' INT TERM

postfix_setup "example.org=lmtp:unix:$T/run/lmtp example.com=discard:"
echo "lmtp      unix  -       -       n       -       -       lmtp" >>"$T/pf/etc/master.cf"
postconf -c "$T/pf/etc" -e 'lmtp_destination_recipient_limit = 50' \
    'bounce_queue_lifetime = 0' 'maximal_queue_lifetime = 1h'
mkdir -p "$T/run"
# The notice case below: the client stands in for our own authenticating
# filter, whose field lands directly below Postfix's Received line.
cat >>"$T/deputy.conf" <<CONF
daemon {
	listen = {"unix:$T/run/lmtp"}
	socket_mode = "0666"
	workers = 2
}
auth {
	trusted_authserv_ids = {"mx.example.org"}
	boundary_received = 1
}
spam {
	trusted_headers = {"X-Spam-Score"}
}
templates {
	dir = "$srcdir/templates"
}
CONF
sed -i "s|^submission {|submission {\n\tsmtp = \"127.0.0.1:$SMTP_PORT\"|" "$T/deputy.conf"
chown -R nobody:nogroup "$T/run" "$T/mail" "$T/spool" "$T/bin" "$T/directory.ldif"
chown nobody:nogroup "$T/deputy.conf" "$T"
chmod 755 "$T"
postfix_start
ok $? "postfix listens on 127.0.0.1:$SMTP_PORT, example.org goes to deputyd by LMTP"

deputyd_start() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
	    "$DEPUTYD" -c "$T/deputy.conf" >>"$T/deputyd.out" 2>&1 &
	dpid=$!
	wait_for 10 test -S "$T/run/lmtp"
}
deputyd_start
ok $? "deputyd listens on $T/run/lmtp"

LOG=$T/pf/maillog
send() {	# send TO[,TO...] SUBJECT
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.com \
	    --to "$1" --header "Subject: $2" --body "test $2" \
	    --helo client.example.com >"$T/swaks.log" 2>&1
}
settle() { wait_for "$1" pf_queue_empty; sleep 0.5; }
flush() { postqueue -c "$T/pf/etc" -f >/dev/null 2>&1; }
mc() { maildir_count "$1"; }

# --- Maildir behind deputyd ------------------------------------------------
send alice@example.org,erin@example.org lmtp1
wait_for 20 sh -c "[ \$(ls $T/mail/example.org/bob/Maildir/new 2>/dev/null | wc -l) -ge 1 ]"
settle 20
[ "$(mc alice@example.org)" -eq 1 ] && [ "$(mc erin@example.org)" -eq 1 ] &&
    [ "$(mc bob@example.org)" -eq 1 ]
ok $? "one message to alice (away) and erin: both copies, and one forward at bob"
f=$(ls "$T"/mail/example.org/bob/Maildir/new/* 2>/dev/null | head -1)
grep -qi '^X-Deputy-Loop: .*alice@example.org' "$f" && grep -q '^Subject: lmtp1' "$f"
ok $? "bob's copy is alice's forward, reinjected over SMTP into Postfix"
grep -q 'to=<alice@example.org>.*relay=.*lmtp.*status=sent (250 2.0.0 <alice@example.org> delivered, forwarded)' "$LOG" &&
    grep -q 'to=<erin@example.org>.*status=sent (250 2.0.0 <erin@example.org> delivered)' "$LOG"
ok $? "Postfix's lmtp client logs deputyd's reply per recipient"
[ "$(grep -c 'status=bounced' "$LOG")" -eq 0 ]
ok $? "no bounce"

# --- a notice, end to end: authenticated, clean, to the away user ----------
swaks --server 127.0.0.1 --port "$SMTP_PORT" --from paul@example.com \
    --to alice@example.org --header "Subject: notice e2e" --body "hello Alice" \
    --add-header "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=paul@example.com" \
    --add-header "X-Spam-Score: 0.1" --helo client.example.com >"$T/swaks.log" 2>&1
wait_for 20 grep -q 'to=<paul@example.com>.*status=sent' "$LOG"
settle 20
line=$(grep 'from=<paul@example.com> to=<alice@example.org> .* notice=' "$T/log" | tail -1)
[ "$(grep -c 'to=<paul@example.com>.*status=sent' "$LOG")" -eq 1 ] &&
    echo "$line" | grep -q ' notice=sent notice_reason=none' &&
    [ "$(mc alice@example.org)" -eq 2 ]
ok $? "an authenticated, clean message to alice: one notice to paul@example.com went out through Postfix ($(echo "$line" | grep -o 'notice=[^ ]* notice_reason=[^ ]*'))"
qid=$(grep 'to=<paul@example.com>.*status=sent' "$LOG" | sed -n 's/.*\]: \([0-9A-F]*\): to=.*/\1/p' | head -1)
grep -q "$qid: from=<>," "$LOG"
ok $? "the notice left with the null sender (queue id $qid)"

# --- deputyd stopped: Postfix defers, then delivers once ------------------
deputyd_stop
send erin@example.org lmtp2
wait_for 20 grep -q 'to=<erin@example.org>.*status=deferred' "$LOG"
ok $? "deputyd stopped: Postfix defers the message"
deputyd_start
flush
wait_for 20 sh -c "[ \$(ls $T/mail/example.org/erin/Maildir/new | wc -l) -ge 2 ]"
settle 20
[ "$(mc erin@example.org)" -eq 2 ] && [ "$(grep -c 'status=bounced' "$LOG")" -eq 0 ]
ok $? "deputyd back: delivered once, still no bounce"

# --- Dovecot LMTP behind deputyd ------------------------------------------
if [ ! -x "$DOVECOT" ]; then
	skip "dovecot not installed"; done_testing; exit 0
fi
DC=$T/dc
mkdir -p "$DC/run" "$DC/state" "$DC/mail" "$DC/sieve/erin"
for u in alice bob erin carol; do echo "$u@example.org:{PLAIN}secret::::::"; done >"$DC/users"
cat >"$DC/sieve/erin/main.sieve" <<'SIEVE'
require ["fileinto"];
if header :contains "subject" "work" { fileinto "Work"; }
SIEVE
cat >"$DC/dovecot.conf" <<CONF
base_dir = $DC/run
state_dir = $DC/state
instance_name = deputy-test-lmtp
protocols = lmtp
listen = 127.0.0.1
ssl = no
log_path = $DC/dovecot.log
info_log_path = $DC/dovecot.log
hostname = lmtp.example.org
postmaster_address = postmaster@example.org
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
mail_uid = nobody
mail_gid = nogroup
lda_mailbox_autocreate = yes
protocol lmtp {
  mail_plugins = sieve
}
plugin {
  sieve = file:$DC/sieve/%n;active=$DC/sieve/%n/main.sieve
}
passdb {
  driver = passwd-file
  args = username_format=%u $DC/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DC/users
  default_fields = home=$DC/mail/%n
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
CONF
chown -R nobody:nogroup "$DC/mail" "$DC/sieve"
dovecot_start() {
	"$DOVECOT" -F -c "$DC/dovecot.conf" >>"$DC/dovecot.out" 2>&1 &
	dcpid=$!
	wait_for 10 test -S "$DC/run/lmtp"
}
dovecot_start
ok $? "a private Dovecot LMTP with Pigeonhole on $DC/run/lmtp"

sed -i "s|^delivery {|delivery {\n\tlmtp = \"unix:$DC/run/lmtp\"|" "$T/deputy.conf"
kill -HUP "$dpid"
sleep 1.5
dmc() { ls "$DC/mail/${1%@*}/Maildir/new" 2>/dev/null | wc -l; }
send alice@example.org,erin@example.org dove1
wait_for 20 sh -c "[ \$(ls $DC/mail/bob/Maildir/new 2>/dev/null | wc -l) -ge 1 ]"
settle 20
[ "$(dmc alice@example.org)" -eq 1 ] && [ "$(dmc erin@example.org)" -eq 1 ] &&
    [ "$(dmc bob@example.org)" -eq 1 ] && [ "$(mc alice@example.org)" -eq 2 ]
ok $? "after SIGHUP the copies go through Dovecot's LMTP: alice, erin, and alice's forward at bob"
grep -q 'to=<alice@example.org>.*status=sent (250 2.0.0 <alice@example.org> delivered, forwarded)' "$LOG" &&
    grep -q 'lmtp(alice@example.org).*saved mail to INBOX' "$DC/dovecot.log"
ok $? "deputyd answered 250 after Dovecot saved alice's copy"

send erin@example.org "work plan"
settle 20
[ "$(ls "$DC/mail/erin/Maildir/.Work/new" 2>/dev/null | wc -l)" -eq 1 ]
ok $? "erin's own Sieve script ran in Dovecot: fileinto Work"

send ghost@example.org nobody-home
settle 20
grep -q 'to=<ghost@example.org>.*status=bounced (host .* said: 550 5.1.1 <ghost@example.org> User doesn.t exist' "$LOG"
ok $? "an unknown user: Dovecot's own 550 5.1.1 is deputyd's answer"

dovecot_stop
send erin@example.org dove-down
wait_for 20 grep -q 'to=<erin@example.org>.*status=deferred.*4\.[0-9]\.[0-9]' "$LOG"
ok $? "Dovecot stopped: deputyd answers 4xx, Postfix defers"
dovecot_start
flush
wait_for 20 sh -c "[ \$(ls $DC/mail/erin/Maildir/new 2>/dev/null | wc -l) -ge 2 ]"
settle 20
[ "$(dmc erin@example.org)" -eq 2 ]
ok $? "Dovecot back: the deferred message is delivered once"

# --- kill -9 of Dovecot in the middle of a batch --------------------------
# Every Dovecot process at once, while Postfix hands 20 messages to deputyd:
# the ones in flight get 4xx from deputyd, Postfix retries them once Dovecot
# is back. Nothing lost, no bounce; a copy Dovecot saved but could not
# confirm before it died comes twice (LMTP cannot tell), counted here.
dc_tree() {	# the pids of Dovecot's master and all its children
	echo "$dcpid"
	ps -o pid= --ppid "$dcpid" 2>/dev/null
	for c in $(ps -o pid= --ppid "$dcpid" 2>/dev/null); do ps -o pid= --ppid "$c" 2>/dev/null; done
}
base=$(grep -c 'to=<erin@example.org>.*relay=.*lmtp' "$LOG")
(
	for i in $(seq 1 20); do
		swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.com \
		    --to erin@example.org --header "Subject: kill9-$i" --body "kill9 $i" \
		    --helo client.example.com >/dev/null 2>&1
	done
) &
spid=$!
wait_for 20 sh -c "grep -c 'to=<erin@example.org>.*relay=.*lmtp' $LOG | awk '{ exit !(\$1 >= $((base + 5))) }'"
kill -9 $(dc_tree) 2>/dev/null
dcpid_dead=$dcpid; dcpid=""
wait "$spid"
sleep 1
rm -f "$DC/run/lmtp"	# its stale socket would pass dovecot_start's wait
dovecot_start
flush
wait_for 60 sh -c "[ \$(find $DC/mail/erin -type f -path '*/new/*' | xargs grep -l '^Subject: kill9-' 2>/dev/null | wc -l) -ge 20 ]"
settle 30
lost=0; twice=0
for i in $(seq 1 20); do
	n=$(find "$DC/mail/erin" -type f -path '*/new/*' | xargs grep -lx "Subject: kill9-$i" 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] && lost=$((lost + 1))
	[ "$n" -gt 1 ] && twice=$((twice + n - 1))
done
deferred=$(grep -c 'to=<erin@example.org>.*status=deferred' "$LOG")
[ "$lost" -eq 0 ] && [ "$(grep 'status=bounced' "$LOG" | grep -vc 'ghost@example.org')" -eq 0 ]
ok $? "kill -9 of Dovecot (pid $dcpid_dead and children) mid-batch: 20 of 20 delivered after it came back, $lost lost, no bounce ($deferred deferrals in all, $twice saved twice)"

[ "$(grep 'status=bounced' "$LOG" | grep -vc 'ghost@example.org')" -eq 0 ]
ok $? "no bounce but Dovecot's own for the unknown user"

done_testing
