#!/bin/sh
# postfix.sh - a real Postfix, a real slapd and deputy-lda end to end (TAP)
#
# Postfix (private config in $T/pf, 127.0.0.1:<free port>) hands mail for
# example.org to a pipe transport that runs the built deputy-lda as
# nobody; the directory is the private slapd of lib.sh. deputy-lda's
# forwards go back into the same Postfix (see pf_sendmail_wrapper for
# why over SMTP), so a delegate's copy really travels through the queue
# to the delegate's Maildir. Mail is injected with swaks.
#
# Shows: the away user's mailbox copy; exactly one copy at the delegate,
# with X-Deputy-Loop and Resent-* fields; transitive delegation; cycles
# (A->B->A, self, three-way) end with no copy looping back; status=sent
# in the Postfix log, no bounce anywhere, the queue empty; with slapd
# stopped the message is deferred (exit 75) and after slapd is back and
# "postqueue -f" it is delivered once, with one forward.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

for need in "$SLAPD" "$SLAPADD" "$POSTFIX" /usr/sbin/postqueue; do
	if [ ! -x "$need" ]; then
		skip "$need not installed (scripts/packages/integration.txt)"
		done_testing
		exit 0
	fi
done
if ! command -v swaks >/dev/null || ! perl -MNet::SMTP -e1 2>/dev/null; then
	skip "swaks or Perl's Net::SMTP not installed"
	done_testing
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	skip "a private Postfix needs root (CI runs as root)"
	done_testing
	exit 0
fi

setup_env
trap integration_cleanup EXIT
trap 'exit 1' INT TERM

# cycles: cyca <-> cycb, selfie -> selfie, tri1 -> tri2 -> tri3 -> tri1
cycle_ldif() {
	from=$(date -u -d yesterday +%Y%m%d)
	until=$(date -u -d '+14 days' +%Y%m%d)
	for e in cyca:cycb cycb:cyca selfie:selfie tri1:tri2 tri2:tri3 tri3:tri1 \
	    extra:partner@partner.example; do
		u=${e%%:*}; d=${e#*:}
		case $d in *@*) ;; *) d="uid=$d,ou=people,$BASE" ;; esac
		printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: deputyUser\nuid: %s\ncn: %s\nsn: %s\nmail: %s@example.org\ndeputyDelegate: %s\ndeputyAbsence:: %s\n\n' \
		    "$u" "$BASE" "$u" "$u" "$u" "$u" "$d" "$(absence_b64 "$from" "$until")"
	done
}

slapd_setup && cycle_ldif >"$T/slapd/cycles.ldif" &&
    "$SLAPADD" -q -n1 -F "$T/slapd/slapd.d" -l "$T/slapd/cycles.ldif" >>"$T/slapd/setup.log" 2>&1 &&
    chown -R "$(ldap_user):" "$T/slapd"
ok $? "slapd configured with the test entries and cycles"
slapd_start
ok $? "slapd answers on $LDAP_URI"

postfix_setup "example.org=deputy: partner.example=discard: example.com=discard:"
ok $? "postfix check passes for the private instance"
pf_sendmail_wrapper "$T/bin/pf-sendmail" "$SMTP_PORT"
sed "s,sendmail = .*,sendmail = \"$T/bin/pf-sendmail\"," "$T/deputy.conf" >"$T/deputy.conf.orig"
ldap_conf "$LDAP_URI"
# SRS for delegates outside example.org: a 0600 key owned by the pipe user
head -c 32 /dev/urandom | base64 >"$T/srs.key"
chmod 600 "$T/srs.key"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/srs.key"
sed -i "s|^submission {|submission {\n\tsrs_domain = \"example.org\"\n\tsrs_key_file = \"$T/srs.key\"|" "$T/deputy.conf"
# A delegate outside our domains gets only mail with a clean spam
# verdict (or from an authenticated sender): trust X-Spam-Score below
# Postfix's own Received field, as a content filter would add it
printf 'spam {\n\ttrusted_headers = {"X-Spam-Score"}\n}\nauth {\n\tboundary_received = 1\n}\n' >>"$T/deputy.conf"
chown -R nobody: "$T/mail" "$T/spool" "$T/bin"
postfix_start
ok $? "postfix listens on 127.0.0.1:$SMTP_PORT"

