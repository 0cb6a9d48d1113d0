#!/bin/sh
# demo.sh - build deputy and run deputy-lda on its embedded defaults
# (LDIF directory, Maildir, LMDB) against the sample messages in
# examples/messages, printing what it decided and where the copies went.
#
#	sh examples/demo.sh		(as root on a fresh Debian 12)
#
# There is no MTA in the demo: "sendmail" is a small recorder that keeps
# each forward in $D/outbox. deputy-lda refuses to run as root, so the
# demo runs it as "nobody".
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

sh scripts/install-deps.sh build
sh scripts/build.sh

D=${DEMO_DIR:-/tmp/deputy-demo}
rm -rf "$D"
mkdir -p "$D/bin" "$D/outbox" "$D/mail" "$D/spool"
chmod o+rx "$top" 2>/dev/null || true

# Alice is away from yesterday for two weeks; Bob covers for her.
from=$(date -u -d yesterday +%Y%m%d)
until=$(date -u -d '+14 days' +%Y%m%d)
absence=$(printf 'BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\n' \
    "$from" "$until" | base64 -w0)
awk -v a="$absence" '
	/^dn: uid=alice,/ { alice = 1 } /^dn: / && !/uid=alice,/ { alice = 0 }
	alice && /^deputyAbsence::/ { print "deputyAbsence:: " a; next }
	{ print }' examples/directory.ldif >"$D/directory.ldif"

cat >"$D/bin/sendmail" <<STUB
#!/bin/sh
# demo sendmail: keeps the message and its argv in the outbox
n=\$(date +%s%N)
echo "\$*" >"$D/outbox/\$n.argv"
cat >"$D/outbox/\$n.eml"
STUB
chmod 755 "$D/bin/sendmail"

cat >"$D/deputy.conf" <<CONF
directory { ldif_file = "$D/directory.ldif" }
delivery  { maildir = "$D/mail/%d/%l/Maildir"  spool_dir = "$D/spool" }
submission { sendmail = "$D/bin/sendmail"  hostname = "mx.example.org" }
state     { path = "$D/state.lmdb" }
log       { file = "$D/deputy.log" }
# Trust what this server's own filters wrote above its Received line
# (the MTA strips forged copies; see README): then an authenticated,
# clean sender may get one notice.
auth      { trusted_authserv_ids = {"mx.example.org"} }
spam      { trusted_headers = {"X-Spam-Score"} }
templates { dir = "$top/templates" }
CONF

run() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- "$@"
	else
		"$@"
	fi
}
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$D"

hdr() {	# hdr FILE NAME: the address in the first NAME header
	awk -v n="$2" 'tolower($0) ~ "^" n ":" { s=$0
		if (match(s, /<[^>]*>/)) s = substr(s, RSTART+1, RLENGTH-2)
		else { sub(/^[^:]*:[ \t]*/, "", s) }
		print s; exit } /^$/ { exit }' "$1"
}

echo "deputy demo: directory $D/directory.ldif (alice away from $from, back $until; bob covers)"
echo
for m in examples/messages/*.eml; do
	sender=$(hdr "$m" return-path)
	rcpt=$(hdr "$m" delivered-to)
	[ -n "$rcpt" ] || rcpt=$(hdr "$m" to)
	subject=$(grep -m1 '^Subject:' "$m" | cut -d' ' -f2-)
	before=$(ls "$D/outbox" | grep -c argv || true)
	rc=0
	run "$top/deputy-lda" -c "$D/deputy.conf" -f "$sender" -- "$rcpt" <"$m" || rc=$?
	line=$(tail -1 "$D/deputy.log")
	echo "$(basename "$m"): \"$subject\""
	echo "  envelope  <$sender> -> <$rcpt>, exit $rc"
	echo "  mailbox   $(ls -t "$D/mail/${rcpt#*@}/${rcpt%@*}/Maildir/new" | head -1 | sed "s|^|$D/mail/${rcpt#*@}/${rcpt%@*}/Maildir/new/|")"
	fwd=$(echo "$line" | sed 's/.* forward=\([^ ]*\) forward_reason=\([^ ]*\).*/\1 \2/')
	if [ "${fwd% *}" != "-" ]; then
		echo "  forward   ${fwd% *} (copy in $D/outbox)"
	else
		echo "  forward   none: ${fwd#* }"
	fi
	case $line in
	*notice=sent*)
		n=$(ls -t "$D/outbox"/*.argv | head -1)
		echo "  notice    sent from <> to <$sender> (copy in ${n%.argv}.eml)"
		notice_file=${n%.argv}.eml ;;
	*)
		echo "  notice    none: $(echo "$line" | sed 's/.*notice_reason=//')" ;;
	esac
	echo
done

if [ -n "${notice_file:-}" ]; then
	echo "--- the one notice, as handed to sendmail:"
	cat "$notice_file"
	echo
fi
echo "--- deputy-lda --explain for the first message (changes nothing):"
run "$top/deputy-lda" -c "$D/deputy.conf" --explain \
    -f paul@partner.example.net -- alice@example.org <examples/messages/01-personal.eml
echo
echo "--- the log ($D/deputy.log; syslog facility mail in production):"
cat "$D/deputy.log"
