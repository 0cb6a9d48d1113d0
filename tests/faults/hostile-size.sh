#!/bin/sh
# hostile-size - hostile sizes and shapes through the real deputy-lda.
#
# The messages are made here, never stored: a million empty MIME parts
# in under 10 MB, 3.5 million in 25 MB, multiparts nested 5,000 deep,
# 20,000 header fields, a 100 MB attachment, a 10 MiB header block, 500k
# address lines, 100k nested comments, NULs, bare CR, overlong lines,
# empty and truncated input; and one run for 1,000 recipients.
#
# Everything a sender makes must end in exit 0 (never 75: a deferral the
# sender can cause repeats until the MTA bounces), with exactly one
# mailbox copy per recipient, byte for byte the input. A message over
# one of deputy's caps (MIME parts, nesting, header fields, header
# bytes) is "oversized": delivered, no forward, no notice, and the log
# says forward_reason=oversized notice_reason=oversized. The sender is
# authenticated and clean, so the control message does get a forward
# and a notice: their absence below means something.
#
# Peak RSS (/usr/bin/time %M) is asserted: it is a resource bound, not
# a timing. Time is printed as a diagnostic only.
#
#	HOSTILE_DEADLINE=5 DEPUTY_LDA=/path/to/other/deputy-lda \
#	    sh tests/faults/hostile-size.sh
# runs the same cases against another build with a short
# delivery.deadline (default 60 s, the other black-box tests' value).

. "$(dirname "$0")/lib.sh"

setup_env
G=$T/gen
mkdir -p "$G"
chmod 755 "$G"
cat >>"$T/deputy.conf" <<CONF
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
spam {
	trusted_headers = {"X-Spam-Score"}
}
templates {
	dir = "$srcdir/templates"
}
CONF
sed -i "s/^\tdeadline = 60\$/\tdeadline = ${HOSTILE_DEADLINE:-60}/" "$T/deputy.conf"

# RSS bounds. deputy keeps a bounded header block and scans bodies with
# constant memory; the small bound is for the cases that once cost GMime
# a tree of every part (1.6 GB for 1.25 million parts).
RSS_LIMIT_KB=${DEPUTY_RSS_LIMIT_KB:-131072}
RSS_SMALL_KB=${DEPUTY_RSS_SMALL_KB:-32768}
SENDER=paul@partner.example.net

# top SUBJECT: the top of every generated message: a trusted
# Authentication-Results and spam score above our own Received line, so
# a message deputy can read is forwarded to bob and answered with a
# notice.
top() {
	printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "$SENDER"
	printf 'X-Spam-Score: 0.0\n'
	printf 'Received: from mail.partner.example.net (mail.partner.example.net [192.0.2.7])\n'
	printf '\tby mx.example.org (Postfix) with ESMTPS id 4Y1;\n'
	printf '\tTue, 22 Dec 2026 09:14:02 +0100 (CET)\n'
	printf 'From: Paul Partner <%s>\n' "$SENDER"
	printf 'To: Alice Smith <alice@example.org>\n'
	printf 'Subject: %s\n' "$1"
	printf 'Message-ID: <%s@partner.example.net>\n' "$(echo "$1" | tr -c 'A-Za-z0-9\n' '.')"
	printf 'Date: Tue, 22 Dec 2026 09:14:00 +0100\n'
}
mime_top() {	# mime_top SUBJECT BOUNDARY
	top "$1"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="%s"\n\n' "$2"
}

