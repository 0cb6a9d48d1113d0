#!/bin/sh
# state-faults - deputy's own state store failing never stops delivery
# (issue 13, finding 2): a state file that is garbage, a directory, a
# zero-length file, or somebody else's: every message is delivered and
# forwarded, exit 0, no notice, and the log says why. A notice that
# would have gone out says notice_reason=state-unavailable.

. "$(dirname "$0")/lib.sh"

setup_env
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
M=$T/m
mkdir -p "$M"; chmod 755 "$M"
i=0

# msg: a fresh authenticated, clean message to alice (a notice is due)
msg() {
	i=$((i + 1))
	{
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=bob@example.com\n'
		printf 'X-Spam-Score: 0.0\n'
		printf 'Received: from mail.example.com (mail.example.com [192.0.2.1])\n'
		printf '\tby mx.example.org (Postfix) with ESMTPS id 4Y%s;\n' "$i"
		printf '\tTue, 22 Dec 2026 09:14:02 +0100 (CET)\n'
		printf 'From: Bob <bob@example.com>\nTo: Alice <alice@example.org>\n'
		printf 'Subject: state %s\nMessage-ID: <state%s@example.com>\n\n' "$i" "$i"
		printf 'Hello Alice.\n'
	} >"$M/$i.eml"
	chmod 644 "$M/$i.eml"
}

last_line() { grep ' msgid=' "$T/log" | tail -1; }

# the working store: one notice, then a duplicate
msg
lda "$M/$i.eml" -f bob@example.com -- alice@example.org
last_line | grep -q 'forward=bob@example.org .*notice=sent notice_reason=none$'
ok $? "a working store: forwarded, one notice ($(last_line | sed 's/.*forward=/forward=/'))"

# state_case NAME: deliver with the store broken as set up; expect 0
state_case() {
	msg
	mb=$(maildir_count alice@example.org); fw=$(grep -lx 'bob@example.org' "$T/sent/"*.argv 2>/dev/null | wc -l)
	lda "$M/$i.eml" -f bob@example.com -- alice@example.org
	fw2=$(grep -lx 'bob@example.org' "$T/sent/"*.argv 2>/dev/null | wc -l)
	[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq $((mb + 1)) ] &&
	    [ "$fw2" -eq $((fw + 1)) ] &&
	    last_line | grep -q 'notice=no notice_reason=state-unavailable$' &&
	    grep -q 'state store unusable, delivering without it' "$T/log"
	ok $? "$1: exit 0, delivered once, forwarded once, no notice (rc=$rc $err; $(last_line | sed 's/.*notice=/notice=/'))"
}

rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
head -c 1048576 /dev/urandom >"$T/state.lmdb"; chmod 666 "$T/state.lmdb"
state_case "a state file of random bytes"

rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
printf 'SQLite format 3\0' >"$T/state.lmdb"; head -c 8192 /dev/zero >>"$T/state.lmdb"
chmod 666 "$T/state.lmdb"
state_case "a state file of another format"

rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
mkdir "$T/state.lmdb"; chmod 777 "$T/state.lmdb"
state_case "a directory where the state file should be"
rmdir "$T/state.lmdb"

if [ "$(id -u)" -eq 0 ]; then
	rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
	msg; lda "$M/$i.eml" -f bob@example.com -- alice@example.org
	chown root:root "$T/state.lmdb" "$T/state.lmdb-lock"
	chmod 600 "$T/state.lmdb" "$T/state.lmdb-lock"
	state_case "a state file owned by root, mode 0600"
	rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
else
	skip "a state file of another user needs root"
fi

rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
mkdir -p "$T/ro"; chmod 555 "$T/ro"
sed -i "s|path = \"$T/state.lmdb\"|path = \"$T/ro/state.lmdb\"|" "$T/deputy.conf"
state_case "a state directory that cannot be written"

cleanup
done_testing
