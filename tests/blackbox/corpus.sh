#!/bin/sh
# corpus - every message of ../shared/corpus to an away user, through
# deputyd (deputy-lda handing it over) and through deputy-deliver in
# process: exit 0, the mailbox copy byte-identical, no notice, personal
# mail forwarded, bounces/reports/auto-replies/challenges not; and one
# record everywhere: both paths log the same decision for every message,
# and deputyctl explain --json (every fourth message, and --explain's
# text for every eighth) says the same.
#
# CORPUS_SHARD=K/N replays every Nth message from the Kth (the full CI
# runs two shards side by side); CORPUS_SAMPLE=N replays one message in
# N (make check's quick tier uses 8; DEPUTY_FULL=1 replays them all).

. "$(dirname "$0")/lib.sh"

: "${DEPUTYD:=$top_builddir/deputyd}"
: "${DEPUTYCTL:=$top_builddir/deputyctl}"
C=$DEPUTY_SHARED/corpus
if [ ! -f "$C/labels.tsv" ]; then
	skip "corpus not found at $C: 1 corpus test skipped"
	done_testing
	exit $?
fi
shard=${CORPUS_SHARD:-1/1}
sk=${shard%/*}; sn=${shard#*/}
sample=${CORPUS_SAMPLE:-8}
[ -n "${DEPUTY_FULL:-}" ] && sample=1

setup_env
# A trusted authserv-id and trusted spam headers, as in production: the
# corpus's own Authentication-Results and X-Spam-* fields stand below
# its Received fields (or name other hosts), so none may count.
cat >>"$T/deputy.conf" <<CONF
auth { trusted_authserv_ids = {"mx.example.org", "mx.google.com"} }
spam { trusted_headers = {"X-Spam-Status", "X-Spam-Score", "X-Spamd-Result"} }
templates { dir = "$srcdir/templates" }
CONF
# the deputyd side: its own Maildirs, state, log and socket
mkdir -p "$T/d/mail" "$T/d/spool" "$T/d/run"
sed -e "s|$T/mail/|$T/d/mail/|; s|$T/spool|$T/d/spool|; s|$T/state.lmdb|$T/d/state.lmdb|; s|$T/log|$T/d/log|" \
    "$T/deputy.conf" >"$T/d/deputy.conf"
cat >>"$T/d/deputy.conf" <<CONF
daemon {
	listen = {"unix:$T/d/run/lmtp"}
	workers = 1
}
CONF
if [ "$(id -u)" -eq 0 ]; then
	chown -R nobody:nogroup "$T"
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
	    "$DEPUTYD" -c "$T/d/deputy.conf" >"$T/d/out" 2>&1 &
else
	"$DEPUTYD" -c "$T/d/deputy.conf" >"$T/d/out" 2>&1 &
