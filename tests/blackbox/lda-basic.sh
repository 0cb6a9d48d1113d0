#!/bin/sh
# lda-basic - the real deputy-lda, a stub sendmail, real Maildirs:
# delivery, forwarding, noise, loops, aliases, explain, retries.

. "$(dirname "$0")/lib.sh"

setup_env
M=$T/msg
mkdir -p "$M"

cat >"$M/personal.eml" <<'EOF2'
Return-Path: <paul@partner.example.net>
From: Paul Partner <paul@partner.example.net>
To: Alice Smith <alice@example.org>
Subject: Contract draft
Message-ID: <c1@partner.example.net>

Please look at the draft.
EOF2

# 1. personal mail to an away user: mailbox + forward to the delegate
lda "$M/personal.eml" -f paul@partner.example.net -- alice@example.org
ok $rc "personal mail to away user: exit 0 (got $rc)"
[ -z "$out" ] && [ -z "$err" ]; ok $? "nothing on stdout or stderr"
[ "$(maildir_count alice@example.org)" -eq 1 ]; ok $? "one copy in alice's Maildir"
f=$(ls "$T/mail/example.org/alice/Maildir/new/"* | head -1)
cmp -s "$f" "$M/personal.eml"; ok $? "mailbox copy is byte-identical"
[ "$(stat -c %a "$f")" = 600 ]; ok $? "mailbox file mode 0600"
[ "$(sent_count)" -eq 1 ]; ok $? "one forward handed to sendmail"
a=$(ls "$T/sent/"*.argv | head -1)
[ "$(tr '\n' ' ' <"$a")" = "-i -f paul@partner.example.net -- bob@example.org " ]
ok $? "sendmail argv: -i -f SENDER -- DELEGATE ($(tr '\n' ' ' <"$a"))"
e=${a%.argv}.eml
head -1 "$e" | grep -qx 'X-Deputy-Loop: alice@example.org'; ok $? "forward starts with the loop marker"
grep -q '^Resent-From: <alice@example.org>$' "$e"; ok $? "Resent-From names alice"
grep -q '^Resent-To: bob@example.org$' "$e"; ok $? "Resent-To names bob"
grep -q '^Resent-Date: ' "$e" && grep -q '^Resent-Message-ID: <deputy\.' "$e"
ok $? "Resent-Date and Resent-Message-ID present"
tail -n +6 "$e" | cmp -s - "$M/personal.eml"; ok $? "forward body: original bytes after 5 prepended fields"
grep -q 'to=<alice@example.org>.*away=yes mailbox=delivered forward=bob@example.org forward_reason=none notice=no notice_reason=unauthenticated' "$T/log"
ok $? "log line: away, delivered, forwarded, notice unauthenticated"
[ "$(grep -c 'to=<alice@example.org> msgid' "$T/log")" -eq 1 ]; ok $? "exactly one log line per recipient"

# 2. not away: mailbox only
sed 's/alice@example.org/erin@example.org/' "$M/personal.eml" >"$M/erin.eml"
lda "$M/erin.eml" -f paul@partner.example.net -- erin@example.org
ok $rc "mail to a present user: exit 0"
[ "$(maildir_count erin@example.org)" -eq 1 ] && [ "$(sent_count)" -eq 1 ]
ok $? "erin gets one copy, nothing forwarded"
grep -q 'to=<erin@example.org>.*away=no.*forward_reason=not-away.*notice_reason=not-away' "$T/log"
ok $? "log says not-away"

# 3. unknown recipient: delivered, not away
lda "$M/personal.eml" -f paul@partner.example.net -- zed@example.org
ok $rc "unknown recipient: exit 0"
[ "$(maildir_count zed@example.org)" -eq 1 ]; ok $? "unknown recipient still gets its copy"

# 4. bounce to alice: delivered, not forwarded
cat >"$M/bounce.eml" <<'EOF2'
From: Mail Delivery System <MAILER-DAEMON@mx.elsewhere.example>
To: alice@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

