#!/bin/sh
# stdin-eio - a standard input that fails to read is a temporary failure:
# exit 75, one 4.x.x line on stderr, nothing delivered, nothing
# forwarded; a retry with a readable message delivers it once.
#
# Honest variants without FUSE or a kernel fault injector:
#   directory     stdin is a directory: read(2) gives EISDIR
#   closed        stdin is closed: EBADF (log to a file, and log to
#                 syslog: then no log file takes descriptor 0 first)
#   reset         stdin is a TCP socket the peer resets (SO_LINGER 0)
#                 after half a message: ECONNRESET
#   dm-error      stdin is a device-mapper "error" device: a real EIO
#                 (skipped where device-mapper is not available)

. "$(dirname "$0")/lib.sh"

setup_env
install_stub



lda_fd0() {	# lda_fd0 ARGS... : deputy-lda as the test user, stdin as is
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --reset-env -- "$DEPUTY_LDA" -c "$T/deputy.conf" \
		    -f paul@partner.example.net -- alice@example.org
	else
		"$DEPUTY_LDA" -c "$T/deputy.conf" -f paul@partner.example.net \
		    -- alice@example.org
	fi
}

delivered() { maildir_count alice@example.org; }
forwarded() { ls "$T"/sent/*.ok 2>/dev/null | wc -l; }

# check NAME: the assertions after a faulty run ($rc, $T/stderr)
check_fault() {
	name=$1
	err=$(cat "$T/stderr")
	lines=$(grep -c . "$T/stderr")
	diag "$name: exit $rc: $(head -1 "$T/stderr")"
	[ "$rc" -eq 75 ]; ok $? "$name: exit $rc is 75"
	[ "$lines" -eq 1 ] && grep -q '^4\.[0-9]\.[0-9] ' "$T/stderr"
	ok $? "$name: one 4.x.x line on stderr ($lines lines)"
	[ "$(delivered)" -eq "$before_mbox" ] && [ "$(forwarded)" -eq "$before_fwd" ]
	ok $? "$name: nothing delivered, nothing forwarded"
}

# retry NAME: the MTA retries with the message readable
retry() {
	s="stdin $1"
	m=$(make_msg "$s")
	lda "$m" -f paul@partner.example.net -- alice@example.org
	[ "$rc" -eq 0 ] && [ "$(copies "$s")" -eq 1 ] && [ "$(ok_forwards "$s")" -eq 1 ]
	ok $? "$1: retry exit $rc, one mailbox copy, one forward"
}

snapshot() { before_mbox=$(delivered); before_fwd=$(forwarded); }

# --- a directory --------------------------------------------------------
snapshot
lda_fd0 <"$T/mail" >"$T/stdout" 2>"$T/stderr"; rc=$?
check_fault "directory (EISDIR)"
grep -q 'Is a directory' "$T/stderr"; ok $? "directory: the reason names the error"
retry directory

# --- closed, logging to a file -------------------------------------------
snapshot
lda_fd0 <&- >"$T/stdout" 2>"$T/stderr"; rc=$?
check_fault "closed (EBADF, log file)"
retry closed-logfile

# --- closed, logging to syslog --------------------------------------------
# Without a log file nothing is opened before the spool file, so on a
# closed descriptor 0 the spool file itself becomes descriptor 0 and
# deputy-lda reads its own empty spool: a 0-byte message is delivered
# and the run exits 0 (the real message is lost). Expected: 75.
cp "$T/deputy.conf" "$T/deputy.conf.file"
sed '/^log {/,/^}/d' "$T/deputy.conf.file" >"$T/deputy.conf"
snapshot
lda_fd0 <&- >"$T/stdout" 2>"$T/stderr"; rc=$?
diag "closed (syslog): exit $rc, mailbox $before_mbox -> $(delivered): $(head -1 "$T/stderr")"
[ "$rc" -eq 75 ] && [ "$(delivered)" -eq "$before_mbox" ]
ok $? "closed stdin, syslog: exit 75, nothing delivered"
cp "$T/deputy.conf.file" "$T/deputy.conf"

# --- a socket reset by the peer -------------------------------------------
if perl -MIO::Socket::INET -e1 2>/dev/null; then
	snapshot
	cat >"$T/reset.pl" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 1, ReuseAddr => 1) or die "listen: $!";
my $port = $srv->sockport;
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port) or die "connect: $!";
	open(STDIN, '<&', $c) or die "dup: $!";
	close $c; close $srv;
	exec @ARGV or die "exec: $!";
}
my $a = $srv->accept or die "accept: $!";
print $a "From: Paul <paul\@partner.example.net>\nTo: alice\@example.org\n" .
    "Subject: stdin reset\n\nhalf a mess";
select(undef, undef, undef, 0.3);
setsockopt($a, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
close $a;			# RST
waitpid($pid, 0);
exit($? >> 8);
PERL
	if [ "$(id -u)" -eq 0 ]; then
		perl "$T/reset.pl" setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups --reset-env -- "$DEPUTY_LDA" \
		    -c "$T/deputy.conf" -f paul@partner.example.net -- \
		    alice@example.org >"$T/stdout" 2>"$T/stderr"
	else
		perl "$T/reset.pl" "$DEPUTY_LDA" -c "$T/deputy.conf" \
		    -f paul@partner.example.net -- alice@example.org \
		    >"$T/stdout" 2>"$T/stderr"
	fi
	rc=$?
	check_fault "socket reset (ECONNRESET)"
	retry socket-reset
else
	skip "Perl IO::Socket::INET missing: no socket reset variant"
fi

# --- a device that returns EIO ---------------------------------------------
dm=deputy-eio-$$
if [ "$(id -u)" -eq 0 ] && command -v dmsetup >/dev/null &&
    dmsetup create "$dm" --table '0 8 error' >/dev/null 2>&1; then
	snapshot
	lda_fd0 <"/dev/mapper/$dm" >"$T/stdout" 2>"$T/stderr"; rc=$?
	dmsetup remove "$dm" >/dev/null 2>&1
	check_fault "dm-error device (EIO)"
	grep -q 'Input/output error' "$T/stderr"; ok $? "dm-error: the reason is EIO"
else
	skip "no device-mapper here: the real-EIO variant needs root and dm-mod"
fi

cleanup
done_testing