LOG=$T/pf/maillog
send() {	# send TO SUBJECT: inject one message with swaks
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.com \
	    --to "$1" --header "Subject: $2" --body "test $2" \
	    --helo client.example.com >"$T/swaks.log" 2>&1
}
send_from() {	# send_from FROM TO SUBJECT: FROM "" is the null sender
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --from "${1:-<>}" \
	    --to "$2" --header "Subject: $3" --body "test $3" \
	    --helo client.example.com >"$T/swaks.log" 2>&1
}
mcount() { maildir_count "$1"; }
settle() {	# wait until the queue is empty (deliveries done), at most $1 s
	wait_for "$1" pf_queue_empty
	sleep 0.5
}

# --- away user, one delegate -------------------------------------------

send alice@example.org away1
ok $? "swaks: the message to alice is accepted"
wait_for 20 sh -c "[ \$(ls $T/mail/example.org/bob/Maildir/new 2>/dev/null | wc -l) -ge 1 ]"
settle 10
[ "$(mcount alice@example.org)" -eq 1 ]
ok $? "alice's Maildir has the message"
[ "$(mcount bob@example.org)" -eq 1 ]
ok $? "bob's Maildir has exactly one forward"
f=$(ls "$T"/mail/example.org/bob/Maildir/new/* 2>/dev/null | head -1)
grep -qi '^X-Deputy-Loop: .*alice@example.org' "$f" && grep -qi '^Resent-From:' "$f" &&
    grep -qi '^Resent-To: .*bob@example.org' "$f" && grep -qi '^Resent-Date:' "$f" &&
    grep -qi '^Resent-Message-ID:' "$f"
ok $? "the forward carries X-Deputy-Loop and Resent-* fields"
grep -q '^Subject: away1' "$f" && grep -q 'test away1' "$f"
ok $? "the forward keeps the original header and body"
grep -q 'to=<alice@example.org>.*relay=deputy.*status=sent' "$LOG" &&
    grep -q 'to=<bob@example.org>.*relay=deputy.*status=sent' "$LOG"
ok $? "Postfix log: status=sent for alice and for the forward to bob"
grep -q 'from=<sender@example.com>' "$LOG"
ok $? "the internal forward keeps the original envelope sender"

# --- transitive ---------------------------------------------------------

send carol@example.org trans1
wait_for 20 sh -c "[ \$(ls $T/mail/example.org/erin/Maildir/new 2>/dev/null | wc -l) -ge 1 ]"
settle 10
[ "$(mcount carol@example.org)" -eq 1 ] && [ "$(mcount erin@example.org)" -eq 1 ] &&
    [ "$(mcount dave@example.org)" -eq 0 ]
ok $? "transitive: carol's copy, one at erin (dave is away too), none at dave"

# --- cycles -------------------------------------------------------------

for c in cyca selfie tri1; do send "$c@example.org" "cycle-$c"; done
settle 30
total=0
for u in cyca cycb selfie tri1 tri2 tri3; do
	n=$(mcount "$u@example.org")
	total=$((total + n))
	diag "cycle mailbox $u: $n"
done
[ "$(mcount cyca@example.org)" -eq 1 ] && [ "$(mcount selfie@example.org)" -eq 1 ] &&
    [ "$(mcount tri1@example.org)" -eq 1 ]
ok $? "cycles: each sender's own mailbox holds its message once, nothing looped back"
[ "$(mcount cycb@example.org)" -le 1 ] && [ "$(mcount tri2@example.org)" -le 1 ] &&
    [ "$(mcount tri3@example.org)" -le 1 ]
ok $? "cycles: no delegate got more than one copy ($total deliveries in all)"
[ "$(mcount selfie@example.org)" -eq 1 ] && ! grep -q 'to=<selfie@example.org>.*forward=selfie' "$T/log"
ok $? "self-delegation: kept, not forwarded to itself"
grep -i 'warning:.*\(cycl\|loop\)' "$T/log" | grep -q 'cyca\|cycb\|selfie\|tri[123]'
ok $? "deputy logged a line about each cycle"

grep -E 'to=<(cyca|selfie|tri1|tri2|tri3|cycb)@' "$T/log" | sed 's/^/# /' | head -12

# --- external delegate: SRS --------------------------------------------

swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.com \
    --to extra@example.org --header "Subject: srs1" --add-header \
    "X-Spam-Score: 0.0" --body "test srs1" --helo client.example.com \
    >"$T/swaks.log" 2>&1
settle 15
ext_from=$(grep 'to=<partner@partner.example>' "$LOG" | head -1 |
    sed -n 's/.*: \([0-9A-F]*\): to=.*/\1/p')
ext_sender=$(grep "$ext_from: from=<" "$LOG" 2>/dev/null | sed -n 's/.*from=<\([^>]*\)>.*/\1/p' | head -1)
diag "external forward envelope sender: <$ext_sender>"
[ -n "$ext_from" ]
ok $? "the forward to the external delegate left Postfix (discard transport)"
case $ext_sender in SRS0=*@example.org) srs_rc=0 ;; *) srs_rc=1 ;; esac
ok $srs_rc "the external forward has an SRS0 envelope sender"


