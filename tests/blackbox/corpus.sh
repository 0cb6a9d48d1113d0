#!/bin/sh
# corpus - every message of ../shared/corpus through the real deputy-lda
# to an away user: exit 0, the mailbox copy byte-identical, no notice,
# personal mail forwarded, bounces/reports/auto-replies/challenges not.

. "$(dirname "$0")/lib.sh"

C=$DEPUTY_SHARED/corpus
if [ ! -f "$C/labels.tsv" ]; then
	skip "corpus not found at $C: 1 corpus test skipped"
	done_testing
	exit $?
fi

setup_env
# A trusted authserv-id and trusted spam headers, as in production: the
# corpus's own Authentication-Results and X-Spam-* fields stand below
# its Received fields (or name other hosts), so none may count.
cat >>"$T/deputy.conf" <<CONF
auth { trusted_authserv_ids = {"mx.example.org", "mx.google.com"} }
spam { trusted_headers = {"X-Spam-Status", "X-Spam-Score", "X-Spamd-Result"} }
templates { dir = "$srcdir/templates" }
CONF
box=$T/mail/example.org/alice/Maildir/new


mislabel_ok=0; mislabel_n=0
total=0; failed_exit=0; failed_copy=0; notices=0
fw_personal=0; n_personal=0; fw_noise=0; n_noise=0
tab=$(printf '\t')
while IFS="$tab" read -r file category reply forward rest; do
	[ "$file" = file ] && continue
	f=$C/$file
	[ -f "$f" ] || continue
	total=$((total + 1))
	sender=$(envelope_sender "$f")
	rm -f "$box"/* "$T/sent"/* 2>/dev/null
	# Each file is a delivery of its own. Through an MTA every delivery
	# carries its own Received line; the corpus holds a few byte-identical
	# files, which deputy would rightly take for a retry of the first
	# (retry records are keyed by the message's SHA-256).
	rm -f "$T/state.lmdb" "$T/state.lmdb-lock"
	lda "$f" -f "$sender" -- alice@example.org
	if [ "$rc" -ne 0 ] || [ -n "$out" ] || [ -n "$err" ]; then
		failed_exit=$((failed_exit + 1))
		diag "$file: exit $rc stderr=$err"
		continue
	fi
	n=$(ls "$box" | wc -l)
	if [ "$n" -ne 1 ] || ! cmp -s "$box"/* "$f"; then
		failed_copy=$((failed_copy + 1))
		diag "$file: mailbox copy missing or altered"
	fi
	line=$(tail -1 "$T/log")
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
		if [ "$sent" -eq 1 ]; then fw_personal=$((fw_personal + 1))
		else diag "$file (personal) not forwarded: ${line##*forward=}"; fi ;;
	bounce|arf|autoreply|challenge)
		n_noise=$((n_noise + 1))
		if [ "$sent" -ne 0 ]; then
			fw_noise=$((fw_noise + 1))
			diag "$file ($category) forwarded"
		fi ;;
	esac
done <"$C/labels.tsv"

diag "corpus: $total messages, $n_personal personal, $n_noise noise"
[ "$total" -ge 800 ]; ok $? "corpus read: $total messages"
[ "$failed_exit" -eq 0 ]; ok $? "every message: exit 0, silent ($failed_exit failed)"
[ "$failed_copy" -eq 0 ]; ok $? "every message: one byte-identical mailbox copy ($failed_copy failed)"
[ "$notices" -eq 0 ]; ok $? "no message gets a notice ($notices did)"
[ "$fw_personal" -eq "$n_personal" ]; ok $? "personal mail forwarded: $fw_personal of $n_personal"
[ "$mislabel_ok" -eq "$mislabel_n" ]
ok $? "mislabelled personal mail kept from delegates for its reason: $mislabel_ok of $mislabel_n"
[ "$fw_noise" -eq 0 ]; ok $? "bounces, reports, auto-replies, challenges forwarded: $fw_noise of $n_noise"

cleanup
done_testing
