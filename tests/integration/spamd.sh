#!/bin/sh
# spamd - a real SpamAssassin spamd on loopback scores the corpus for
# deputy-lda (spam.scanner = "spamd"): every spam and personal message
# of ../shared/corpus goes to alice@example.org (away, delegate bob).
#
# Counts the share of spam forwarded to the delegate (goal under 5%) and
# of personal mail forwarded (goal 100%, less the known mislabels of
# tests/blackbox/corpus.sh). Every run must exit 0 and deliver, and no
# notice may go out (no sender is authenticated). Then spamd is stopped:
# with the score unknown a personal message is still delivered and
# forwarded (fail open for delivery) and the log says so.
#
# spamd runs with --local (no network tests), as in PLATFORM-NOTES 4a,
# so its scores are lower than on a networked host; a goal that spamd
# --local cannot reach is a TAP TODO that names the measured figure.
#
# Skips visibly when spamd/spamc or the corpus is absent. spamd is started
# in the foreground in the background of this shell and stopped by its pid
# (EXIT trap); its children are reaped by pid too.

. "$(dirname "$0")/lib.sh"

SPAMD=${SPAMD:-$(command -v spamd || echo /usr/sbin/spamd)}
SPAMC=${SPAMC:-$(command -v spamc || echo /usr/bin/spamc)}
C=$DEPUTY_SHARED/corpus
spamd_pid=""
spamd_kids=""
start_s=$(date +%s)

if [ ! -x "$SPAMD" ] || [ ! -x "$SPAMC" ]; then
	skip "spamd/spamc not installed (Debian: spamd spamc spamassassin): 1 spamd test skipped"
	done_testing
	exit $?
fi
if [ ! -f "$C/labels.tsv" ]; then
	skip "corpus not found at $C: 1 spamd test skipped"
	done_testing
	exit $?
fi

# gpg-agent processes that exist before we start (none of ours); at the
# end only a new one whose command line or environment names our $T is
# ours to stop (spamd itself starts none; sa-update's postinst may have
# started one outside this test, which is not ours)
gpg_before=$(pgrep -x gpg-agent 2>/dev/null | tr '\n' ' ')

# spamd_stop: TERM the parent by pid, wait (bounded), then make sure its
# children (recorded by pid at start) are gone
spamd_stop() {
	[ -n "$spamd_pid" ] || return 0
	kids=$(pgrep -P "$spamd_pid" 2>/dev/null | tr '\n' ' ')
	spamd_kids="$spamd_kids $kids"
	kill "$spamd_pid" 2>/dev/null
	n=50
	while kill -0 "$spamd_pid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	kill -9 "$spamd_pid" 2>/dev/null
	wait "$spamd_pid" 2>/dev/null
	for k in $spamd_kids; do
		n=20
		while kill -0 "$k" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$k" 2>/dev/null
	done
	spamd_pid=""
}

# gpg_cleanup: stop a gpg-agent only if it appeared during this test and
# names our $T (its --homedir or environment); leave every other alone
gpg_cleanup() {
	[ -n "${T:-}" ] || return 0
	for g in $(pgrep -x gpg-agent 2>/dev/null); do
		case " $gpg_before " in *" $g "*) continue ;; esac
		if tr '\0' '\n' <"/proc/$g/cmdline" 2>/dev/null | grep -qF "$T" ||
		    tr '\0' '\n' <"/proc/$g/environ" 2>/dev/null | grep -qF "$T"; then
			kill "$g" 2>/dev/null
		fi
	done
}

spamd_cleanup() {
	spamd_stop
	gpg_cleanup
	integration_cleanup
}
trap spamd_cleanup EXIT
trap 'exit 1' INT TERM HUP

setup_env
cp "$T/deputy.conf" "$T/deputy.conf.orig"
S=$T/sa
mkdir -p "$S/home"
SPAMD_PORT=$(free_port)
cat >>"$T/deputy.conf" <<CONF
spam {
	scanner = "spamd"
	address = "127.0.0.1:$SPAMD_PORT"
	timeout = 10
}
CONF
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$T"

# spamd as in PLATFORM-NOTES 4a, in the foreground so $! is its pid
set -- --listen="127.0.0.1:$SPAMD_PORT" --allowed-ips=127.0.0.1 --local \
    --nouser-config --helper-home-dir="$S/home" --pidfile="$S/spamd.pid" \
    --syslog="$S/spamd.log" --max-children=2 --min-children=2
if [ "$(id -u)" -eq 0 ]; then
	set -- "$@" --username=nobody --groupname=nogroup
fi
t0=$(date +%s%N)
"$SPAMD" "$@" </dev/null >>"$S/spamd.out" 2>&1 &
spamd_pid=$!
if ! wait_for 60 "$SPAMC" -d 127.0.0.1 -p "$SPAMD_PORT" -x -K; then
	diag "spamd did not answer within 60 s:"
	tail -20 "$S/spamd.log" "$S/spamd.out" 2>/dev/null | sed 's/^/# /'
	ok 1 "spamd answers spamc -K on 127.0.0.1:$SPAMD_PORT"
	done_testing
	exit $?