failed
--b
Content-Type: message/delivery-status

Action: failed
--b--
EOF2
lda "$M/bounce.eml" -f '' -- alice@example.org
ok $rc "bounce: exit 0"
[ "$(maildir_count alice@example.org)" -eq 2 ] && [ "$(sent_count)" -eq 1 ]
ok $? "bounce delivered, not forwarded"
grep -q 'from=<> to=<alice@example.org>.*forward_reason=bounce.*notice_reason=null-sender' "$T/log"
ok $? "log: forward_reason=bounce notice_reason=null-sender"

# 5. --explain changes nothing and prints the record
n_before=$(maildir_count alice@example.org)
lda "$M/personal.eml" --explain -f paul@partner.example.net -- alice@example.org
ok $rc "--explain exits 0"
[ "$(maildir_count alice@example.org)" -eq "$n_before" ] && [ "$(sent_count)" -eq 1 ]
ok $? "--explain delivers and forwards nothing"
echo "$out" | grep -q '^  forward: bob@example.org$'; ok $? "--explain shows the forward"
echo "$out" | grep -q '^  notice:  no (unauthenticated'; ok $? "--explain shows the notice reason"
echo "$out" | grep -q '^    null-sender  *pass$'; ok $? "--explain lists rule verdicts"
[ "$(echo "$out" | grep -c '^    [a-z-]* *\(pass\|FAIL\)')" -eq 18 ]; ok $? "--explain lists all 18 gate rules"

# 6. our loop marker for alice: kept, not forwarded
{ echo "X-Deputy-Loop: alice@example.org"; cat "$M/personal.eml"; } >"$M/loop.eml"
lda "$M/loop.eml" -f paul@partner.example.net -- alice@example.org
ok $rc "looping message: exit 0"
[ "$(sent_count)" -eq 1 ]; ok $? "looping message not forwarded"
grep -q 'forward_reason=loop' "$T/log"; ok $? "log says loop"

# 7. Delivered-To names the delegate: no forward
{ echo "Delivered-To: bob@example.org"; cat "$M/personal.eml"; } >"$M/dt.eml"
lda "$M/dt.eml" -f paul@partner.example.net -- alice@example.org
[ $rc -eq 0 ] && [ "$(sent_count)" -eq 1 ]; ok $? "Delivered-To: bob stops the forward to bob"
grep -q 'forward_reason=no-delegate' "$T/log"; ok $? "log says no-delegate"

# 8. the alias address finds alice
sed 's/alice@example.org/a.smith@example.org/' "$M/personal.eml" >"$M/alias.eml"
lda "$M/alias.eml" -f paul@partner.example.net -- a.smith@example.org
[ $rc -eq 0 ] && [ "$(sent_count)" -eq 2 ]; ok $? "mail to the alias is forwarded"
grep -q 'to=<a.smith@example.org>.*away=yes' "$T/log"; ok $? "alias resolves to the away entry"

# 9. two recipients in one run (a new message: the same bytes again would
# count as a retry of test 1)
sed 's/^Subject: Contract draft$/Subject: Contract draft, two/' "$M/personal.eml" >"$M/two.eml"
lda "$M/two.eml" -f paul@partner.example.net -- erin@example.org alice@example.org
[ $rc -eq 0 ] && [ "$(maildir_count erin@example.org)" -eq 2 ] && [ "$(sent_count)" -eq 3 ]
ok $? "two recipients: both delivered, alice's copy forwarded"

# 10. retry after a failed forward does not duplicate
cat >"$M/retry.eml" <<'EOF2'
Return-Path: <paul@partner.example.net>
From: Paul Partner <paul@partner.example.net>
To: Alice Smith <alice@example.org>
Subject: Retry me
Message-ID: <retry@partner.example.net>

