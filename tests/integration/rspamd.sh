#!/bin/sh
# rspamd - deputy-lda against a real rspamd on loopback (spam.scanner =
# "rspamd"; a private instance as in PLATFORM-NOTES 4b: network modules
# off, DNS to a closed port, no Redis).
#
# alice is away; her delegates are bob (inside: example.org) and carol
# (outside: example.net). No corpus sender is authenticated.
#
#  1. deputy's client works against rspamd 3.4: it does not half-close
#     the connection after the request (rspamd takes that for a client
#     that left, and closes without a reply), and what it reads equals
#     what `rspamc` says: score, required score and action, for ten
#     corpus messages (spam, phish, personal), with the same envelope.
#  2. The verdict steers each delegate (rspamd's scale, defaults):
#     "no action" and at most the clean threshold (2.0, read from
#     --explain's spam line) reaches bob and carol; more, or greylist or
#     add header, reaches bob only (sender unauthenticated).
#  3. Faults, each with a personal message: rspamd down (port closed), a
#     scanner that resets the connection, rspamd's worker SIGSTOPped, a
#     scanner that answers after the timeout (2 s). Always exit 0,
#     delivered, no notice; bob gets it, carol only when the sender is
#     authenticated; the log names the fault.
#
# rspamd's cold start compiles Hyperscan databases (~15 s, longer on a
# busy machine; the budget is 90 s); RSPAMD_DBDIR names a directory to
# keep that cache in between runs. How much spam gets through is
# measured in bench/spam-quality.sh, not tested here.
#
# Skips visibly when rspamd/rspamc, curl, perl or the corpus is absent.
# rspamd and the stand-in scanner are stopped by pid (EXIT trap).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scanners.sh"

C=$DEPUTY_SHARED/corpus
start_s=$(date +%s)

if [ ! -x "$RSPAMD" ] || [ ! -x "$RSPAMC" ] || ! command -v curl >/dev/null ||
    ! command -v perl >/dev/null; then
	skip "rspamd/rspamc, curl or perl not installed (Debian: rspamd curl): rspamd tests skipped"
	done_testing
	exit $?
fi
if [ ! -f "$C/labels.tsv" ]; then
	skip "corpus not found at $C: rspamd tests skipped"
	done_testing
	exit $?
fi

rspamd_cleanup() {
	rspamd_stop
	fake_scanner_stop
	integration_cleanup
}
trap rspamd_cleanup EXIT
trap 'exit 1' INT TERM HUP

setup_env
scanner_env
t0=$(date +%s)
if ! rspamd_start "$T/rs"; then
	diag "rspamd did not answer /ping within 90 s:"
	tail -20 "$T/rs/log/rspamd.log" "$T/rs/rspamd.out" 2>/dev/null |
	    sed 's/^/# /'
	ok 1 "rspamd answers /ping"
	done_testing
	exit $?
fi
ok 0 "rspamd answers /ping on 127.0.0.1:$RSPAMD_PORT after $(( $(date +%s) - t0 )) s"
scanner_conf rspamd "127.0.0.1:$RSPAMD_PORT" 10

