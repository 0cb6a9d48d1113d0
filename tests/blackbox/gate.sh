#!/bin/sh
# gate - the notice gate end to end through the real deputy-lda: one
# authenticated, clean message gets exactly one notice; every forgery,
# misplacement and repeat gets none, for the reason it is about.

. "$(dirname "$0")/lib.sh"

setup_env
cat >>"$T/deputy.conf" <<CONF
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
spam {
	trusted_headers = {"X-Spam-Score", "X-Spam-Status"}
}
templates {
	dir = "$srcdir/templates"
}
CONF
sed -i 's/^\tdeadline = 60$/\tdeadline = 60\n}\npolicy {\n\trate_per_domain = 3/' "$T/deputy.conf"
M=$T/m
mkdir -p "$M"; chmod 755 "$M"
n=0

# msg NAME SENDER [EXTRA-TOP-HEADERS [EXTRA-BODY]]: write a message
msg() {
	{
		printf '%b' "$3"
		printf 'Received: from mail.example.com (mail.example.com [192.0.2.1])\n'
		printf '\tby mx.example.org (Postfix) with ESMTPS id 4Y1;\n'
		printf '\tTue, 22 Dec 2026 09:14:02 +0100 (CET)\n'
		printf 'From: Bob <%s>\n' "$2"
		printf 'To: Alice <alice@example.org>\n'
		printf 'Subject: question %s\n' "$1"
		printf 'Message-ID: <%s@example.com>\n' "$1"
		printf 'MIME-Version: 1.0\n'
		if [ -n "${4:-}" ]; then
			printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n'
			printf 'Content-Type: text/plain\n\nsee attached\n--b\n'
			printf 'Content-Type: message/rfc822\n\n%b\n--b--\n' "$4"
		else
			printf 'Content-Type: text/plain\n\nHello Alice.\n'
		fi
	} >"$M/$1.eml"
	chmod 644 "$M/$1.eml"
}

AR_OK='Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=bob@example.com\n'
SCORE0='X-Spam-Score: 0.0\n'

# expect NAME SENDER REASON: run, check the notice verdict
expect() {
	before=$(grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l)
	lda "$M/$1.eml" -f "$2" -- alice@example.org
	after=$(grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l)
	line=$(grep ' msgid=' "$T/log" | tail -1)
	if [ "$3" = sent ]; then
		[ "$rc" -eq 0 ] && [ "$after" -eq $((before + 1)) ] &&
		    echo "$line" | grep -q 'notice=sent notice_reason=none$'
		ok $? "$1: one notice (${line##*notice=})"
	else
		[ "$rc" -eq 0 ] && [ "$after" -eq "$before" ] &&
		    echo "$line" | grep -q "notice=no notice_reason=$3\$"
		ok $? "$1: no notice, $3 (${line##*notice_reason=})"
	fi
}

# The positive case, and what the notice looks like.
msg good bob@example.com "$AR_OK$SCORE0"
expect good bob@example.com sent
a=$(grep -l '^$' "$T/sent/"*.argv | head -1)
[ "$(tr '\n' ' ' <"$a")" = "-i -f  -- bob@example.com " ]
ok $? "notice argv: -i -f '' -- SENDER ($(tr '\n' '|' <"$a"))"
e=${a%.argv}.eml
grep -q '^Auto-Submitted: auto-replied$' "$e"; ok $? "notice: Auto-Submitted: auto-replied"
grep -q '^Precedence: bulk$' "$e" && grep -q '^X-Auto-Response-Suppress: All$' "$e"
ok $? "notice: Precedence and X-Auto-Response-Suppress"
grep -q '^In-Reply-To: <good@example.com>$' "$e" && grep -q '^References: <good@example.com>$' "$e"
ok $? "notice: In-Reply-To and References"
grep -q '^To: bob@example.com$' "$e" && grep -q '^From: Alice Smith <alice@example.org>$' "$e"
ok $? "notice: from the away user to the sender only"
grep -q '^Subject: Out of office: question good$' "$e"; ok $? "notice: subject from the template"
! grep -q 'Hello Alice' "$e"; ok $? "notice: no quoted content"
grep -q 'bob@example.org' "$e"; ok $? "notice: names the delegate"
grep -q 'notice sent to <bob@example.com> (template notice.en)' "$T/log"; ok $? "notice logged"

# The same sender again within the period: duplicate.
msg good2 bob@example.com "$AR_OK$SCORE0"
expect good2 bob@example.com duplicate

# Forgeries and misplacements.
msg untrusted bob@example.com 'Authentication-Results: evil.example; spf=pass smtp.mailfrom=bob@example.com\n'"$SCORE0"
expect untrusted bob@example.com unauthenticated

msg attached carol@example.com "$SCORE0" \
    'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=carol@example.com\nFrom: carol@example.com\nSubject: inner\n\ninner'
expect attached carol@example.com unauthenticated

# below the boundary: after our Received line, where a sender can write it
msg below dave@example.com "$SCORE0"
sed -i 's/^Subject: question below$/Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=dave@example.com\nSubject: question below/' "$M/below.eml"
expect below dave@example.com unauthenticated