# --- directory down: deferred, then delivered once ----------------------

slapd_stop
send alice@example.org defer1
wait_for 20 grep -q 'to=<alice@example.org>.*status=deferred' "$LOG"
ok $? "slapd stopped: Postfix defers the message (deputy-lda exit 75)"
grep 'status=deferred' "$LOG" | tail -1 | sed 's/^.*status=/# status=/'
grep 'to=<alice@example.org>.*status=deferred' "$LOG" | grep -q "4\.[0-9]\.[0-9].*LDAP $LDAP_URI"
ok $? "the deferral reason names the LDAP URI"
postqueue -c "$T/pf/etc" -p 2>&1 | grep -q 'alice@example.org'
ok $? "the message stays in the queue"
[ "$(mcount alice@example.org)" -eq 1 ] && [ "$(mcount bob@example.org)" -eq 1 ]
ok $? "nothing delivered, nothing forwarded while the directory is down"
slapd_start
ok $? "slapd back"
postqueue -c "$T/pf/etc" -f
wait_for 30 sh -c "[ \$(ls $T/mail/example.org/bob/Maildir/new 2>/dev/null | wc -l) -ge 2 ]"
settle 15
[ "$(mcount alice@example.org)" -eq 2 ] && [ "$(mcount bob@example.org)" -eq 2 ]
ok $? "after postqueue -f: delivered once to alice, forwarded once to bob"

# --- the end: no bounce, queue empty ------------------------------------

settle 10
pf_queue_empty
ok $? "the Postfix queue is empty"
! grep -q 'status=bounced\|sender non-delivery notification\|postmaster non-delivery' "$LOG"
ok $? "no bounce was generated"
! grep -q 'from=<>' "$LOG"
ok $? "no message with the null sender (no DSN, no notice) went through Postfix"

# A bounce to that SRS address comes back through deputy-lda and is
# passed on, from <>, to the original sender (who is local here).
if [ -n "$ext_sender" ]; then
	send_from "" "$ext_sender" srsbounce
	settle 15
	grep -q "to=<$(echo "$ext_sender" | tr 'A-Z' 'a-z')>.*srs=returned original=<" "$T/log"
	ok $? "a bounce to the SRS address is reversed to the original sender"
else
	skip "no SRS address to bounce to"
fi

grep -c 'status=sent' "$LOG" | sed 's/^/# status=sent lines: /'
postfix_stop
slapd_stop
done_testing