Once only, please.
EOF2
echo 75 >"$T/sendmail.exit"; chmod 644 "$T/sendmail.exit"
n_mail=$(maildir_count alice@example.org); n_sent=$(sent_count)
lda "$M/retry.eml" -f paul@partner.example.net -- alice@example.org
[ $rc -eq 75 ]; ok $? "sendmail failing: exit 75 (got $rc)"
echo "$err" | grep -q '^4\.[0-9]\.[0-9] deputy-lda: .*exit 75'; ok $? "stderr: one 4.x.x line naming the failure ($err)"
[ "$(maildir_count alice@example.org)" -eq $((n_mail + 1)) ]; ok $? "mailbox copy made before the failure"
rm -f "$T/sendmail.exit"
n_sent=$(sent_count)
lda "$M/retry.eml" -f paul@partner.example.net -- alice@example.org
ok $rc "retry: exit 0"
[ "$(maildir_count alice@example.org)" -eq $((n_mail + 1)) ]; ok $? "retry: no second mailbox copy"
[ "$(sent_count)" -eq $((n_sent + 1)) ]; ok $? "retry: the forward is made once"
grep -q 'mailbox copy found in new/ or cur/, made by an earlier attempt' "$T/log"; ok $? "retry logged"
n_sent=$(sent_count)
lda "$M/retry.eml" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq $((n_mail + 1)) ] &&
    [ "$(sent_count)" -eq "$n_sent" ]
ok $? "a retry after a complete run (a kill -9 before the MTA saw exit 0) repeats nothing"

# 11. garbage: delivered as is, no forward
LC_ALL=C awk 'BEGIN { srand(42); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 255) + 1 }' >"$M/garbage.eml"
printf 'x: y\n\001\002\n' >>"$M/garbage.eml"
n_mail=$(maildir_count alice@example.org); n_sent=$(sent_count)
lda "$M/garbage.eml" -f paul@partner.example.net -- alice@example.org
[ $rc -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq $((n_mail + 1)) ] && [ "$(sent_count)" -eq $n_sent ]
ok $? "random bytes: delivered, not forwarded, exit 0 (exit $rc, $(tail -1 "$T/log" | sed 's/.*forward=//'))"
: >"$M/empty.eml"
lda "$M/empty.eml" -f paul@partner.example.net -- alice@example.org
[ $rc -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq $((n_mail + 2)) ]
ok $? "empty message: delivered, exit 0"

# 12. no shell: deputy-lda runs deputy-deliver (deputyd is not running
# here) in the same process, and that runs sendmail, and nothing else
if [ -n "${DEPUTY_SANITIZED:-}" ]; then
	skip "strace: deputy-lda runs through a sanitizer wrapper script"
elif command -v strace >/dev/null 2>&1; then
	# a stub that execs in place, so every execve below is ours or its
	cp "$T/bin/sendmail" "$T/bin/sendmail.rec"
	printf '#!/bin/sh\nexec cat >/dev/null\n' >"$T/bin/sendmail"
	sed 's/^Subject: Contract draft$/Subject: Contract draft, strace/' "$M/personal.eml" >"$M/strace.eml"
	as_user strace -f -qq -e trace=execve -o "$T/strace" "$DEPUTY_LDA" \
	    -c "$T/deputy.conf" -f paul@partner.example.net -- alice@example.org \
	    <"$M/strace.eml" >/dev/null 2>&1
	grep 'execve(' "$T/strace" | sed 's/^\([0-9]*\) *execve("\([^"]*\)".*/\1 \2/' >"$T/execs"
	first=$(sed -n 1p "$T/execs"); second=$(sed -n 2p "$T/execs")
	third=$(sed -n 3p "$T/execs")
	pids=$(tail -n +3 "$T/execs" | cut -d' ' -f1 | sort -u | wc -l)
	[ "${first#* }" = "$DEPUTY_LDA" ] &&
	    [ "${second#* }" = "$(dirname "$DEPUTY_LDA")/deputy-deliver" ] &&
	    [ "${first%% *}" = "${second%% *}" ] &&
	    [ "${third#* }" = "$T/bin/sendmail" ] &&
	    [ "$pids" -eq 1 ] && ! grep -q ' /bin/sh$\| /usr/bin/sh$\| /bin/bash$' "$T/execs"
	ok $? "strace: deputy-lda execs deputy-deliver, which execs sendmail, and nothing else ($(tr '\n' ' ' <"$T/execs"))"
	mv "$T/bin/sendmail.rec" "$T/bin/sendmail"