fi
ok 0 "spamd answers spamc -K on 127.0.0.1:$SPAMD_PORT after $(( ($(date +%s%N) - t0) / 1000000 )) ms"



# worker N LIST: run each "file category" of LIST through deputy-lda
# with its own config (own log file), append "file category rc line" to
# $T/result.N. Two workers match spamd's two children.
worker() {
	w=$1
	conf=$T/deputy.conf.$w
	sed "s,file = \"$T/log\",file = \"$T/log.$w\"," "$T/deputy.conf" >"$conf"
	[ "$(id -u)" -eq 0 ] && chown nobody: "$conf"
	: >"$T/result.$w"
	while read -r file category; do
		f=$C/$file
		sender=$(envelope_sender "$f")
		before=$(wc -l 2>/dev/null <"$T/log.$w" || echo 0)
		as_user "$DEPUTY_LDA" -c "$conf" -f "$sender" -- alice@example.org \
		    <"$f" >/dev/null 2>"$T/stderr.$w"
		rc=$?
		line=$(tail -n +"$((before + 1))" "$T/log.$w" 2>/dev/null |
		    grep ' forward_reason=' | tail -1)
		warn=$(tail -n +"$((before + 1))" "$T/log.$w" 2>/dev/null |
		    grep 'spam scanner:' | sed 's/.*spam scanner: //' | tr '\t\n' '  ')
		err=$(head -c 300 "$T/stderr.$w" | tr '\t\n' '  ')
		# (tab is IFS white space: an empty field would vanish, so "-")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$category" "$rc" \
		    "${warn:--}" "${err:--}" "$line" >>"$T/result.$w"
	done <"$2"
}

tab=$(printf '\t')
awk -F"$tab" '$2 == "spam" || $2 == "personal" { print $1, $2 }' \
    "$C/labels.tsv" | while read -r file category; do
	[ -f "$C/$file" ] && echo "$file $category"
done >"$T/list"
awk 'NR % 2 == 1' "$T/list" >"$T/list.1"
awk 'NR % 2 == 0' "$T/list" >"$T/list.2"
t0=$(date +%s)
worker 1 "$T/list.1" &
w1=$!
worker 2 "$T/list.2" &
w2=$!
wait "$w1"; wait "$w2"
corpus_s=$(( $(date +%s) - t0 ))
cat "$T/result.1" "$T/result.2" | sort >"$T/result"

total=0; bad_exit=0; not_delivered=0; notices=0; unscored=0; too_big=0
n_spam=0; fw_spam=0; spam_refused=0
n_personal=0; fw_personal=0; personal_other=0; mislabel_n=0; mislabel_ok=0
personal_high=""
while IFS="$tab" read -r file category rc warn err line; do
	total=$((total + 1))
	if [ "$rc" -ne 0 ] || [ "$err" != - ]; then
		bad_exit=$((bad_exit + 1)); diag "$file: exit $rc: $err"
	fi
	case $line in
	*" mailbox=delivered "*) ;;
	*) not_delivered=$((not_delivered + 1)); diag "$file: not delivered: $line" ;;
	esac
	case $line in
	*" notice=no "*) ;;
	*) notices=$((notices + 1)); diag "$file: notice: $line" ;;
	esac
	if [ "$warn" != - ]; then
		# larger than spam.max_size_kb (1024): not sent to spamd, by design
		if [ "$(wc -c <"$C/$file")" -gt 1048576 ] &&
		    case $warn in *"not scanned (limit"*) true ;; *) false ;; esac; then
			too_big=$((too_big + 1)); diag "$file: $warn"
		else
			unscored=$((unscored + 1)); diag "$file: no score: $warn"
		fi
	fi
	case $line in
	*" forward=- "*) forwarded=0 ;;
	*" forward="*) forwarded=1 ;;
	*) forwarded=0 ;;
	esac
	reason=${line##*forward_reason=}; reason=${reason%% *}
	case $category in
	spam)
		n_spam=$((n_spam + 1))
		if [ "$forwarded" -eq 1 ]; then
			fw_spam=$((fw_spam + 1)); spam_fw_files="${spam_fw_files:-}${spam_fw_files:+ }${file#spam/}"
		fi
		[ "$reason" = spam-score ] && spam_refused=$((spam_refused + 1)) ;;
	personal)
		why=$(known_mislabel "$file")
		if [ -n "$why" ]; then
			mislabel_n=$((mislabel_n + 1))
			# a mislabel may also score as spam; either keeps it back
			if [ "$forwarded" -eq 0 ] &&
			    { [ "$reason" = "$why" ] || [ "$reason" = spam-score ]; }; then
				mislabel_ok=$((mislabel_ok + 1))
			else
				diag "$file: expected forward_reason=$why: $line"
			fi
			continue
		fi
		n_personal=$((n_personal + 1))
		if [ "$forwarded" -eq 1 ]; then
			fw_personal=$((fw_personal + 1))
		elif [ "$reason" = spam-score ]; then
			personal_high="$personal_high ${file#personal/}"
		else
			personal_other=$((personal_other + 1))
			diag "$file (personal) not forwarded: forward_reason=$reason"
		fi ;;
	esac
