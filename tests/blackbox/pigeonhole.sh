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

# header_addr FILE NAME: the first address of header NAME
header_addr() {
	awk -v name="$2" '
	/^\r?$/ { exit }
	tolower($0) ~ "^" tolower(name) ":" {
		s = $0; sub(/\r$/, "", s)
		if (match(s, /<[^>]*>/)) s = substr(s, RSTART + 1, RLENGTH - 2)
		else { sub(/^[^:]*:[ \t]*/, "", s); sub(/[ ,\t].*$/, "", s) }
		print s; exit
	}' "$1"
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
	# the user's directory entry: away, with :addresses as aliases
	{
		echo "dn: uid=user,dc=example,dc=com"
		echo "objectClass: inetOrgPerson"
		echo "mail: $rcpt"
		echo "$cmd" | grep -o ':addresses \(\[[^]]*\]\|"[^"]*"\)' |
		    grep -o '"[^"]*"' | tr -d '"' |
		    sed 's/^/mailAlternateAddress: /'
		echo "deputyDelegate: deputy-delegate@example.net"
		echo "deputyAbsence:: $(absence_b64 20000101 21000101)"
	} >"$T/directory.ldif"
	[ "$(id -u)" -eq 0 ] && chown nobody "$T/directory.ldif"
	: >"$T/log"; [ "$(id -u)" -eq 0 ] && chown nobody "$T/log"
	if [ -n "$eorig" ]; then lda "$f" -f "$sender" -a "$eorig" -- "$rcpt"
	else lda "$f" -f "$sender" -- "$rcpt"; fi
	line=$(cat "$T/log")
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

cleanup
done_testing