gen_control() {
	mime_top "control" b
	printf -- '--b\nContent-Type: text/plain\n\nHello Alice.\n'
	printf -- '--b\nContent-Type: text/plain\n\nsecond part\n--b--\n'
}
gen_empty_parts() {	# gen_empty_parts COUNT: "--b" LF, the blank line
	mime_top "empty parts $1" b
	yes -- '--b
' | head -n $(($1 * 2))
	printf -- '--b--\n'
}
gen_empty_parts_crlf() {	# gen_empty_parts_crlf COUNT: 7 bytes a part
	mime_top "empty parts crlf $1" b
	yes -- "$(printf -- '--b\r\n\r')" | head -n $(($1 * 2))
	printf -- '--b--\r\n'
}
gen_nested() {	# gen_nested DEPTH
	mime_top "nested $1" b0
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			print "--b" i
			print "Content-Type: multipart/mixed; boundary=\"b" i + 1 "\""
			print ""
		}
		print "--b" n; print "Content-Type: text/plain"; print ""
		print "x"; print "--b" n "--"
		for (i = n - 1; i >= 0; i--) print "--b" i "--"
	}'
}
gen_fields() {	# gen_fields COUNT: many short header fields
	top "fields $1"
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "X-F%d: v\n", i }'
	printf '\nbody\n'
}
gen_big_attachment() {	# gen_big_attachment MIB: text, then MIB of base64
	mime_top "attachment $1 MiB" b
	printf -- '--b\nContent-Type: text/plain\n\nThe file, as promised.\n'
	printf -- '--b\nContent-Type: application/octet-stream\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	yes 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0' |
	    head -c $(($1 * 1048576))
	printf -- '--b--\n'
}
gen_big_body() {	# gen_big_body MIB: one text/plain body
	top "body $1 MiB"
	printf '\n'
	yes 'a plain line of text, over and over, as a very long letter might' |
	    head -c $(($1 * 1048576))
}
gen_header_block() {	# gen_header_block MIB
	top "big header block"
	awk -v mib="$1" 'BEGIN {
		line = "X-Filler: " sprintf("%0100d", 0)
		n = int(mib * 1048576 / 111)
		for (i = 0; i < n; i++) print line
		print ""; print "body"
	}'
}
gen_to_lines() {	# gen_to_lines COUNT
	top "many recipients"
	awk -v n="$1" 'BEGIN {
		printf "Cc: alice@example.org,\n"
		for (i = 0; i < n - 1; i++) printf " a%07d@example.net,\n", i
		printf " last@example.net\n\nbody\n"
	}'
}
gen_comments() {	# gen_comments DEPTH
	awk -v n="$1" 'BEGIN {
		s = ""; for (i = 0; i < n; i++) s = s "("
		t = ""; for (i = 0; i < n; i++) t = t ")"
		print "From: " s t " paul@partner.example.net"
		print "To: Alice Smith <alice@example.org>"
		print "Subject: nested comments"; print ""; print "body"
	}'
}
gen_long_lines() {
	top "long lines"
	awk 'BEGIN {
		s = ""; for (i = 0; i < 5000; i++) s = s "s"
		print "X-Long-5000: " s
		c = ""; for (i = 0; i < 3000; i++) c = c "c"
		print "X-Long-3000: " c
		print "Cc: " substr(c, 1, 1000) "@example.net"
		print ""
		b = ""; for (i = 0; i < 100000; i++) b = b "b"
		print b
	}'
}

# name:expect:rss, expect one of
#   oversized  delivered, no forward, no notice, reason oversized
#   read       delivered, forwarded to bob once, one notice (control)
#   any        delivered; forward and notice as deputy sees fit
CASES="control:read:small
parts-1m:oversized:small
parts-crlf-3.5m:oversized:small
nested-5000:oversized:small
nested-1000:oversized:small
nested-10:read:small
fields-20k:oversized:small
fields-1000:read:small
attachment-100m:read:small
body-100m:read:small
header-1m:oversized:small
header-10m:oversized:small
to-50k:oversized:small
to-500k:oversized:small
comments-10k:any:big
comments-100k:any:big
long-lines:read:small
nul:any:small
bare-cr:any:small
mixed-eol:any:small
empty:any:small
newline-only:any:small
truncated-header:any:small
truncated-multipart:any:small
truncated-encoded-word:any:small"

