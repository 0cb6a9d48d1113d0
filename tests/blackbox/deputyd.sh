#!/bin/sh
# deputyd - the resident engine over LMTP, black box (TAP): RFC 2033
# conformance and bad input, one reply per recipient, workers and the
# listen queue, the idle timeout, SIGHUP reload (and a refused one),
# SIGTERM finishing the transaction in flight, a worker killed mid-DATA,
# the LDIF directory picked up when deputyctl rewrites it, the metrics
# page, and deputy-lda handing a message to deputyd.

. "$(dirname "$0")/lib.sh"

: "${DEPUTYD:=$top_builddir/deputyd}"
TALK="python3 $srcdir/tests/blackbox/lmtp-talk.py"
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 not installed"
	exit 0
fi

setup_env
mkdir -p "$T/run"
port() {
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
	while ss -Htan "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}
LPORT=$(port); MPORT=$((LPORT + 1))
cat >>"$T/deputy.conf" <<CONF
daemon {
	listen = {"unix:$T/run/lmtp", "127.0.0.1:$LPORT"}
	socket_mode = "0666"
	workers = 2
	idle_timeout = 3
	max_size_mb = 1
	metrics = "127.0.0.1:$MPORT"
}
CONF
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$T"
SOCK=$T/run/lmtp
M=$T/m; mkdir -p "$M"; chmod 755 "$M"

dpid=""
start() {	# $dpid must be deputyd's own pid: no shell function in between
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --reset-env -- "$DEPUTYD" -c "$T/deputy.conf" \
		    >"$T/deputyd.out" 2>&1 &
	else
		"$DEPUTYD" -c "$T/deputy.conf" >"$T/deputyd.out" 2>&1 &
	fi
	dpid=$!
	n=50
	while { [ ! -S "$SOCK" ] || [ "$(workers)" -lt 2 ]; } && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	sleep 0.2
}
stop() {
	[ -n "$dpid" ] || return 0
	kill "$dpid" 2>/dev/null
	n=100; while kill -0 "$dpid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=""
}
workers() { pgrep -P "$dpid" 2>/dev/null | wc -l; }
wait_354() {	# wait_354 FILE: until a client logged its 354 (10 s at most)
	w=100; while ! grep -q "^354" "$1" 2>/dev/null && [ $w -gt 0 ]; do sleep 0.1; w=$((w - 1)); done
}
metrics() {
	python3 -c 'import urllib.request, sys; print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode())' "$MPORT" 2>/dev/null
}
trap 'stop; [ -n "${KEEP_T:-}" ] || cleanup' EXIT

start
[ -S "$SOCK" ] && [ "$(workers)" -eq 2 ]
ok $? "deputyd listens on $SOCK and 127.0.0.1:$LPORT, two workers ($(workers))"

# --- a transaction, one reply per recipient ------------------------------
out=$($TALK "$SOCK" <<'EOF'
<
> LHLO test.example
<*
> MAIL FROM:<paul@partner.example.net> SIZE=300 BODY=8BITMIME
> RCPT TO:<alice@example.org>
> RCPT TO:<erin@example.org>
> RCPT TO:<bob+x@example.org>
> DATA
<
<
<
<
<
> From: Paul <paul@partner.example.net>
> To: Alice <alice@example.org>
> Subject: lmtp one
> Message-ID: <lmtp1@partner.example.net>
>
> ..hidden line
> ...two dots
> Hello.
> .
<
<
<
> QUIT
<
EOF
)
echo "$out" | grep -q '^250-PIPELINING' && echo "$out" | grep -q '^250-ENHANCEDSTATUSCODES' &&
    echo "$out" | grep -q '^250-8BITMIME' && echo "$out" | grep -q '^250 SIZE 1048576'
ok $? "LHLO: PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE"
[ "$(echo "$out" | grep -c '^250 2.0.0 <')" -eq 3 ] &&
    echo "$out" | grep -q '^250 2.0.0 <alice@example.org> delivered, forwarded' &&
    echo "$out" | grep -q '^250 2.0.0 <erin@example.org> delivered$'
ok $? "after DATA one 250 per recipient, alice's forwarded ($(echo "$out" | grep '^250 2.0.0 <' | tr '\n' '|'))"
f=$(ls "$T/mail/example.org/alice/Maildir/new/"* 2>/dev/null | head -1)
[ "$(maildir_count alice@example.org)" -eq 1 ] && [ "$(maildir_count erin@example.org)" -eq 1 ] &&
    [ "$(maildir_count bob@example.org)" -eq 1 ] && [ "$(sent_count)" -eq 1 ] &&
    grep -q "^\.hidden line$(printf '\r')\$" "$f" && grep -q "^\.\.two dots$(printf '\r')\$" "$f"
ok $? "copies in three Maildirs (bob+x in bob's), one forward; dots unstuffed, line ends as sent"

# --- bad input: a reply each, the session goes on -------------------------
out=$($TALK "$SOCK" <<'EOF'
<
> MAIL FROM:<a@b.example>
<
> HELO x
<
> LHLO
<
> LHLO test.example
<<
> RCPT TO:<alice@example.org>
<
> DATA
<
> MAIL FROM:paul@partner.example.net
<
> MAIL FROM:<paul@partner.example.net> FOO=bar
<
> MAIL FROM:<paul@partner.example.net> SIZE=5000000
<
long 5000
<
> NOOP
<
> BDAT 10 LAST
<
> QUIT
<
EOF
)
exp="503 5.5.1|500 5.5.1|501 5.5.4|503 5.5.1|503 5.5.1|501 5.1.7|555 5.5.4|552 5.3.4|500 5.5.2|250 2.0.0|502 5.5.1|221 2.0.0"
got=$(echo "$out" | grep -v '^250-\|^220\|^250 mx\|^250 SIZE' | cut -c1-9 | tr '\n' '|' | sed 's/|$//')
[ "$got" = "$exp" ]
ok $? "bad commands answered in order, the session goes on ($got)"
out=$($TALK "$SOCK" <<'EOF'
<
> LHLO test.example
<<
> XYZZY
<
> MAIL FROM:<paul@partner.example.net>
<
> RCPT TO:<nobody>
<
> DATA
<
> RSET
<
> QUIT
<
EOF
)
exp="500 5.5.2|250 2.1.0|501 5.1.3|503 5.5.1|250 2.0.0|221 2.0.0"
got=$(echo "$out" | grep -v '^250-\|^220\|^250 mx\|^250 SIZE' | cut -c1-9 | tr '\n' '|' | sed 's/|$//')
[ "$got" = "$exp" ]
ok $? "an unknown verb, a recipient without a domain, DATA with none: refused ($got)"

out=$(printf '<\n> LHLO t\n<<\n%s\n<\nclosed\n' "$(for i in 1 2 3 4 5 6 7 8 9 10; do printf '> NONSENSE\n<\n'; done)" | $TALK "$SOCK")
echo "$out" | grep -q "^421 4.7.0" && echo "$out" | tail -1 | grep -q closed
ok $? "ten errors: 421 and the connection closed"

# --- bare LF and the end of data ------------------------------------------
out=$($TALK "$SOCK" <<'EOF'
<
>> LHLO test.example
<<
>> MAIL FROM:<paul@partner.example.net>
>> RCPT TO:<erin@example.org>
>> DATA
<
<
<
>> Subject: bare LF
>> Message-ID: <lmtp2@partner.example.net>
>>
>> line one
>> .
<
>> QUIT
<
EOF
)
echo "$out" | grep -q '^250 2.0.0 <erin@example.org> delivered' && [ "$(maildir_count erin@example.org)" -eq 2 ]
ok $? "bare LF line ends in commands and data are taken"

# --- DATA larger than SIZE ------------------------------------------------
out=$($TALK "$SOCK" <<'EOF'
<
> LHLO test.example
<<
> MAIL FROM:<paul@partner.example.net>
> RCPT TO:<erin@example.org>
> RCPT TO:<alice@example.org>
> DATA
<
<
<
<
> Subject: too big
>
big 1500000
> .
<
<
> NOOP
<
EOF
)
[ "$(echo "$out" | grep -c '^552 5.3.4')" -eq 2 ] && echo "$out" | tail -1 | grep -q '^250' &&
    [ "$(maildir_count erin@example.org)" -eq 2 ]
ok $? "1.5 MB over a 1 MB SIZE: 552 for each recipient, nothing stored, the session goes on"

# --- pipelining: everything in one write ----------------------------------
out=$(printf 'LHLO t\r\nMAIL FROM:<paul@partner.example.net>\r\nRCPT TO:<erin@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n' |
    python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.recv(4096)
s.sendall(sys.stdin.buffer.read())
time.sleep(0.5)
s.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n")
time.sleep(1)
print(s.recv(65536).decode())
' "$LPORT")
[ "$(echo "$out" | grep -c '^250 2.0.0 <')" -eq 2 ] && echo "$out" | grep -q '^354'
ok $? "pipelined LHLO, MAIL, two RCPT, DATA over TCP: 354 and two 250 after the data"

# --- idle timeout ----------------------------------------------------------
out=$($TALK "$SOCK" <<'EOF'
<
> LHLO test.example
<<
sleep 4
<
closed
EOF
)
echo "$out" | grep -q '^421 4.4.2' && echo "$out" | tail -1 | grep -q closed
ok $? "3 s of silence: 421 4.4.2 and closed"

# --- the listen queue: two workers busy, a third client waits -------------
printf '<\n> LHLO a\n<<\nsleep 2\n> QUIT\n<\n' | $TALK "$SOCK" >"$T/c1.out" &
c1=$!
printf '<\n> LHLO b\n<<\nsleep 2\n> QUIT\n<\n' | $TALK "$SOCK" >"$T/c2.out" &
c2=$!
sleep 0.5
t0=$(date +%s%N)
out=$(printf '<\n> QUIT\n<\n' | $TALK "$SOCK")
t1=$(date +%s%N)
wait $c1 $c2
waited=$(( (t1 - t0) / 1000000 ))
echo "$out" | grep -q '^220' && [ "$waited" -ge 1000 ]
ok $? "a third client waits in the listen queue until a worker is free (greeted after $waited ms)"

# --- deputyctl's LDIF rewrite is picked up without a reload --------------
from=$(date -u -d yesterday +%Y%m%d); until=$(date -u -d '+14 days' +%Y%m%d)
sed -i "/^uid: erin$/a deputyDelegate: bob@example.org\ndeputyAbsence:: $(absence_b64 "$from" "$until")" "$T/directory.ldif"
n=$(sent_count)
out=$(printf '<\n> LHLO t\n<<\n> MAIL FROM:<paul@partner.example.net>\n> RCPT TO:<erin@example.org>\n> DATA\n<\n<\n<\n> Subject: erin away now\n> Message-ID: <lmtp3@partner.example.net>\n>\n> hi\n> .\n<\n' | $TALK "$SOCK")
echo "$out" | grep -q '^250 2.0.0 <erin@example.org> delivered, forwarded' && [ "$(sent_count)" -eq $((n + 1)) ]
ok $? "the LDIF file changed: the next message to erin is forwarded, no reload needed"

# --- metrics ----------------------------------------------------------------
m=$(metrics)
echo "$m" | grep -q '^deputyd_messages_total [1-9]' &&
    echo "$m" | grep -q '^deputyd_forward_decisions_total{reason="none"} 2$'
ok $? "the metrics page counts messages and forwards ($(echo "$m" | grep -E '^deputyd_(messages|forwarded)_total' | tr '\n' ' '))"

# deputyctl stats reads the same page
js=$("$top_builddir/deputyctl" -c "$T/deputy.conf" stats --json 2>&1)
echo "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = dict(l.rsplit(" ", 1) for l in sys.argv[1].splitlines() if l.startswith("deputyd_"))
assert d["counters"]["messages"] == int(m["deputyd_messages_total"]), d
assert d["forward_decisions"]["none"] == int(m["deputyd_forward_decisions_total{reason=\"none\"}"]), d
assert d["started"] is not None
' "$(metrics)"
r=$?; [ $r -eq 0 ] || diag "stats --json: $js"
ok $r "deputyctl stats --json: the page's counters (messages $(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["messages"])' 2>/dev/null))"
txt=$("$top_builddir/deputyctl" -c "$T/deputy.conf" stats 2>&1)
echo "$txt" | grep -q '^deputyd at 127.0.0.1:' && echo "$txt" | grep -q '^forwards, by reason' &&
    echo "$txt" | grep -Eq '^messages +[1-9]'
ok $? "deputyctl stats: started, the counters, the reasons, as text"

# --- deputy-lda hands the message to deputyd -------------------------------
before=$(echo "$m" | sed -n 's/^deputyd_messages_total //p')
msg() { printf 'From: Paul <paul@partner.example.net>\nTo: <carol@example.org>\nSubject: %s\nMessage-ID: <%s@partner.example.net>\n\nhi\n' "$1" "$1" >"$M/$1.eml"; chmod 644 "$M/$1.eml"; }
msg pipe1
n=$(maildir_count carol@example.org)
lda "$M/pipe1.eml" -f paul@partner.example.net -- carol@example.org
after=$(metrics | sed -n 's/^deputyd_messages_total //p')
if [ "${DEPUTY_SANITIZED:-}" = valgrind ]; then
	# sanitize.sh's wrapper runs deputy-deliver itself under memcheck
	skip "deputy-lda's hand-off: the valgrind wrapper runs the engine in process"
else
	[ "$rc" -eq 0 ] && [ "$(maildir_count carol@example.org)" -eq $((n + 1)) ] && [ "$after" -eq $((before + 1)) ] && [ -z "$err" ]
	ok $? "deputy-lda with deputyd running: exit 0, delivered by deputyd (messages $before -> $after)"
fi

# --- SIGHUP: a new generation; a broken file is refused ---------------------
old=$(pgrep -P "$dpid" | sort | tr '\n' ' ')
sed -i "s|maildir = \"$T/mail/%d/%l/Maildir\"|maildir = \"$T/mail2/%d/%l/Maildir\"|" "$T/deputy.conf"
kill -HUP "$dpid"; sleep 1.5
new=$(pgrep -P "$dpid" | sort | tr '\n' ' ')
out=$(printf '<\n> LHLO t\n<<\n> MAIL FROM:<paul@partner.example.net>\n> RCPT TO:<carol@example.org>\n> DATA\n<\n<\n<\n> Subject: after hup\n>\n> hi\n> .\n<\n' | $TALK "$SOCK")
[ "$old" != "$new" ] && [ "$(workers)" -eq 2 ] && [ "$(ls "$T/mail2/example.org/carol/Maildir/new" 2>/dev/null | wc -l)" -eq 1 ]
ok $? "SIGHUP: new workers ($old-> $new) deliver with the new configuration"
cp "$T/deputy.conf" "$T/deputy.conf.good"
printf 'delivery {\n\tdeadline = "soon"\n}\n' >>"$T/deputy.conf"
kill -HUP "$dpid"; sleep 1
cp "$T/deputy.conf.good" "$T/deputy.conf"
out=$(printf '<\n> LHLO t\n<<\n> MAIL FROM:<paul@partner.example.net>\n> RCPT TO:<carol@example.org>\n> DATA\n<\n<\n<\n> Subject: after bad hup\n>\n> hi\n> .\n<\n' | $TALK "$SOCK")
grep -q 'reload refused, the running configuration stays' "$T/log" && echo "$out" | grep -q '^250 2.0.0 <carol'
ok $? "SIGHUP with a broken file: refused, logged, the workers go on"

# --- a worker killed in the middle of DATA ---------------------------------
n=$(ls "$T/mail2/example.org/carol/Maildir/new" | wc -l)
printf '<\n> LHLO t\n<<\n> MAIL FROM:<paul@partner.example.net>\n> RCPT TO:<carol@example.org>\n> DATA\n<\n<\n<\n> Subject: killed\n>\n> half\nsleep 2\n> .\n<\n' | $TALK "$SOCK" >"$T/k.out" &
kc=$!
wait_354 "$T/k.out"
for w in $(pgrep -P "$dpid"); do kill -9 "$w"; done	# the busy one among them
wait $kc
sleep 1.5
[ "$(ls "$T/mail2/example.org/carol/Maildir/new" | wc -l)" -eq "$n" ] &&
    ! grep -q '^250 2.0.0' "$T/k.out" && [ "$(workers)" -eq 2 ]
ok $? "kill -9 of the workers mid-DATA: no 250, nothing stored, the workers replaced ($(ls "$T/mail2/example.org/carol/Maildir/new" | wc -l) vs $n copies, $(workers) workers; $(tail -1 "$T/k.out"))"

# --- SIGTERM: the transaction in flight is finished ------------------------
printf '<\n> LHLO t\n<<\n> MAIL FROM:<paul@partner.example.net>\n> RCPT TO:<carol@example.org>\n> DATA\n<\n<\n<\n> Subject: drained\n>\n> half\nsleep 2\n> .\n<\n> QUIT\n<\n' | $TALK "$SOCK" >"$T/d.out" &
dc=$!
wait_354 "$T/d.out"
kill "$dpid"
wait $dc
n=100; while kill -0 "$dpid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
grep -q '^250 2.0.0 <carol@example.org> delivered' "$T/d.out" && ! kill -0 "$dpid" 2>/dev/null &&
    [ ! -e "$SOCK" ]
ok $? "SIGTERM mid-DATA: the transaction gets its 250, then deputyd exits and removes its socket"
wait "$dpid" 2>/dev/null
dpid=""

n=$(ls "$T/mail2/example.org/carol/Maildir/new" | wc -l)
lda "$M/pipe1.eml" -f paul@partner.example.net -- carol@example.org
[ "$rc" -eq 0 ] && [ "$(ls "$T/mail2/example.org/carol/Maildir/new" | wc -l)" -ge "$n" ] && [ -z "$err" ]
ok $? "deputy-lda with deputyd stopped: delivered in process (rc=$rc $err)"

done_testing
