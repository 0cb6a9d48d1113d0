#!/bin/sh
# injection - hostile senders, recipients, encoded headers and directory
# values: the stub sendmail's argv is exactly "-i -f SENDER --
# DELEGATE...", nothing runs through a shell, and the forwarded message
# is the original with deputy's own block in front: no injected line.
#
# The envelope sender, the recipient and the header are the sender's
# choice: each of them must end in exit 0 (DESIGN.md: nothing the sender
# controls may cause a deferral, which would end as a bounce). alice is
# away with bob as her delegate, so every message must also reach bob.

. "$(dirname "$0")/lib.sh"

setup_env
install_stub
marker=/tmp/deputy-injection-$$
rm -f "$marker"

# argv_count FILE: number of NUL-terminated elements
argv_count() { tr -cd '\000' <"$1" | wc -c; }
last_sent() { ls -t "$T"/sent/*.argv0 2>/dev/null | head -1; }

check_sender() {	# check_sender DESCRIPTION SENDER [EXPECTED-F-VALUE]
	rm -f "$T"/sent/*
	s="inject $1"
	m=$(make_msg "$s")
	lda "$m" -f "$2" -- alice@example.org
	[ "$rc" -eq 0 ]; ok $? "sender $1: exit $rc (must be 0: the sender chose it)"
	a=$(last_sent)
	if [ -z "$a" ]; then
		ok 1 "sender $1: forwarded to bob (nothing reached sendmail; rc $rc)"
		ok 1 "sender $1: passed as the single -f value (not forwarded)"
	else
		n=$(argv_count "$a")
		[ "$n" -eq 5 ] &&
		    [ "$(tr '\000' '\n' <"$a" | tail -2 | head -1)" = "--" ] &&
		    [ "$(tr '\000' '\n' <"$a" | tail -1)" = bob@example.org ]
		ok $? "sender $1: argv has 5 elements, -- then the delegate only (got $n)"
		# a sender with a newline is one element: compare the bytes
		printf '%s\0' -i -f "${3-$2}" -- bob@example.org | cmp -s - "$a"
		ok $? "sender $1: passed as the single -f value, unchanged"
	fi
}

check_sender "-oQ/tmp" "-oQ/tmp"
check_sender "-C/etc/x" "-C/etc/x"
check_sender "backquote id" "\`touch $marker\`@x"
check_sender "dollar paren" "\$(touch $marker)@x"
check_sender "quoted local part" '"john q. doe"@partner.example.net'
check_sender "spaces and -t" 'a@b -t -oi'
check_sender "semicolon" 'x@y; touch '"$marker"
# a control character cannot stand in an SMTP command nor a sendmail
# queue file: the forward goes from the null sender, and still goes
check_sender "newline" 'x@y
Bcc: evil@attacker.example' ""
check_sender "angle brackets" '<paul@partner.example.net>' paul@partner.example.net
[ ! -e "$marker" ]; ok $? "no shell ran: $marker does not exist"

# CRLF hidden in RFC 2047 encoded words; the forward is the original
rm -f "$T"/sent/*
cat >"$T/enc.eml" <<'EOF2'
From: =?utf-8?q?Paul=0D=0ABcc=3A_evil=40attacker=2Eexample?= <paul@partner.example.net>
To: =?utf-8?b?QWxpY2UNCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxl?= <alice@example.org>
Subject: =?utf-8?q?hello=0D=0ABcc=3A_evil=40attacker=2Eexample?=
Message-ID: <enc@partner.example.net>

body
EOF2
give "$T/enc.eml"
lda "$T/enc.eml" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 0 ]; ok $? "encoded CRLF: exit $rc"
a=$(last_sent)
[ -n "$a" ] && [ "$(argv_count "$a")" -eq 5 ]
ok $? "encoded CRLF: argv has 5 elements"
e=${a%.argv0}.eml
# the forward: deputy's block (loop marker and Resent-*), then the original
hdrs=$(sed -n '/^$/q; p' "$e" | grep -v '^[ 	]')
! echo "$hdrs" | grep -qi '^bcc:'
ok $? "encoded CRLF: no Bcc line in the forwarded header"
n_own=$(echo "$hdrs" | grep -c '^\(X-Deputy-Loop\|Resent-[A-Za-z-]*\):')
tail -c "$(wc -c <"$T/enc.eml")" "$e" | cmp -s - "$T/enc.eml" &&
    [ "$(echo "$hdrs" | wc -l)" -eq $((n_own + 4)) ]
ok $? "encoded CRLF: forward = $n_own lines of deputy's own + the original, unchanged"
grep -q 'Bcc' "$T/log" && ! grep -q '^Bcc' "$T/log"
ok $? "encoded CRLF: the log has no line starting with Bcc"
diag "log line: $(grep 'enc@partner' "$T/log" | tail -1 | cut -c1-200)"

# hostile directory values: CRLF, a leading dash, a space in a delegate
enc() { printf '%s' "$1" | base64 -w0; }
from=$(date -u -d yesterday +%Y%m%d); until=$(date -u -d '+14 days' +%Y%m%d)
cat >"$T/directory.ldif" <<LDIF
dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
uid: alice
mail: alice@example.org
deputyDelegate:: $(enc "carol@example.org
Bcc: evil@attacker.example")
deputyDelegate: -oQ/tmp@example.org
deputyDelegate: dave smith@example.org
deputyDelegate:: $(enc "erin@example.org,evil@attacker.example")
deputyDelegate: bob@example.org
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
mail: bob@example.org
LDIF
give "$T/directory.ldif"
rm -f "$T"/sent/*
m=$(make_msg "inject ldap values")
lda "$m" -f paul@partner.example.net -- alice@example.org
# not the sender's doing, but a live directory must not stop mail for
# one bad value: the bad values are skipped, bob gets his copy
[ "$rc" -eq 0 ]; ok $? "hostile delegates: exit $rc (must be 0)"
a=$(last_sent)
if [ -n "$a" ]; then
	printf '%s\0' -i -f paul@partner.example.net -- bob@example.org | cmp -s - "$a"
	ok $? "hostile delegates: only bob@example.org reaches argv ($(tr '\000' ' ' <"$a"))"
	e=${a%.argv0}.eml
	! sed -n '/^$/q; p' "$e" | grep -qi '^bcc:\|attacker'
	ok $? "hostile delegates: no injected header in the forward"
else
	ok 1 "hostile delegates: bob gets a copy (nothing reached sendmail)"
	ok 1 "hostile delegates: no injected header (nothing forwarded)"
fi

# hostile recipients (RCPT TO is the sender's too): exit 0, and nothing
# written outside the Maildir root
for r in '-oQ/tmp@example.org' '"alice smith"@example.org' 'a/../../b@example.org' '.@example.org'; do
	m=$(make_msg "inject rcpt $r")
	lda "$m" -f paul@partner.example.net -- "$r"
	[ "$rc" -eq 0 ]
	ok $? "recipient $r: exit $rc (must be 0: the sender chose it) $(echo "$err" | head -1)"
	[ -z "$(find "$T" -path "$T/mail" -prune -o -newer "$m" -type f -name '*.*.*' -print | grep -v "$T/sent\|$T/spool\|state.lmdb\|$T/log\|$T/std")" ]
	ok $? "recipient $r: nothing written outside the Maildir root"
done

rm -f "$marker"
cleanup
done_testing