# 1 and 2. Ten messages: every 30th spam and personal message, and two
# phish. rspamc gets the envelope deputy sends (From, Rcpt; no IP).
tab=$(printf '\t')
sample=$(awk -F"$tab" '($2 == "spam" || $2 == "personal") && n[$2]++ % 30 == 7 { print $1 }
    $2 == "phish" && p++ < 2 { print $1 }' "$C/labels.tsv")
n=0; clean=0; suspect=0; certain=0; actions=""
for f in $sample; do
	[ -f "$C/$f" ] || continue
	n=$((n + 1))
	sender=$(envelope_sender "$C/$f")
	scanner_body "$C/$f" >"$T/body.eml"
	# "Action: add header" and "Score: 6.20 / 15.00"
	"$RSPAMC" -h "127.0.0.1:$RSPAMD_PORT" -F "${sender:-<>}" \
	    -r alice@example.org "$T/body.eml" >"$T/rspamc.out" 2>&1
	want_action=$(sed -n 's/^Action: //p' "$T/rspamc.out" | head -1)
	want=$(sed -n 's,^Score: \([-0-9.]*\) / \([-0-9.]*\).*,\1/\2,p' \
	    "$T/rspamc.out" | head -1)
	scanner_explain "$C/$f"
	got=$(printf '%s\n' "$x_spam" |
	    sed -n 's,^rspamd \([-0-9.]*\) (its threshold \([-0-9.]*\)).*,\1/\2,p')
	got_action=$(printf '%s\n' "$x_spam" | sed -n 's/.*, action "\([a-z ]*\)".*/\1/p')
	[ -n "$want" ] && [ -n "$got" ] && [ "$rc" -eq 0 ] &&
	    [ "$want" = "$got" ] && [ -n "$want_action" ] &&
	    [ "$want_action" = "$got_action" ]
	r=$?
	ok $r "$f: deputy reads $got \"$got_action\", rspamc says $want \"$want_action\""
	[ $r -eq 0 ] || { diag "$x_spam"; sed 's/^/# /' "$T/rspamc.out" | head -8; }
	th_clean=$(printf '%s\n' "$x_spam" | sed -n 's/.*outside delegates at most \([-0-9.]*\).*/\1/p')
	case $want_action in
	"no action")
		class=$(awk -v s="${want%/*}" -v c="${th_clean:-2}" \
		    'BEGIN { print (s <= c ? "clean" : "suspect") }') ;;
	reject) class=certain ;;
	*) class=suspect ;;
	esac
	eval "$class=\$(( $class + 1 ))"
	actions="$actions${actions:+, }$want_action"
	scanner_band "$f" "$class"
done
[ "$n" -ge 10 ]; ok $? "sample messages read: $n"
[ "$suspect" -gt 0 ] && [ "$clean" -gt 0 ]
ok $? "the sample covers both bands offline rspamd reaches: $clean clean, $suspect not ($actions)"

# The same through curl and /checkv2, the bytes of PLATFORM-NOTES 4b:
# one message, to show the score is rspamd's own and not rspamc's.
f=spam/000.eml
scanner_body "$C/$f" >"$T/body.eml"
json=$(curl -s --max-time 20 --data-binary @"$T/body.eml" \
    -H "From: $(envelope_sender "$C/$f")" -H "Rcpt: alice@example.org" \
    "http://127.0.0.1:$RSPAMD_PORT/checkv2")
c_score=$(printf '%s' "$json" | sed -n 's/^{.*"score":\([-0-9.]*\),"required_score".*/\1/p')
scanner_explain "$C/$f"
[ -n "$c_score" ] && case $x_spam in "rspamd $(printf '%.2f' "$c_score") "*) true ;; *) false ;; esac
ok $? "$f: curl /checkv2 says $c_score, deputy reads: $x_spam"

# 3. Faults. A 2 s timeout keeps the waits short.
scanner_conf rspamd "127.0.0.1:$RSPAMD_PORT" 2
worker=$(rspamd_worker_pid)
if [ -n "$worker" ]; then
	kill -STOP "$worker"
	scanner_fault "rspamd's worker stopped (SIGSTOP)" 0 "timed out after 2 s"
	kill -CONT "$worker"
	wait_for 10 curl -sf "http://127.0.0.1:$RSPAMD_PORT/ping"
	ok $? "rspamd answers again after SIGCONT"
else
	ok 1 "rspamd's normal worker found (to SIGSTOP it)"
fi

down=$RSPAMD_PORT
rspamd_stop
scanner_conf rspamd "127.0.0.1:$down" 2
scanner_fault "rspamd down" 0 "127.0.0.1:$down: connect: Connection refused"
scanner_fault "rspamd down" 1 "Connection refused"

FAKE_PORT=$(free_port)
scanner_conf rspamd "127.0.0.1:$FAKE_PORT" 2
if fake_scanner_start reset "$FAKE_PORT"; then
	scanner_fault "scanner resets the connection" 0 "reset by peer"
else
	ok 1 "the stand-in scanner listens on $FAKE_PORT"
fi
fake_scanner_stop
if fake_scanner_start late "$FAKE_PORT" 4; then
	scanner_fault "scanner answers after the timeout" 0 "timed out after 2 s"
else
	ok 1 "the stand-in scanner listens on $FAKE_PORT"
fi
fake_scanner_stop
! grep -q "in progress" "$T/log"
ok $? "no stale errno in the log (\"Operation now in progress\")"

diag "rspamd test took $(( $(date +%s) - start_s )) s"
done_testing