msg otherdomain erin@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=erin@example.net\n'"$SCORE0"
expect otherdomain erin@example.com unauthenticated

msg cve frank@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.net(.example.com\n'"$SCORE0"
expect cve frank@example.com unauthenticated

msg dkim grace@example.com 'Authentication-Results: mx.example.org; dkim=pass header.d=unrelated.example\n'"$SCORE0"
expect dkim grace@example.com unauthenticated

msg dmarc heidi@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=heidi@example.com; dmarc=fail header.from=example.com\n'"$SCORE0"
expect dmarc heidi@example.com unauthenticated

msg twofrom ivan@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=ivan@example.com\n'"$SCORE0"
sed -i 's/^From: Bob <ivan@example.com>$/From: Bob <ivan@example.com>, Mallory <mallory@example.net>/' "$M/twofrom.eml"
expect twofrom ivan@example.com multiple-from

# spam score: untrusted (below the boundary), above the threshold
msg spamlow judy@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=judy@example.com\n'
sed -i 's/^Subject: question spamlow$/X-Spam-Score: -20\nSubject: question spamlow/' "$M/spamlow.eml"
expect spamlow judy@example.com spam-unknown

msg spamhigh karl@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=karl@example.com\nX-Spam-Status: Yes, score=3.4 required=5.0\n'
expect spamhigh karl@example.com spam-score

# spam above the forwarding threshold is not forwarded either
msg spamfwd liz@example.com 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=liz@example.com\nX-Spam-Score: 9.1\n'
expect spamfwd liz@example.com spam-score
grep 'to=<alice@example.org> msgid=<spamfwd@example.com>' "$T/log" | grep -q 'forward=- forward_reason=spam-score'
ok $? "spam above the forwarding threshold is not forwarded"

# rate cap per sender domain (3 an hour): two more senders of example.com
# pass, the next one is capped
for who in mike nina; do
	msg "rate-$who" "$who@example.com" "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=$who@example.com\n$SCORE0"
	expect "rate-$who" "$who@example.com" sent
done
msg rate-oscar oscar@example.com "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=oscar@example.com\n$SCORE0"
expect rate-oscar oscar@example.com rate

# A sender that passes every rule but is no single address: GMime would
# write "To: x@ruth" for it. No notice, and the log says why.
for s in 'x@ruth@example.net' '[ruth@example.net'; do
	# a '[' in a pvalue is only valid quoted: "[ruth"@example.net
	case $s in \[*) mf="\"${s%@*}\"@${s#*@}" ;; *) mf=$s ;; esac
	msg twoat ruth@example.net "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=$mf\n$SCORE0"
	before=$(grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l)
	lda "$M/twoat.eml" -f "$s" -- alice@example.org
	after=$(grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l)
	[ "$rc" -eq 0 ] && [ "$after" -eq "$before" ] &&
	    grep 'msgid=<twoat@example.com>' "$T/log" | tail -1 |
	    grep -q 'mailbox=delivered .*notice=no notice_reason=null-sender$'
	ok $? "sender $s: delivered, no notice: no usable return path ($rc)"
done

# A notice that sendmail refuses is logged, not retried: exit 0, and the
# sender is not recorded, so a later message may still get one.
cat >"$T/bin/sendmail" <<STUB
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$T/sent/\$\$.argv"
cat >"$T/sent/\$\$.eml"
[ "\$2" = "-f" ] && [ "\$3" = "" ] && exit 1
exit 0
STUB
msg refused pat@example.org "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=pat@example.org\n$SCORE0"
lda "$M/refused.eml" -f pat@example.org -- alice@example.org
[ "$rc" -eq 0 ] && grep -q 'notice to <pat@example.org> not sent' "$T/log" &&
    grep 'msgid=<refused@example.com>' "$T/log" | grep -q 'notice=failed notice_reason=none'
ok $? "a notice sendmail refuses: exit 0, logged, not sent, the record says notice=failed ($rc)"

# A hostile display name in the directory never splits a header.
cat >"$T/bin/sendmail" <<STUB
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$T/sent/\$\$.argv"
cat >"$T/sent/\$\$.eml"
exit 0
STUB
evil=$(printf 'Alice\r\nBcc: victim@example.net\r\nX-Injected: 1' | base64 -w0)
sed -i "s|^displayName: Alice Smith\$|displayName:: $evil|" "$T/directory.ldif"
msg hostile quinn@example.info "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=quinn@example.info\n$SCORE0"
sed -i 's/^Subject: question hostile$/Subject: =?utf-8?q?hi=0D=0ABcc=3A_v=40example.net?=/' "$M/hostile.eml"
expect hostile quinn@example.info sent
e=$(ls -t "$T/sent/"*.eml | head -1)
hdr=$(sed '/^$/q' "$e")
! echo "$hdr" | grep -qi '^\(bcc\|x-injected\):' && ! grep -q "$(printf '\r')" "$e"
ok $? "hostile name and subject: no injected header, no CR"

cleanup
done_testing