done <"$T/result"

diag "spamd --local scored $total messages in $corpus_s s (2 in parallel)"
diag "spam forwarded: $fw_spam of $n_spam (refused for spam-score: $spam_refused)"
[ -n "${spam_fw_files:-}" ] && diag "spam forwarded (spam/): $spam_fw_files"
diag "personal forwarded: $fw_personal of $n_personal (and $mislabel_n known mislabels kept back)"
[ -n "$personal_high" ] && diag "personal scored >= forward_threshold (personal/):$personal_high"

[ "$total" -ge 300 ]; ok $? "spam and personal messages read: $total"
[ "$bad_exit" -eq 0 ]; ok $? "every message: exit 0, nothing on stderr ($bad_exit did not)"
[ "$not_delivered" -eq 0 ]; ok $? "every message delivered to the mailbox ($not_delivered not)"
[ "$notices" -eq 0 ]; ok $? "no notice: no sender is authenticated ($notices sent)"
[ "$unscored" -eq 0 ]
ok $? "spamd scored every message up to 1 MiB ($unscored without a score; $too_big larger, not sent)"
[ "$spam_refused" -gt 0 ]; ok $? "spam kept from the delegate for its score: $spam_refused of $n_spam"
[ "$personal_other" -eq 0 ]
ok $? "personal mail kept back only for its spam score ($personal_other for another reason)"
[ "$mislabel_ok" -eq "$mislabel_n" ]
ok $? "known mislabels kept from the delegate: $mislabel_ok of $mislabel_n"

# The goals. spamd --local has no network tests (no DNSBL, URIBL, Razor,
# Pyzor) and no Bayes; what it cannot reach is a TODO with the figure.
pct=$(( fw_spam * 1000 / (n_spam > 0 ? n_spam : 1) ))
pct_s="$((pct / 10)).$((pct % 10))%"
[ $((fw_spam * 100)) -lt $((n_spam * 5)) ]
todo_ok $? "spam forwarded under 5%: $fw_spam of $n_spam ($pct_s)" \
    "spamd --local (no network tests, no Bayes) forwards $fw_spam of $n_spam spam ($pct_s)"
[ "$fw_personal" -ge "$n_personal" ]
todo_ok $? "personal mail forwarded: $fw_personal of $n_personal" \
    "spamd --local scores $((n_personal - fw_personal)) personal messages >= 5.0:$personal_high"

# Score unknown: spamd stopped, a personal message is still delivered and
# forwarded (fail open for delivery), exit 0, and the log says why.
pick=$(awk -F"$tab" '$2 == "personal" && $6 ~ / forward=bob@/ { print $1; exit }' "$T/result")
spamd_stop
if [ -z "$pick" ]; then
	ok 1 "a personal message to replay with spamd stopped"
else
	before=$(wc -l 2>/dev/null <"$T/log" || echo 0)
	# a fresh state store: the corpus run recorded this message's
	# forward, and a redelivery is (rightly) not forwarded twice
	rm -rf "$T/sent"/* "$T"/state.lmdb*
	lda "$C/$pick" -f "$(envelope_sender "$C/$pick")" -- alice@example.org
	new=$(tail -n +"$((before + 1))" "$T/log")
	bad=0
	[ "$rc" -eq 0 ] && [ -z "$err" ]; r=$?; bad=$((bad + r))
	ok $r "spamd stopped: $pick: exit 0, nothing on stderr (got $rc)"
	case $new in *" mailbox=delivered "*) r=0 ;; *) r=1 ;; esac
	bad=$((bad + r)); ok $r "spamd stopped: $pick delivered to the mailbox"
	[ "$(sent_count)" -eq 1 ] &&
	    case $new in *" forward=bob@example.org "*) true ;; *) false ;; esac
	r=$?; bad=$((bad + r))
	ok $r "spamd stopped: $pick still forwarded to the delegate"
	case $new in *" notice=no "*) r=0 ;; *) r=1 ;; esac
	bad=$((bad + r)); ok $r "spamd stopped: no notice"
	printf '%s\n' "$new" | grep -q "spam scanner: .*127\\.0\\.0\\.1:$SPAMD_PORT.*no score"
	r=$?; bad=$((bad + r))
	ok $r "spamd stopped: the log says the score is unknown"
	[ $bad -eq 0 ] || printf '%s\n' "$err" "$new" | sed 's/^/# /'
fi

diag "spamd test took $(( $(date +%s) - start_s )) s"
done_testing
