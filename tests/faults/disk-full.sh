#!/bin/sh
# disk-full - the Maildir and the spool on a 1 MiB tmpfs: a message that
# does not fit is deferred (75) with no partial file left, and once
# space is freed the retry delivers exactly once. Needs root (mount).

. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "not root: cannot mount a tmpfs"
	done_testing; exit $?
fi
setup_env
install_stub
mkdir -p "$T/mail/example.org"
if ! mount -t tmpfs -o size=1m,mode=755 deputy-full "$T/mail/example.org" 2>/dev/null; then
	skip "mount -t tmpfs refused here"
	cleanup; done_testing; exit $?
fi
chown nobody:nogroup "$T/mail/example.org"
trap 'umount "$T/mail/example.org" 2>/dev/null; umount "$T/spool" 2>/dev/null' EXIT

# a 2 MiB message cannot fit into 1 MiB
s="disk full big"
m=$(make_msg "$s")
awk 'BEGIN { for (i = 0; i < 20000; i++) print sprintf("%0100d", i) }' >>"$m"
lda "$m" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 75 ] && echo "$err" | grep -q '^4\.3\.0 '
ok $? "Maildir full: exit $rc, $(echo "$err" | cut -c1-90)"
[ -z "$(find "$T/mail/example.org" -type f)" ]
ok $? "Maildir full: no partial file left in tmp/ or new/"
[ "$(ok_forwards "$s")" -eq 0 ]; ok $? "Maildir full: nothing forwarded before the mailbox copy"
mount -o remount,size=8m "$T/mail/example.org"
lda "$m" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(copies "$s")" -eq 1 ] && [ "$(ok_forwards "$s")" -eq 1 ]
ok $? "space freed: retry exit $rc, one mailbox copy, one forward"

# full to the last byte: even a small message is deferred
rm -rf "$T/mail/example.org/alice"; mount -o remount,size=1m "$T/mail/example.org"
dd if=/dev/zero of="$T/mail/example.org/filler" bs=4k 2>/dev/null
s="disk full small"
m=$(make_msg "$s")
lda "$m" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 75 ]; ok $? "no space at all: exit $rc"
rm -f "$T/mail/example.org/filler"
lda "$m" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(copies "$s")" -eq 1 ] && [ "$(ok_forwards "$s")" -eq 1 ]
ok $? "filler removed: retry exit $rc, one mailbox copy, one forward"

# the spool full
if mount -t tmpfs -o size=64k,mode=755 deputy-spool "$T/spool" 2>/dev/null; then
	chown nobody:nogroup "$T/spool"
	s="spool full"
	m=$(make_msg "$s")
	awk 'BEGIN { for (i = 0; i < 2000; i++) print sprintf("%0100d", i) }' >>"$m"
	lda "$m" -f paul@partner.example.net -- alice@example.org
	[ "$rc" -eq 75 ] && [ "$(copies "$s")" -eq 0 ]
	ok $? "spool full: exit $rc, nothing delivered ($(echo "$err" | cut -c1-80))"
	mount -o remount,size=8m "$T/spool"
	lda "$m" -f paul@partner.example.net -- alice@example.org
	[ "$rc" -eq 0 ] && [ "$(copies "$s")" -eq 1 ] && [ "$(ok_forwards "$s")" -eq 1 ]
	ok $? "spool space freed: retry exit $rc, one copy, one forward"
	umount "$T/spool"
else
	skip "cannot mount the spool tmpfs"
fi

umount "$T/mail/example.org"
trap - EXIT
cleanup
done_testing