else
	skip "strace not installed"
fi

# 13. hostile sender cannot become an option
sed 's/^Subject: Contract draft$/Subject: Contract draft, hostile/' "$M/personal.eml" >"$M/hostile.eml"
lda "$M/hostile.eml" -f '-oQ/tmp/x' -- alice@example.org
a=$(ls -t "$T/sent/"*.argv | head -1)
[ $rc -eq 0 ] && [ "$(sed -n 3p "$a")" = "-oQ/tmp/x" ] && [ "$(sed -n 4p "$a")" = "--" ]
ok $? "sender '-oQ/tmp/x' travels as the value of -f"

# 14. the windows a kill -9 leaves: a mailbox copy made but not yet
# recorded is found in new/ (its name is the same on every attempt);
# a forward sent twice (killed after sendmail, before the record) is
# recognised at the delegate by its Resent-Message-ID
sed 's/^Subject: Contract draft$/Subject: Contract draft, window/' "$M/personal.eml" >"$M/window.eml"
before=$(maildir_count erin@example.org)
lda "$M/window.eml" -f paul@partner.example.net -- erin@example.org
rm -f "$T/state.lmdb" "$T/state.lmdb-lock"	# as if killed before the record
lda "$M/window.eml" -f paul@partner.example.net -- erin@example.org
[ $rc -eq 0 ] && [ "$(maildir_count erin@example.org)" -eq $((before + 1)) ] &&
    grep -q 'to=<erin@example.org>: mailbox copy found in new/' "$T/log"
ok $? "a copy in new/ without its record: found on the retry, not repeated"

copy() {	# copy HOP RESENT-ID: alice's forward of one message, at bob
	{
		printf 'Received: from hop%s (hop%s [192.0.2.%s]) by mx.example.org\n' "$1" "$1" "$1"
		printf 'X-Deputy-Loop: alice@example.org\nResent-From: <alice@example.org>\n'
		printf 'Resent-To: bob@example.org\nResent-Message-ID: <%s>\n' "$2"
		sed 's/^Subject: Contract draft$/Subject: Contract draft, forwarded/' "$M/personal.eml"
	} >"$M/copy.eml"
	chmod 644 "$M/copy.eml"
	lda "$M/copy.eml" -f paul@partner.example.net -- bob@example.org
}
before=$(maildir_count bob@example.org)
copy 1 deputy.0123456789abcdef.fedcba9876543210@mx.example.org
copy 2 deputy.0123456789abcdef.fedcba9876543210@mx.example.org
[ $rc -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq $((before + 1)) ] &&
    grep -q 'to=<bob@example.org>: a copy of forward <deputy.0123456789abcdef' "$T/log" &&
    grep ' msgid=' "$T/log" | tail -1 | grep -q 'mailbox=duplicate'
ok $? "the same forward arriving twice (other Received lines): one copy at the delegate"
rm -f "$T/state.lmdb" "$T/state.lmdb-lock"	# bob's first run killed before its record
copy 3 deputy.0123456789abcdef.fedcba9876543210@mx.example.org
[ $rc -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq $((before + 1)) ] &&
    grep -q 'to=<bob@example.org>: mailbox copy found in new/' "$T/log"
ok $? "a third copy after the delegate's record was lost: found in new/ by its name"
copy 4 deputy.0123456789abcdef.fedcba9876543210@other.example.net
copy 5 deputy.0123456789abcdef.fedcba9876543210@other.example.net
[ $rc -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq $((before + 3)) ]
ok $? "a Resent-Message-ID of another host: each copy delivered"

[ -n "${KEEP:-}" ] || cleanup
done_testing
