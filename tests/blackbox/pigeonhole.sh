#!/bin/sh
# pigeonhole - the 45 cases of Pigeonhole's vacation test suite through
# deputy-lda. Every no-reply case gets no notice, for the reason the case
# is about; the reply cases get no notice either, because no sender is
# authenticated yet (the trust gate comes later).

. "$(dirname "$0")/lib.sh"

P=$DEPUTY_SHARED/corpus/pigeonhole-vacation
if [ ! -f "$P/cases.tsv" ]; then
	skip "Pigeonhole cases not found at $P: 1 test skipped"
	done_testing
	exit $?
fi

# The reason each no-reply case is about.
expected_reason() {
	case $1 in
	reply-01-*) echo self ;;
	reply-02-*) echo self ;;
	reply-03-*) echo list-header ;;
	reply-04-*) echo precedence ;;
	reply-05-*) echo auto-submitted ;;
	reply-06-*|reply-07-*|reply-08-*) echo auto-response-suppress ;;
	reply-09-*) echo system-sender ;;
	reply-10-*|reply-11-*) echo not-addressed ;;
	smtp-02-*) echo null-sender ;;
	*) echo "" ;;
	esac
}

# case_ldif RCPT SIEVE-COMMAND EXTRA-LINE: the user's directory entry,
# away, with the command's :addresses as aliases
case_ldif() {
	{
		echo "dn: uid=user,dc=example,dc=com"
		echo "objectClass: inetOrgPerson"
		echo "mail: $1"
		echo "$3"
		echo "$2" | grep -o ':addresses \(\[[^]]*\]\|"[^"]*"\)' |
		    grep -o '"[^"]*"' | tr -d '"' |
		    sed 's/^/mailAlternateAddress: /'
		echo "deputyAbsence:: $(absence_b64 20000101 21000101)"
	} >"$T/directory.ldif"
}

setup_env
tab=$(printf '\t')
n=0
while IFS="$tab" read -r eml expected svtest name efrom eto eorig cmd; do
	[ "$eml" = eml ] && continue
	n=$((n + 1))
	f=$P/$eml
	# awk above turned empty fields into "-" (read would merge tabs)
	[ "$efrom" = - ] && efrom=""
	[ "$eto" = - ] && eto=""
	[ "$eorig" = - ] && eorig=""
	sender=${efrom:-$(header_addr "$f" from)}
	sender=${sender#<}; sender=${sender%>}
	[ "$sender" = "" ] && sender=""
	rcpt=${eto:-$(header_addr "$f" to)}
	case_ldif "$rcpt" "$cmd" "deputyDelegate: deputy-delegate@example.net"
	[ "$(id -u)" -eq 0 ] && chown nobody "$T/directory.ldif"
	: >"$T/log"; [ "$(id -u)" -eq 0 ] && chown nobody "$T/log"
	if [ -n "$eorig" ]; then lda "$f" -f "$sender" -a "$eorig" -- "$rcpt"
	else lda "$f" -f "$sender" -- "$rcpt"; fi
	line=$(cat "$T/log")
	[ "$rc" -eq 0 ] || diag "$eml: exit $rc: $err"
	want=$(expected_reason "$eml")
	case $expected in
	no-reply)
		echo "$line" | grep -q "notice=no notice_reason=$want\$"
		ok $? "$eml: no notice, reason $want (${line##*notice_reason=})" ;;
	reply)
		[ "$rc" -eq 0 ] && echo "$line" | grep -q "notice=no "
		ok $? "$eml: no notice without authentication (${line##*notice_reason=})" ;;
	*)
		[ "$rc" -eq 0 ] || [ "$rc" -eq 75 ]
		ok $? "$eml ($expected): exit 0 or 75 (got $rc), no notice" ;;
	esac
done <<CASES
$(awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 8; i++) if ($i == "") $i = "-"; print }' "$P/cases.tsv")
CASES
[ "$n" -eq 45 ]; ok $? "all 45 Pigeonhole cases ran ($n)"

# Second pass: the sender authenticated by a trusted Authentication-Results
# and a trusted spam score of 0, both above every Received field. Now
# every "reply" case gets a notice, every "no-reply" case none, except
# the deliberate differences below.
cat >>"$T/deputy.conf" <<CONF
auth { trusted_authserv_ids = {"mx.example.org"} }
spam { trusted_headers = {"X-Spam-Score"} }
templates { dir = "$srcdir/templates" }
CONF

m=0
while IFS="$tab" read -r eml expected svtest name efrom eto eorig cmd; do
	[ "$eml" = eml ] && continue
	[ "$efrom" = - ] && efrom=""
	[ "$eto" = - ] && eto=""
	[ "$eorig" = - ] && eorig=""
	f=$P/$eml
	sender=${efrom:-$(header_addr "$f" from)}
	sender=${sender#<}; sender=${sender%>}
	rcpt=${eto:-$(header_addr "$f" to)}
	case_ldif "$rcpt" "$cmd" "displayName: Test User"
	{
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "$sender"
		printf 'X-Spam-Score: 0\n'
		cat "$f"
	} >"$T/case.eml"
	rm -f "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock"
	: >"$T/log"
	[ "$(id -u)" -eq 0 ] && chown nobody "$T/directory.ldif" "$T/case.eml" "$T/log" "$T/sent"
	if [ -n "$eorig" ]; then lda "$T/case.eml" -f "$sender" -a "$eorig" -- "$rcpt"
	else lda "$T/case.eml" -f "$sender" -- "$rcpt"; fi
	line=$(grep ' msgid=' "$T/log" | tail -1)
	notices=$(grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l)
	why=$(deliberate "$eml")
	m=$((m + 1))
	case $expected in
	reply)
		if [ -n "$why" ]; then
			echo "$line" | grep -q "notice=no notice_reason=$why\$"
			ok $? "$eml (trusted): deliberately no notice: $why (${line##*notice_reason=})"
		else
			[ "$notices" -eq 1 ] && echo "$line" | grep -q "notice=sent"
			ok $? "$eml (trusted): one notice (${line##*notice=})"
		fi ;;
	no-reply)
		want=$(expected_reason "$eml")
		[ "$notices" -eq 0 ] && echo "$line" | grep -q "notice_reason=$want\$"
		ok $? "$eml (trusted): no notice, reason $want (${line##*notice_reason=})" ;;
	*)
		[ "$notices" -eq 0 ] || [ "$rc" -eq 0 ]
		ok $? "$eml (trusted, $expected): exit $rc" ;;
	esac
done <<CASES
$(awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 8; i++) if ($i == "") $i = "-"; print }' "$P/cases.tsv")
CASES

cleanup
done_testing