fi
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null' EXIT
n=50; while [ ! -S "$T/d/run/lmtp" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
box=$T/mail/example.org/alice/Maildir/new
dbox=$T/d/mail/example.org/alice/Maildir/new

# same_over_lmtp COPY ORIGINAL: byte-identical, or (LMTP ends the data
# with a line end) the original lacks a final newline that the copy has
same_over_lmtp() {
	cmp -s "$1" "$2" && return 0
	[ "$(tail -c1 "$2" | od -An -tx1 | tr -d ' ')" != 0a ] &&
	    [ "$(wc -c <"$1")" -eq $(( $(wc -c <"$2") + 1 )) ] &&
	    cmp -s -n "$(wc -c <"$2")" "$1" "$2"
}

# decision FIELDS of a log line: away, mailbox, forward, both reasons
decision() {
	printf '%s\n' "$1" | sed -n 's/.* \(away=[^ ]*\) \(mailbox=[^ ]*\) \(forward=[^ ]*\) \(forward_reason=[^ ]*\) \(notice=[^ ]*\) \(notice_reason=[^ ]*\).*/\1 \2 \3 \4 \5 \6/p'
}
reasons() {	# forward_reason=X notice_reason=Y of a log line
	printf '%s\n' "$1" | sed -n 's/.* \(forward_reason=[^ ]*\) notice=[^ ]* \(notice_reason=[^ ]*\).*/\1 \2/p'
}

mislabel_ok=0; mislabel_n=0
total=0; i=0; failed_exit=0; failed_copy=0; notices=0
fw_personal=0; n_personal=0; fw_noise=0; n_noise=0
differ=0; explained=0; explain_differ=0; texts=0; text_differ=0
tab=$(printf '\t')
while IFS="$tab" read -r file category reply forward rest; do
	[ "$file" = file ] && continue
	f=$C/$file
	[ -f "$f" ] || continue
	i=$((i + 1))
	[ $(( (i - sk) % sn )) -eq 0 ] || continue
	[ $(( ((i - sk) / sn) % sample )) -eq 0 ] || continue
	total=$((total + 1))
	sender=$(envelope_sender "$f")
	rm -f "$box"/* "$dbox"/* "$T/sent"/* 2>/dev/null
	# Each file is a delivery of its own. Through an MTA every delivery
	# carries its own Received line; the corpus holds a few byte-identical
	# files, which deputy would rightly take for a retry of the first.
	rm -f "$T/state.lmdb" "$T/state.lmdb-lock" "$T/d/state.lmdb" \
	    "$T/d/state.lmdb-lock"

	# deputyctl explain --json: what deputy would do, before it does it
	if [ $((total % 4)) -eq 1 ]; then
		case $sender in ""|MAILER-DAEMON) from="<>" ;; *) from=$sender ;; esac
		json=$("$DEPUTYCTL" -c "$T/deputy.conf" explain alice --from "$from" --json <"$f" 2>&1)
		ej=$(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("forward_reason=%s notice_reason=%s" % (d["forward_reason"], d["notice_reason"]))' 2>/dev/null)
		explained=$((explained + 1))
	fi
	if [ $((total % 8)) -eq 1 ]; then
		txt=$(as_user "$top_builddir/deputy-deliver" -c "$T/deputy.conf" --explain -f "$sender" -- alice@example.org <"$f" 2>&1)
		texts=$((texts + 1))
	fi

	# the same message through deputyd, then through deputy-deliver
	as_user "$DEPUTY_LDA" -c "$T/d/deputy.conf" -f "$sender" -- alice@example.org <"$f" >/dev/null 2>"$T/d/stderr"
	drc=$?
	dline=$(grep ' msgid=' "$T/d/log" | tail -1)
	as_user "$top_builddir/deputy-deliver" -c "$T/deputy.conf" -f "$sender" -- alice@example.org <"$f" >"$T/stdout" 2>"$T/stderr"
	rc=$?; out=$(cat "$T/stdout"); err=$(cat "$T/stderr")
	if [ "$rc" -ne 0 ] || [ -n "$out" ] || [ -n "$err" ] || [ "$drc" -ne 0 ]; then
		failed_exit=$((failed_exit + 1))
		diag "$file: exit $rc/$drc stderr=$err $(cat "$T/d/stderr")"
		continue
	fi
	n=$(ls "$box" | wc -l); dn=$(ls "$dbox" | wc -l)
	if [ "$n" -ne 1 ] || ! cmp -s "$box"/* "$f" || [ "$dn" -ne 1 ] ||
	    ! same_over_lmtp "$dbox"/* "$f"; then
		failed_copy=$((failed_copy + 1))
		diag "$file: mailbox copy missing or altered ($n in process, $dn by deputyd)"
	fi
	line=$(grep ' msgid=' "$T/log" | tail -1)
	if [ "$(decision "$line")" != "$(decision "$dline")" ] || [ -z "$(decision "$line")" ]; then
		differ=$((differ + 1))
		diag "$file: deputy-deliver [$(decision "$line")] deputyd [$(decision "$dline")]"
	fi
	if [ $((total % 4)) -eq 1 ] && [ "$ej" != "$(reasons "$line")" ]; then
		explain_differ=$((explain_differ + 1))
		diag "$file: explain --json [$ej] delivery [$(reasons "$line")]"
	fi
	if [ $((total % 8)) -eq 1 ]; then
		tf=$(printf '%s\n' "$txt" | sed -n 's/^  forward: no (\([^:)]*\).*/forward_reason=\1/p; s/^  forward: [^n(].*/forward_reason=none/p')
		tn=$(printf '%s\n' "$txt" | sed -n 's/^  notice:  no (\([^:)]*\).*/notice_reason=\1/p; s/^  notice:  yes.*/notice_reason=none/p')
		if [ "$tf $tn" != "$(reasons "$line")" ]; then
			text_differ=$((text_differ + 1))
			diag "$file: --explain [$tf $tn] delivery [$(reasons "$line")]"
		fi
	fi
	case $line in
	*"notice=no "*) ;;
	*) notices=$((notices + 1)); diag "$file: notice not refused: $line" ;;
	esac
	sent=$(sent_count)
	case $category in
	personal)
		why=$(known_mislabel "$file")
		if [ -n "$why" ]; then
			mislabel_n=$((mislabel_n + 1))
			case $line in
			*"forward=- forward_reason=$why "*)
				mislabel_ok=$((mislabel_ok + 1)) ;;
			*) diag "$file: expected forward_reason=$why: $line" ;;
			esac
			continue
		fi
		n_personal=$((n_personal + 1))
		# one forward from each path
		if [ "$sent" -eq 2 ]; then fw_personal=$((fw_personal + 1))
		else diag "$file (personal) forwarded $sent times of 2: ${line##*forward=}"; fi ;;
	bounce|arf|autoreply|challenge)
		n_noise=$((n_noise + 1))
		if [ "$sent" -ne 0 ]; then
			fw_noise=$((fw_noise + 1))
			diag "$file ($category) forwarded"
		fi ;;
	esac
done <"$C/labels.tsv"

diag "corpus shard $shard, one in $sample: $total messages, $n_personal personal, $n_noise noise"
min=$(( 800 / sn / sample - 5 ))
[ "$total" -ge "$min" ]; ok $? "corpus read: $total messages (at least $min)"
[ "$failed_exit" -eq 0 ]; ok $? "every message, both paths: exit 0, silent ($failed_exit failed)"
[ "$failed_copy" -eq 0 ]; ok $? "every message, both paths: one byte-identical mailbox copy ($failed_copy failed)"
[ "$differ" -eq 0 ]; ok $? "deputyd and deputy-deliver log the same decision for all $total ($differ differ)"
[ "$explain_differ" -eq 0 ] && [ "$explained" -gt 0 ]
ok $? "deputyctl explain --json agrees with the delivery on $explained messages ($explain_differ differ)"
[ "$text_differ" -eq 0 ] && [ "$texts" -gt 0 ]
ok $? "deputy-lda --explain's text agrees with the delivery on $texts messages ($text_differ differ)"
[ "$notices" -eq 0 ]; ok $? "no message gets a notice ($notices did)"
[ "$fw_personal" -eq "$n_personal" ]; ok $? "personal mail forwarded: $fw_personal of $n_personal"
[ "$mislabel_ok" -eq "$mislabel_n" ]
ok $? "mislabelled personal mail kept from delegates for its reason: $mislabel_ok of $mislabel_n"
[ "$fw_noise" -eq 0 ]; ok $? "bounces, reports, auto-replies, challenges forwarded: $fw_noise of $n_noise"

kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
cleanup
done_testing