gen_control >"$G/control.eml"
gen_empty_parts 1000000 >"$G/parts-1m.eml"
gen_empty_parts_crlf 3500000 >"$G/parts-crlf-3.5m.eml"
gen_nested 5000 >"$G/nested-5000.eml"
gen_nested 1000 >"$G/nested-1000.eml"
gen_nested 9 >"$G/nested-10.eml"	# 10 levels with the top one
gen_fields 20000 >"$G/fields-20k.eml"
gen_fields 990 >"$G/fields-1000.eml"	# 1,000 with top()'s ten
gen_big_attachment 100 >"$G/attachment-100m.eml"
gen_big_body 100 >"$G/body-100m.eml"
gen_header_block 1 >"$G/header-1m.eml"
gen_header_block 10 >"$G/header-10m.eml"
gen_to_lines 50000 >"$G/to-50k.eml"
gen_to_lines 500000 >"$G/to-500k.eml"
gen_comments 10000 >"$G/comments-10k.eml"
gen_comments 100000 >"$G/comments-100k.eml"
gen_long_lines >"$G/long-lines.eml"
printf 'From: paul@partner.example.net\nTo: alice@\000example.org\nSubject: nul\000here\n\nbody\000\000more\n' >"$G/nul.eml"
printf 'From: paul@partner.example.net\rTo: alice@example.org\rSubject: bare cr\r\rbody\r' >"$G/bare-cr.eml"
printf 'From: paul@partner.example.net\r\nTo: alice@example.org\r\nSubject: mixed\n\r\n\rbody\r\r\n' >"$G/mixed-eol.eml"
: >"$G/empty.eml"
printf '\n' >"$G/newline-only.eml"
printf 'From: paul@partner.example.net\nTo: alice@example.org\nSubject: trunc' >"$G/truncated-header.eml"
printf 'From: paul@partner.example.net\nTo: alice@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8' >"$G/truncated-multipart.eml"
printf 'From: =?utf-8?b?' >"$G/truncated-encoded-word.eml"
give "$G"/*.eml

# sizes the generators promise (the issue's shapes)
check "parts-1m: a million parts in under 10 MB" \
    test "$(wc -c <"$G/parts-1m.eml")" -lt 10000000
check "parts-crlf-3.5m: 3.5 million parts in 25 MB" \
    test "$(wc -c <"$G/parts-crlf-3.5m.eml")" -le 25000000

# notices: the stub's argv has an empty word (-f '') for a notice
notice_count() { grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l; }

diag "case                      bytes   exit  time_s  rss_kib  mailbox  fwd  notice  reason"
while IFS=: read -r name expect rss; do
	m=$G/$name.eml
	rm -rf "$T/mail/"* "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock"
	rm -f "$T/log"
	lda_measured "$m" -f "$SENDER" -- alice@example.org
	files=$(mailbox_files alice@example.org)
	nfiles=$(printf '%s' "$files" | grep -c .)
	nfwd=$(forwards_to bob@example.org)
	nnotice=$(notice_count)
	line=$(grep ' msgid=' "$T/log" | tail -1)
	reason=$(echo "$line" | sed -n 's/.*forward_reason=\([^ ]*\).*/\1/p')
	diag "$(printf '%-22s %10d %4d %7s %8s %7d %4d %6d  %s' "$name" \
	    "$(wc -c <"$m")" "$rc" "$secs" "$rss_kb" "$nfiles" "$nfwd" \
	    "$nnotice" "$reason")"
	[ "$rc" -eq 0 ]
	ok $? "$name: exit 0 (exit $rc${err:+, $(echo "$err" | head -1 | cut -c1-100)})"
	[ "$nfiles" -eq 1 ] && cmp -s "$m" "$files"
	ok $? "$name: one mailbox copy, identical to the input ($nfiles)"
	case $expect in
	oversized)
		[ "$nfwd" -eq 0 ] && [ "$nnotice" -eq 0 ] &&
		    echo "$line" | grep -q 'forward_reason=oversized .*notice_reason=oversized'
		ok $? "$name: oversized, no forward, no notice (${line##*forward=})" ;;
	read)
		[ "$nfwd" -eq 1 ] && [ "$nnotice" -eq 1 ]
		ok $? "$name: read, forwarded once, one notice (${line##*forward=})" ;;
	esac
	if [ -z "$DEPUTY_SANITIZED" ] && [ "$rss_kb" != "?" ]; then
		limit=$RSS_LIMIT_KB
		[ "$rss" = small ] && limit=$RSS_SMALL_KB
		[ "$rss_kb" -le "$limit" ]
		ok $? "$name: peak RSS ${rss_kb} KiB <= $limit KiB"
	fi
done <<EOF
$CASES
EOF

# 1,000 recipients in one run, each in the LDIF directory: one copy each.
{
	default_ldif
	i=0
	while [ $i -lt 1000 ]; do
		printf '\ndn: uid=r%04d,ou=people,dc=example,dc=org\n' $i
		printf 'objectClass: inetOrgPerson\nuid: r%04d\nmail: r%04d@example.org\n' $i $i
		i=$((i + 1))
	done
} >"$T/directory.ldif"
give "$T/directory.ldif"
rcpts=$(i=0; while [ $i -lt 1000 ]; do printf 'r%04d@example.org ' $i; i=$((i + 1)); done)
{
	top "a thousand recipients"
	printf 'Cc: everyone@example.org\n\nhello all\n'
} >"$G/rcpt-1000.eml"
give "$G/rcpt-1000.eml"
rm -rf "$T/mail/"* "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock"
# shellcheck disable=SC2086 # one word per recipient
lda_measured "$G/rcpt-1000.eml" -f "$SENDER" -- $rcpts
once=0; bad=0
for r in $rcpts; do
	f=$(mailbox_files "$r")
	if [ "$(printf '%s' "$f" | grep -c .)" -eq 1 ] && cmp -s "$f" "$G/rcpt-1000.eml"; then
		once=$((once + 1))
	else
		bad=$((bad + 1))
	fi
done
diag "$(printf '%-22s %10d %4d %7s %8s %7d %4d %6d' rcpt-1000 \
    "$(wc -c <"$G/rcpt-1000.eml")" "$rc" "$secs" "$rss_kb" "$once" \
    "$(sent_count)" "$(notice_count)")"
[ "$rc" -eq 0 ]; ok $? "rcpt-1000: exit 0 (exit $rc${err:+, $(echo "$err" | head -1 | cut -c1-100)})"
[ "$once" -eq 1000 ]; ok $? "rcpt-1000: each of 1,000 recipients has one copy ($once; $bad without)"
[ "$(sent_count)" -eq 0 ]; ok $? "rcpt-1000: nobody is away: nothing sent"
if [ -z "$DEPUTY_SANITIZED" ] && [ "$rss_kb" != "?" ]; then
	[ "$rss_kb" -le "$RSS_LIMIT_KB" ]
	ok $? "rcpt-1000: peak RSS ${rss_kb} KiB <= $RSS_LIMIT_KB KiB"
fi

[ -n "${HOSTILE_KEEP:-}" ] || cleanup
done_testing
