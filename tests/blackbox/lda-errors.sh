#!/bin/sh
# lda-errors - every failure ends in exit 75 with one 4.x.x line on
# stderr, never another status, and never loses the message.

. "$(dirname "$0")/lib.sh"

setup_env
M=$T/msg.eml
cat >"$M" <<'EOF2'
From: Paul Partner <paul@partner.example.net>
To: Alice Smith <alice@example.org>
Subject: hello

hi
EOF2
chmod 644 "$M"

expect75() {	# expect75 DESCRIPTION PATTERN
	[ "$rc" -eq 75 ] && echo "$err" | grep -q "$2" &&
	    [ "$(echo "$err" | wc -l)" -eq 1 ] && [ -z "$out" ]
	ok $? "$1: exit $rc, stderr: $err"
}

# bad configuration: refused with the line number
printf 'delivery {\n  deadline = 5\n  maildir = "no/slash"\n}\n' >"$T/bad.conf"
chmod 644 "$T/bad.conf"
as_user "$DEPUTY_LDA" -c "$T/bad.conf" -f a@b.org -- alice@example.org <"$M" >"$T/o" 2>"$T/e"
rc=$?; out=$(cat "$T/o"); err=$(cat "$T/e")
expect75 "bad config" "^4\.3\.5 deputy-lda: $T/bad.conf:3: maildir"

printf 'policy {\n  notice = maybe\n}\n' >"$T/bad2.conf"; chmod 644 "$T/bad2.conf"
as_user "$DEPUTY_LDA" -c "$T/bad2.conf" -f a@b.org -- alice@example.org <"$M" >"$T/o" 2>"$T/e"
rc=$?; out=$(cat "$T/o"); err=$(cat "$T/e")
expect75 "bad notice value" ":2: notice = \"maybe\" is not one of"

printf 'unknown_key = 1\n' >"$T/bad3.conf"; chmod 644 "$T/bad3.conf"
as_user "$DEPUTY_LDA" -c "$T/bad3.conf" -f a@b.org -- alice@example.org <"$M" >"$T/o" 2>"$T/e"
rc=$?; out=$(cat "$T/o"); err=$(cat "$T/e")
expect75 "unknown key" ":1: .*unknown_key"

as_user "$DEPUTY_LDA" -c /nonexistent/deputy.conf -f a@b.org -- alice@example.org <"$M" >"$T/o" 2>"$T/e"
rc=$?; out=$(cat "$T/o"); err=$(cat "$T/e")
expect75 "missing config file" "/nonexistent/deputy.conf"

# usage errors
lda "$M" -- alice@example.org
expect75 "no -f" "4.3.5 deputy-lda: -f SENDER is required"
lda "$M" -f a@b.org
expect75 "no recipient" "no recipient"
lda "$M" --bogus -f a@b.org -- alice@example.org
expect75 "unknown option" "unknown option or missing value: --bogus"

# root is refused
if [ "$(id -u)" -eq 0 ]; then
	"$DEPUTY_LDA" -c "$T/deputy.conf" -f a@b.org -- alice@example.org <"$M" >"$T/o" 2>"$T/e"
	rc=$?; out=$(cat "$T/o"); err=$(cat "$T/e")
	expect75 "running as root" "refusing to run as root"
else
	skip "not root: cannot test the root refusal"
fi

# directory unreadable
mv "$T/directory.ldif" "$T/directory.ldif.off"
lda "$M" -f a@b.org -- alice@example.org
expect75 "missing LDIF directory" "^4\.4\.3 deputy-lda: .*directory.ldif"
[ "$(maildir_count alice@example.org)" -eq 0 ]; ok $? "nothing delivered when the directory failed"
mv "$T/directory.ldif.off" "$T/directory.ldif"

# Maildir not writable
mkdir -p "$T/mail/example.org"; [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$T/mail/example.org"
chmod 555 "$T/mail/example.org"
lda "$M" -f a@b.org -- alice@example.org
if [ "$(id -u)" -eq 0 ] || [ ! -w "$T/mail/example.org" ]; then
	expect75 "unwritable Maildir" "^4\.3\.0 deputy-lda: mkdir"
else
	skip "cannot make a directory unwritable here"
fi
chmod 755 "$T/mail/example.org"

# spool not writable
chmod 555 "$T/spool"
lda "$M" -f a@b.org -- alice@example.org
expect75 "unwritable spool" "^4\.3\.0 deputy-lda: create .*spool"
chmod 755 "$T/spool"

# sendmail missing: the forward fails, mailbox copy kept, retry completes
mv "$T/bin/sendmail" "$T/bin/sendmail.off"
lda "$M" -f a@b.org -- alice@example.org
expect75 "sendmail missing" "^4\.3\.0 deputy-lda: .*sendmail: exit 127"
[ "$(maildir_count alice@example.org)" -eq 1 ]; ok $? "mailbox copy kept"
mv "$T/bin/sendmail.off" "$T/bin/sendmail"
lda "$M" -f a@b.org -- alice@example.org
[ $rc -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq 1 ] && [ "$(sent_count)" -eq 1 ]
ok $? "retry completes: one mailbox copy, one forward"

# sendmail hangs: killed after the timeout, exit 75
cat >"$T/bin/sendmail" <<'EOF2'
#!/bin/sh
exec sleep 30
EOF2
sed -i 's/timeout = 10/timeout = 1/' "$T/deputy.conf"
sed 's/hello/hang/' "$M" >"$T/hang.eml"; chmod 644 "$T/hang.eml"
lda "$T/hang.eml" -f a@b.org -- alice@example.org
expect75 "sendmail hangs" "no exit within 1 s"

# sendmail killed by a signal
printf '#!/bin/sh\nkill -9 $$\n' >"$T/bin/sendmail"
sed 's/hello/signal/' "$M" >"$T/sig.eml"; chmod 644 "$T/sig.eml"
lda "$T/sig.eml" -f a@b.org -- alice@example.org
expect75 "sendmail killed" "killed by signal 9"

# a recipient that looks like a path is one Maildir under the root,
# its '/' and leading '.' written %XX: the sender chose it, so it is
# stored, not deferred
printf '#!/bin/sh\ncat >/dev/null\n' >"$T/bin/sendmail"
lda "$M" -f a@b.org -- '../../etc@example.org'
[ "$rc" -eq 0 ] && [ -n "$(ls "$T/mail/example.org/%2E.%2F..%2Fetc/Maildir/new" 2>/dev/null)" ]
ok $? "recipient with a path: exit $rc, stored in the Maildir \"%2E.%2F..%2Fetc\""

# the internal deadline
sed -i 's/deadline = 60/deadline = 5/; s/timeout = 1/timeout = 60/' "$T/deputy.conf"
printf '#!/bin/sh\nexec sleep 30\n' >"$T/bin/sendmail"
sed 's/hello/deadline/' "$M" >"$T/dl.eml"; chmod 644 "$T/dl.eml"
lda "$T/dl.eml" -f a@b.org -- alice@example.org
expect75 "internal deadline" "^4\.4\.7 deputy-lda: internal deadline"

cleanup
done_testing
