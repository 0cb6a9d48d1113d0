#!/bin/sh
# hostile-size - hostile sizes and shapes through the real deputy-lda:
# a 10 MiB header block, 500k address lines, 100k nested comments, 10k
# nested multiparts, NULs, bare CR, overlong lines, empty and truncated
# input. Each must end in exit 0 or 75, with the mailbox copy byte for
# byte the input, and a bounded peak RSS. Time and RSS are printed as a
# table (never a failure on wall-clock); the big cases also run at a
# tenth of the size to show how time grows.

. "$(dirname "$0")/lib.sh"

setup_env
G=$T/gen
mkdir -p "$G"
# RSS bound: deputy keeps headers only; 10 MiB of headers may cost a few
# times their size in GMime, never the whole of a big message again.
RSS_LIMIT_KB=${DEPUTY_RSS_LIMIT_KB:-131072}
HDR='From: Paul Partner <paul@partner.example.net>
To: Alice Smith <alice@example.org>'

gen_header_block() {	# gen_header_block MIB
	awk -v mib="$1" -v hdr="$HDR" 'BEGIN {
		print hdr; print "Subject: big header block"
		line = "X-Filler: " sprintf("%0100d", 0)
		n = int(mib * 1048576 / 111)
		for (i = 0; i < n; i++) print line
		print ""; print "body"
	}'
}
gen_to_lines() {	# gen_to_lines COUNT
	awk -v n="$1" 'BEGIN {
		print "From: Paul Partner <paul@partner.example.net>"
		print "Subject: many recipients"
		printf "To: alice@example.org,\n"
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
gen_multipart() {	# gen_multipart DEPTH
	awk -v n="$1" -v hdr="$HDR" 'BEGIN {
		print hdr; print "Subject: nested multipart"
		print "MIME-Version: 1.0"
		print "Content-Type: multipart/mixed; boundary=\"b0\""; print ""
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
gen_long_lines() {
	awk -v hdr="$HDR" 'BEGIN {
		print hdr
		s = ""; for (i = 0; i < 5000; i++) s = s "s"
		print "Subject: " s
		c = ""; for (i = 0; i < 3000; i++) c = c "c"
		print "X-Long-2048: " c
		print "Cc: " substr(c, 1, 1000) "@example.net"
		print ""
		b = ""; for (i = 0; i < 100000; i++) b = b "b"
		print b
	}'
}

gen_header_block 1 >"$G/header-1m.eml"
gen_header_block 10 >"$G/header-10m.eml"
gen_to_lines 50000 >"$G/to-50k.eml"
gen_to_lines 500000 >"$G/to-500k.eml"
gen_comments 10000 >"$G/comments-10k.eml"
gen_comments 100000 >"$G/comments-100k.eml"
gen_multipart 1000 >"$G/multipart-1k.eml"
gen_multipart 10000 >"$G/multipart-10k.eml"
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

diag "case                         bytes      exit  time_s  rss_kib  mailbox  forwards"
for m in "$G"/*.eml; do
	name=$(basename "$m" .eml)
	rm -rf "$T/mail/"* "$T/sent/"* "$T/state.lmdb"
	lda_measured "$m" -f paul@partner.example.net -- alice@example.org
	files=$(mailbox_files alice@example.org)
	nfiles=$(printf '%s' "$files" | grep -c .)
	nsent=$(sent_count)
	diag "$(printf '%-26s %10d %6d %7s %8s %8d %9d' "$name" \
	    "$(wc -c <"$m")" "$rc" "$secs" "$rss_kb" "$nfiles" "$nsent")"
	echo "$secs" >"$G/$name.secs"
	exit_ok; ok $? "$name: exit $rc is 0 or 75${err:+ ($(echo "$err" | head -1 | cut -c1-100))}"
	if [ "$rc" -eq 0 ]; then
		[ "$nfiles" -eq 1 ] && cmp -s "$m" "$files"
		ok $? "$name: one mailbox copy, identical to the input"
	elif [ "$rc" -eq 75 ]; then
		echo "$err" | head -1 | grep -q '^4\.[0-9]\.[0-9] '
		ok $? "$name: deferred with a 4.x.x line"
	fi
	if [ -z "$DEPUTY_SANITIZED" ] && [ "$rss_kb" != "?" ]; then
		[ "$rss_kb" -le "$RSS_LIMIT_KB" ]
		ok $? "$name: peak RSS ${rss_kb} KiB <= $RSS_LIMIT_KB KiB"
	fi
done

# growth: time of the big case over the case ten times smaller
for pair in header-10m:header-1m to-500k:to-50k comments-100k:comments-10k \
    multipart-10k:multipart-1k; do
	big=${pair%:*}; small=${pair#*:}
	diag "growth $big / $small (10x input): time x$(awk -v a="$(cat "$G/$big.secs")" \
	    -v b="$(cat "$G/$small.secs")" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
done

cleanup
done_testing
