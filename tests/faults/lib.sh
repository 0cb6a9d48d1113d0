# faults/lib.sh - helpers for the fault-injection tests, on top of
# tests/blackbox/lib.sh (setup_env, lda, ok, skip, done_testing)
#
# Every scenario must end in exit 0 or 75 (DESIGN.md, "Exit status").

. "$(dirname "$0")/../blackbox/lib.sh"

# Under ASan or valgrind (scripts/sanitize.sh sets DEPUTY_SANITIZED)
# memory and time numbers mean nothing and address-space limits break
# the tools themselves.
: "${DEPUTY_SANITIZED:=}"

TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || TIME_BIN=""

# lda_measured MESSAGE ARGS...: like lda, and sets $secs and $rss_kb
# (peak RSS of deputy-lda in KiB, "?" without /usr/bin/time)
lda_measured() {
	msg=$1; shift
	secs="?"; rss_kb="?"
	t0=$(date +%s%N)
	if [ -n "$TIME_BIN" ]; then
		if [ "$(id -u)" -eq 0 ]; then
			"$TIME_BIN" -o "$T/time.out" -f '%M' setpriv \
			    --reuid=nobody --regid=nogroup --clear-groups \
			    --reset-env -- "$DEPUTY_LDA" -c "$T/deputy.conf" \
			    "$@" <"$msg" >"$T/stdout" 2>"$T/stderr"
		else
			"$TIME_BIN" -o "$T/time.out" -f '%M' "$DEPUTY_LDA" \
			    -c "$T/deputy.conf" "$@" <"$msg" >"$T/stdout" \
			    2>"$T/stderr"
		fi
		rc=$?
		rss_kb=$(tail -1 "$T/time.out")
	else
		lda "$msg" "$@"
	fi
	t1=$(date +%s%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	out=$(cat "$T/stdout")
	err=$(head -c 2000 "$T/stderr")
}

# exit_ok: the exit contract
exit_ok() { [ "$rc" -eq 0 ] || [ "$rc" -eq 75 ]; }

# mailbox_files USER@DOMAIN: paths of the delivered messages
mailbox_files() {
	u=${1%@*}; d=${1#*@}
	ls -d "$T/mail/$d/$u/Maildir/new/"* 2>/dev/null
}

# give FILE to the unprivileged test user
give() { chmod 644 "$@"; [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$@"; return 0; }

# forwards_to ADDRESS: how many stub sendmail runs had ADDRESS in argv
forwards_to() {
	cat "$T"/sent/*.argv 2>/dev/null | grep -cx "$1"
}

# install_stub: a stub sendmail that records argv (NUL-separated), its
# environment, its open descriptors and the message; behaviour from
# $T/stub.mode: "exit N", "signal", "hang", "sleep SECONDS" (then exit 0).
# A delivery that the stub accepted (exit 0) leaves $T/sent/ID.ok.
install_stub() {
	cat >"$T/bin/sendmail" <<STUB
#!/bin/sh
id=\$\$.\$(date +%s%N)
printf '%s\0' "\$@" >"$T/sent/\$id.argv0"
for a in "\$@"; do printf '%s\n' "\$a"; done >"$T/sent/\$id.argv"
env >"$T/sent/\$id.env"
ls -l /proc/\$\$/fd 2>/dev/null | awk "NR > 1 { print \\\$9, \\\$11 }" >"$T/sent/\$id.fds"
cat >"$T/sent/\$id.eml"
mode=\$(cat "$T/stub.mode" 2>/dev/null)
case \$mode in
"exit 0"|"") ;;
"exit "*) exit \${mode#exit } ;;
signal) kill -9 \$\$ ;;
hang) exec sleep 30 ;;
"sleep "*) sleep \${mode#sleep } ;;
esac
: >"$T/sent/\$id.ok"
exit 0
STUB
	chmod 755 "$T/bin/sendmail"
	echo "exit 0" >"$T/stub.mode"
	[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$T/bin" "$T/stub.mode"
	return 0
}

stub_mode() { echo "$*" >"$T/stub.mode"; }

# ok_forwards SUBJECT: forwards the stub accepted for the message SUBJECT
ok_forwards() {
	n=0
	for f in "$T"/sent/*.ok; do
		[ -e "$f" ] || continue
		grep -qx "Subject: $1" "${f%.ok}.eml" && n=$((n + 1))
	done
	echo $n
}

# copies SUBJECT: mailbox copies of the message SUBJECT for alice
copies() {
	grep -lx "Subject: $1" "$T"/mail/example.org/alice/Maildir/new/* \
	    2>/dev/null | wc -l
}

# make_msg SUBJECT: a message for alice (away, delegate bob) in $T
make_msg() {
	f=$T/msg-$(echo "$1" | tr -c 'A-Za-z0-9\n' '_').eml
	printf 'From: Paul Partner <paul@partner.example.net>\nTo: Alice Smith <alice@example.org>\nSubject: %s\nMessage-ID: <%s@partner.example.net>\n\nhello\n' \
	    "$1" "$(echo "$1" | tr -c 'A-Za-z0-9\n' '.')" >"$f"
	give "$f"
	echo "$f"
}

# lda_bg MESSAGE ARGS...: start deputy-lda in the background, $bg_pid
lda_bg() {
	msg=$1; shift
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --reset-env -- "$DEPUTY_LDA" -c "$T/deputy.conf" "$@" \
		    <"$msg" >"$T/stdout" 2>"$T/stderr" &
	else
		"$DEPUTY_LDA" -c "$T/deputy.conf" "$@" <"$msg" \
		    >"$T/stdout" 2>"$T/stderr" &
	fi
	bg_pid=$!
}
