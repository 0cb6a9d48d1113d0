#!/bin/sh
# dovecot.sh - the sieve_deputy plugin inside a real dovecot-lda (TAP)
#
# A private dovecot.conf under $T/dc loads the plugin from the build tree
# (sieve_plugin_dir); /usr/lib/dovecot/dovecot-lda runs as nobody with
# HOME=$T/dc/home and no auth lookup. Dovecot's own sendmail_path is a
# recorder that must stay empty whenever the plugin is loaded: Pigeonhole
# never sends a vacation reply of its own.
#
# Part 1, a recording stub in place of deputy-lda: the plugin loads; a
# script with every vacation tag compiles and the stub gets the argv of
# the contract (deputy-lda --sieve-vacation ...) and the message on
# stdin, once per message; the keep stays; exit 75, a hang and a missing
# program are logged and the mail is still stored with exit 0; a stale
# binary of the built-in vacation and vacation-seconds do not crash.
#
# Part 2, the real deputy-lda (when it has --sieve-vacation): the 45
# Pigeonhole vacation cases as user scripts, with and without a trusted
# Authentication-Results field; spam and bounces; the delegate's copy.
#
# Skips visibly without dovecot-lda or the built plugin, and the corpus
# parts without $DEPUTY_SHARED/corpus.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

DOVECOT_LDA=${DOVECOT_LDA:-/usr/lib/dovecot/dovecot-lda}
PLUGIN_DIR=${SIEVE_PLUGIN_DIR:-$top_builddir/sieve}
PLUGIN=$PLUGIN_DIR/lib90_sieve_deputy_plugin.so
CORPUS=$DEPUTY_SHARED/corpus
LDA_TIMEOUT=90

if [ ! -x "$DOVECOT_LDA" ]; then
	skip "$DOVECOT_LDA not installed (dovecot-core, dovecot-sieve in scripts/packages/integration.txt): whole test skipped"
	done_testing; exit 0
fi
if [ ! -f "$PLUGIN" ]; then
	skip "plugin not built ($PLUGIN; configure found no dovecot-dev headers): whole test skipped"
	done_testing; exit 0
fi
# A plugin built with -fsanitize needs the sanitizer runtime first in a
# process that was not built with it: dovecot-lda cannot load it.
if [ -n "${DEPUTY_SANITIZED:-}" ] || ldd "$PLUGIN" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	skip "plugin built with sanitizers cannot load into dovecot-lda: whole test skipped (runs in the plain build)"
	done_testing; exit 0
fi

setup_env
trap integration_cleanup EXIT
trap 'exit 1' INT TERM

DC=$T/dc
H=$DC/home
S=$T/stub
mkdir -p "$DC/etc" "$DC/log" "$DC/ph-sent" "$DC/plugin" "$H" "$S"

# The plugin from the build tree, if nobody can read it there.
if as_user test -r "$PLUGIN"; then
	PLUGIN_USE_DIR=$PLUGIN_DIR
else
	cp "$PLUGIN" "$DC/plugin/"
	PLUGIN_USE_DIR=$DC/plugin
	diag "build tree not readable by nobody: plugin copied to $DC/plugin"
fi

# Dovecot's sendmail_path: records anything Pigeonhole itself sends.
cat >"$DC/ph-sendmail" <<EOF
#!/bin/sh
n=\$(date +%s%N)
printf '%s\n' "\$@" >"$DC/ph-sent/\$n.argv"
cat >"$DC/ph-sent/\$n.eml"
exit 0
EOF

# The stub deputy-lda: each argv word on a line (newlines in a word as
# \n), stdin to a file; $S/exit makes it fail with a reason on stderr,
# $S/sleep makes it hang.
cat >"$T/bin/stub-lda" <<EOF
#!/bin/sh
n=\$(date +%s%N)
for a in "\$@"; do
	printf '%s\n' "\$a" | sed -e ':a' -e 'N' -e '\$!ba' -e 's/\n/\\\\n/g'
done >"$S/argv.\$n"
cat >"$S/stdin.\$n"
if [ -f "$S/sleep" ]; then sleep "\$(cat "$S/sleep")"; fi
if [ -f "$S/exit" ]; then
	echo "4.3.0 stub: directory unreachable" >&2
	exit "\$(cat "$S/exit")"
fi
exit 0
EOF
chmod 755 "$DC/ph-sendmail" "$T/bin/stub-lda"

# dc_conf PLUGIN(yes|no) LDA [EXTRA-PLUGIN-SETTING...]: dovecot.conf
dc_conf() {
	with=$1; lda_path=$2; shift 2
	{
		echo "log_path = $DC/log/dovecot.log"
		echo "mail_location = maildir:~/Maildir"
		echo "sendmail_path = $DC/ph-sendmail"
		echo "mail_debug = yes"
		echo "protocol lda {"
		echo "  mail_plugins = sieve"
		echo "}"
		echo "plugin {"
		echo "  sieve = file:~/sieve;active=~/.dovecot.sieve"
		if [ "$with" = yes ]; then
			echo "  sieve_plugins = sieve_deputy"
			echo "  sieve_plugin_dir = $PLUGIN_USE_DIR"
			echo "  sieve_deputy_lda = $lda_path"
			echo "  sieve_deputy_config = $T/deputy.conf"
		fi
		for l in "$@"; do echo "  $l"; done
		echo "}"
	} >"$DC/etc/dovecot.conf"
}

# script TEXT: the user's active script; drop the compiled binary unless
# KEEP_SVBIN is set
script() {
	printf '%s\n' "$1" >"$H/.dovecot.sieve"
	[ -n "${KEEP_SVBIN:-}" ] || rm -f "$H/.dovecot.svbin"
	rm -f "$H/.dovecot.sieve.log"
}

# own: everything under $T belongs to nobody when we are root
own() { [ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$T"; return 0; }

# dc_lda MESSAGE SENDER RECIPIENT [ORIGINAL]: run dovecot-lda, sets $rc
# and $took; the log of this run alone is $DC/log/run.log
dc_lda() {
	_msg=$1; _from=$2; _rcpt=$3
	if [ -n "${4:-}" ]; then set -- -a "$4"; else set --; fi
	: >"$DC/log/dovecot.log"
	own
	t0=$(date +%s)
	as_user timeout -k 5 "$LDA_TIMEOUT" env -i HOME="$H" USER=alice \
	    PATH=/usr/bin:/bin "$DOVECOT_LDA" -c "$DC/etc/dovecot.conf" \
	    -f "$_from" -r "$_rcpt" "$@" <"$_msg" >"$DC/log/stdout" 2>"$DC/log/stderr"
	rc=$?
	took=$(( $(date +%s) - t0 ))
	cp "$DC/log/dovecot.log" "$DC/log/run.log"
	cat "$DC/log/dovecot.log" >>"$DC/log/all.log"
	[ "$rc" -eq 0 ] || diag "dovecot-lda exit $rc: $(head -c 300 "$DC/log/stderr")"
	return "$rc"
}

inbox_count() { ls "$H/Maildir/new" 2>/dev/null | wc -l; }
stub_count() { ls "$S" | grep -c '^argv\.'; }
stub_last_argv() { ls "$S"/argv.* 2>/dev/null | tail -1; }
ph_count() { ls "$DC/ph-sent" | grep -c '\.argv$'; }
no_panic() { ! grep -q 'Panic\|Fatal\|Segmentation\|core dumped' "$DC/log/run.log"; }
clear_stub() { rm -f "$S"/argv.* "$S"/stdin.* "$S/exit" "$S/sleep"; }

# argv_is EXPECTED-FILE: the stub's last argv (argv[1] on)
argv_is() {
	diff -u "$1" "$(stub_last_argv)" >"$T/argv.diff"
}

msg "$T/m1.eml" bob@example.com alice@example.org "Quarterly report"
own

# ------------------------------------------------------------- part 1

dc_conf yes "$T/bin/stub-lda"
script 'require "vacation";
vacation :days 3 :subject "Out of office" :from "Alice Smith <alice@example.org>"
  :addresses ["a.smith@example.org", "alice@example.net"] :mime
  :handle "summer-2026" "Content-Type: text/plain; charset=utf-8

I am away until Monday.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org team@example.org
ok $? "dovecot-lda with the plugin: exit 0"
grep -q 'sieve_deputy: plugin loaded; vacation replaced' "$DC/log/run.log"
ok $? "the plugin loads and replaces vacation (log line)"
[ -f "$H/.dovecot.svbin" ] && [ ! -s "$H/.dovecot.sieve.log" ]
ok $? "the script with every vacation tag compiles (no errors)"
[ "$(inbox_count)" -eq 1 ]
ok $? "the message is in the user's INBOX (implicit keep)"
[ "$(stub_count)" -eq 1 ]
ok $? "deputy-lda (stub) ran once"
cat >"$T/want" <<EOF
-c
$T/deputy.conf
--sieve-vacation
-f
bob@example.com
-a
team@example.org
--reason
Content-Type: text/plain; charset=utf-8\n\nI am away until Monday.
--subject
Out of office
--vacation-from
Alice Smith <alice@example.org>
--address
a.smith@example.org
--address
alice@example.net
--seconds
259200
--handle
summer-2026
--mime
--
alice@example.org
EOF
argv_is "$T/want"
ok $? "argv: -a original recipient, :days 3 -> --seconds 259200, :subject, :from, :addresses, :handle, :mime, -- recipient"
[ -s "$T/argv.diff" ] && sed 's/^/#   /' "$T/argv.diff"
cmp -s "$T/m1.eml" "$(ls "$S"/stdin.* | tail -1)"
ok $? "the message reaches deputy-lda's stdin byte for byte"
grep -q 'vacation handled by deputy' "$DC/log/run.log"
ok $? "one info line: vacation handled by deputy"
[ "$(ph_count)" -eq 0 ] && no_panic
ok $? "Pigeonhole sent nothing itself; no panic"

# The minimal form: no optional argument is passed.
clear_stub
script 'require "vacation"; vacation "Away.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
printf '%s\n' -c "$T/deputy.conf" --sieve-vacation -f bob@example.com \
    --reason Away. -- alice@example.org >"$T/want"
[ "$rc" -eq 0 ] && argv_is "$T/want"
ok $? "plain vacation: only -f, --reason and the recipient (no -a: dovecot-lda had none)"
[ -s "$T/argv.diff" ] && sed 's/^/#   /' "$T/argv.diff"

# The null sender travels as an empty argv word.
clear_stub
dc_lda "$T/m1.eml" "" alice@example.org
[ "$rc" -eq 0 ] && sed -n '4,5p' "$(stub_last_argv)" | tr '\n' '|' | grep -qx -- '-f||'
ok $? "null sender: -f followed by an empty word"

# :seconds without vacation-seconds (accepted), and a large :days capped.
clear_stub
script 'require "vacation"; vacation :seconds 7200 "Back soon.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && grep -qx -- '7200' "$(stub_last_argv)" &&
    grep -x -A1 -- '--seconds' "$(stub_last_argv)" | grep -qx 7200
ok $? ":seconds 7200 -> --seconds 7200"
clear_stub
script 'require "vacation"; vacation :days 100000 "Long.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
grep -x -A1 -- '--seconds' "$(stub_last_argv)" | grep -qx 315360000
ok $? ":days 100000 is capped at ten years (315360000 s, deputy-lda's limit)"

# require "vacation-seconds": off by default (as in Pigeonhole), on with
# sieve_extensions; either way no panic (PLATFORM-NOTES trap 3).
clear_stub
script 'require ["vacation", "vacation-seconds"]; vacation :seconds 60 "Brb.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && no_panic && [ "$(stub_count)" -eq 0 ] &&
    grep -q 'vacation-seconds' "$H/.dovecot.sieve.log"
ok $? "vacation-seconds disabled by default: the script fails to compile, mail kept, no panic"
dc_conf yes "$T/bin/stub-lda" "sieve_extensions = +vacation-seconds"
clear_stub
script 'require ["vacation", "vacation-seconds"]; vacation :seconds 60 "Brb.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && no_panic && [ "$(stub_count)" -eq 1 ] &&
    grep -x -A1 -- '--seconds' "$(stub_last_argv)" | grep -qx 60
ok $? "sieve_extensions = +vacation-seconds: compiles, --seconds 60, no panic"
dc_conf yes "$T/bin/stub-lda"

# Variables are expanded before deputy sees them (message-15 style).
clear_stub
script 'require ["vacation", "variables"];
set "message" "I am not in today!"; set "subject" "Out of office";
set "from" "user@example.com";
vacation :from "${from}" :subject "${subject}" "${message}";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
tr '\n' '|' <"$(stub_last_argv)" |
    grep -q -- '--reason|I am not in today!|--subject|Out of office|--vacation-from|user@example.com|'
ok $? "variables in :from, :subject and the reason are expanded"

# Two vacation actions: the first counts, deputy runs once.
clear_stub
script 'require "vacation"; vacation "first"; vacation :subject "x" "second";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$(stub_count)" -eq 1 ] &&
    grep -x -A1 -- '--reason' "$(stub_last_argv)" | grep -qx first
ok $? "two vacation actions: deputy-lda runs once, with the first"

# vacation + reject conflict (RFC 5230 4.7): the script fails, keep.
clear_stub
n0=$(inbox_count)
script 'require ["vacation", "reject"]; vacation "x"; reject "no";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$(stub_count)" -eq 0 ] && [ "$(inbox_count)" -eq $((n0 + 1)) ] &&
    grep -q 'conflicts with\|cannot be combined' "$H/.dovecot.sieve.log"
ok $? "vacation with reject: conflict reported, no deputy run, mail kept"

# deputy-lda fails: exit 75 with a reason, a hang, a missing program.
clear_stub
echo 75 >"$S/exit"
script 'require "vacation"; vacation "x";'
n0=$(inbox_count)
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$(inbox_count)" -eq $((n0 + 1)) ] &&
    grep -q 'exit 75: 4.3.0 stub: directory unreachable' "$DC/log/run.log"
ok $? "deputy-lda exit 75: logged with its stderr line, mail kept, exit 0"
clear_stub
echo 30 >"$S/sleep"
dc_conf yes "$T/bin/stub-lda" "sieve_deputy_timeout = 2s"
n0=$(inbox_count)
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$took" -lt 20 ] && [ "$(inbox_count)" -eq $((n0 + 1)) ] &&
    grep -q 'no exit within 2 s, killed' "$DC/log/run.log"
ok $? "a hung deputy-lda is killed after sieve_deputy_timeout, mail kept (${took}s)"
clear_stub
dc_conf yes "$T/bin/no-such-lda"
n0=$(inbox_count)
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$(inbox_count)" -eq $((n0 + 1)) ] &&
    grep -q 'exit 127: execve .*no-such-lda' "$DC/log/run.log"
ok $? "a missing deputy-lda: exit 127 logged, mail kept"

# A Roundcube (managesieve) absence script, unchanged.
clear_stub
dc_conf yes "$T/bin/stub-lda"
d1=$(date -u -d '-2 days' +%Y-%m-%d); d2=$(date -u -d '+5 days' +%Y-%m-%d)
script "require [\"vacation\",\"date\",\"relational\"];
# rule:[Out of office]
if allof (currentdate :value \"ge\" \"date\" \"$d1\", currentdate :value \"le\" \"date\" \"$d2\")
{
	vacation :days 1 :subject \"Out of office\" :addresses [\"alice@example.org\",\"a.smith@example.org\"] :from \"alice@example.org\" \"I am out of the office until $d2.\";
}"
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$(stub_count)" -eq 1 ] && [ ! -s "$H/.dovecot.sieve.log" ] &&
    tr '\n' '|' <"$(stub_last_argv)" |
    grep -q -- "--subject|Out of office|--vacation-from|alice@example.org|--address|alice@example.org|--address|a.smith@example.org|--seconds|86400|"
ok $? "Roundcube absence script (date, relational) compiles and runs unchanged"
d1=$(date -u -d '+10 days' +%Y-%m-%d); d2=$(date -u -d '+20 days' +%Y-%m-%d)
clear_stub
sed -i "s/\"ge\" \"date\" \"[0-9-]*\"/\"ge\" \"date\" \"$d1\"/; s/\"le\" \"date\" \"[0-9-]*\"/\"le\" \"date\" \"$d2\"/" "$H/.dovecot.sieve"
rm -f "$H/.dovecot.svbin"
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ "$(stub_count)" -eq 0 ]
ok $? "outside the Roundcube date range: deputy-lda is not run"

# Stale binaries: built-in vacation compiles first, then the plugin
# runs the same script, then the built-in again (PLATFORM-NOTES trap 2).
clear_stub
rm -f "$DC/ph-sent/"*
dc_conf no ""
script 'require "vacation"; vacation :days 1 "Gone fishing.";'
dc_lda "$T/m1.eml" bob@example.com alice@example.org
[ "$rc" -eq 0 ] && [ -f "$H/.dovecot.svbin" ] && [ "$(ph_count)" -eq 1 ]
ok $? "without the plugin the built-in vacation compiles and replies (control)"
rm -f "$DC/ph-sent/"*
dc_conf yes "$T/bin/stub-lda"
KEEP_SVBIN=1
msg "$T/m2.eml" carol@example.com alice@example.org "Second message"
dc_lda "$T/m2.eml" carol@example.com alice@example.org
[ "$rc" -eq 0 ] && no_panic && [ "$(stub_count)" -eq 1 ] && [ "$(ph_count)" -eq 0 ] &&
    ! grep -q 'corrupt' "$DC/log/run.log"
ok $? "stale built-in binary with the plugin: recompiled, exit 0, no panic, deputy ran"
dc_conf no ""
msg "$T/m3.eml" dave@example.com alice@example.org "Third message"
dc_lda "$T/m3.eml" dave@example.com alice@example.org
[ "$rc" -eq 0 ] && no_panic
ok $? "and back to the built-in: exit 0, no panic"
unset KEEP_SVBIN
rm -f "$DC/ph-sent/"*
dc_conf yes "$T/bin/stub-lda"

# The plugin under memcheck, inside dovecot-lda (which re-executes
# itself through doveconf: children traced, the stub's tools skipped).
if command -v valgrind >/dev/null 2>&1; then
	clear_stub
	mkdir -p "$T/vg"
	script 'require "vacation";
vacation :days 2 :subject "Out" :from "alice@example.org" :addresses ["a.smith@example.org"] :mime :handle "h" "x";
vacation "second";'
	: >"$DC/log/dovecot.log"
	own
	as_user timeout -k 5 300 env -i HOME="$H" USER=alice PATH=/usr/bin:/bin \
	    valgrind -q --trace-children=yes \
	    --trace-children-skip='*/stub-lda,*/sh,*/dash,*/date,*/sed,*/cat,*/sleep' \
	    --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	    --log-file="$T/vg/vg.%p" "$DOVECOT_LDA" -c "$DC/etc/dovecot.conf" \
	    -f bob@example.com -r alice@example.org <"$T/m1.eml" >/dev/null 2>&1
	vrc=$?
	cat "$DC/log/dovecot.log" >>"$DC/log/all.log"
	vlogs=$(find "$T/vg" -type f -size +0 | wc -l)
	[ "$vrc" -eq 0 ] && [ "$vlogs" -eq 0 ] && [ "$(stub_count)" -eq 1 ]
	ok $? "under valgrind memcheck: exit $vrc, $vlogs error reports, deputy ran once"
	[ "$vlogs" -gt 0 ] && find "$T/vg" -type f -size +0 -exec head -20 {} \; | sed 's/^/#   /'
else
	skip "valgrind not installed: memcheck run skipped"
fi

# Nothing in any run above crashed.
! grep -q 'Panic\|Fatal\|Segmentation' "$DC/log/all.log"
ok $? "no Panic, Fatal or crash in any dovecot-lda run of part 1"

# ------------------------------------------------------------- part 2

if ! "$DEPUTY_LDA" --help 2>&1 | grep -q -- '--sieve-vacation'; then
	skip "$DEPUTY_LDA has no --sieve-vacation mode yet: real deputy-lda checks skipped"
	done_testing
	exit $?
fi
if [ ! -f "$CORPUS/pigeonhole-vacation/cases.tsv" ]; then
	skip "corpus not found at $CORPUS (DEPUTY_SHARED): Pigeonhole cases, spam and bounces skipped"
	done_testing
	exit $?
fi

cat >>"$T/deputy.conf" <<CONF
auth { trusted_authserv_ids = {"mx.example.org"} }
spam { trusted_headers = {"X-Spam-Score"} }
templates { dir = "$srcdir/templates" }
CONF
dc_conf yes "$DEPUTY_LDA"
P=$CORPUS/pigeonhole-vacation
tab=$(printf '\t')

# case_script CMD: the case's vacation command as a whole user script.
# cases.tsv joins the .svtest lines with " | " and cuts the utf-8
# cases before their reason; ${...} needs the variables of the .svtest.
case_script() {
	body=$(printf '%s' "$1" | sed 's/ | /\n/g')
	case $body in *\;) ;; *) body="$body \"I am not in today\";" ;; esac
	case $body in
	*'${'*)
		printf 'require ["vacation", "variables"];\n'
		printf 'set "message" "I am not in today!";\nset "subject" "Out of office";\nset "from" "user@example.com";\n' ;;
	*) printf 'require "vacation";\n' ;;
	esac
	printf '%s\n' "$body"
}

# case_ldif RCPT CMD: the user away, its :addresses as aliases, a delegate
case_ldif() {
	{
		echo "dn: uid=user,dc=example,dc=com"
		echo "objectClass: inetOrgPerson"
		echo "mail: $1"
		echo "displayName: Test User"
		echo "deputyDelegate: deputy-delegate@example.net"
		echo "$2" | grep -o ':addresses \(\[[^]]*\]\|"[^"]*"\)' |
		    grep -o '"[^"]*"' | tr -d '"' | sed 's/^/mailAlternateAddress: /'
		echo "deputyAbsence:: $(absence_b64 20000101 21000101)"
	} >"$T/directory.ldif"
}

notices() { grep -l '^$' "$T/sent/"*.argv 2>/dev/null | wc -l; }

# run_case EML EXPECTED EFROM ETO EORIG CMD TRUSTED(yes|no)
run_case() {
	f=$P/$1
	sender=${3:-$(header_addr "$f" from)}
	sender=${sender#<}; sender=${sender%>}
	rcpt=${4:-$(header_addr "$f" to)}
	case_ldif "$rcpt" "$6"
	script "$(case_script "$6")"
	if [ "$7" = yes ]; then
		{
			printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "$sender"
			printf 'X-Spam-Score: 0\n'
			cat "$f"
		} >"$T/case.eml"
	else
		cp "$f" "$T/case.eml"
	fi
	rm -f "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock" "$DC/ph-sent/"*
	: >"$T/log"
	n0=$(inbox_count)
	dc_lda "$T/case.eml" "$sender" "$rcpt" "$5"
	stored=$(( $(inbox_count) - n0 ))
	nn=$(notices)
	crashed=0; no_panic || crashed=1
}

for trusted in no yes; do
	n=0; bad=0
	while IFS="$tab" read -r eml expected svtest name efrom eto eorig cmd; do
		[ "$eml" = eml ] && continue
		[ "$efrom" = - ] && efrom=""
		[ "$eto" = - ] && eto=""
		[ "$eorig" = - ] && eorig=""
		n=$((n + 1))
		run_case "$eml" "$expected" "$efrom" "$eto" "$eorig" "$cmd" "$trusted"
		why=$(deliberate "$eml")
		line=$(grep ' msgid=' "$T/log" | tail -1)
		if [ "$expected" = n/a ]; then
			# Bad addresses: dovecot-lda may refuse the envelope
			# (64); what matters is no crash and no notice.
			[ "$crashed" -eq 0 ] && [ "$nn" -eq 0 ] && [ "$(ph_count)" -eq 0 ]
			ok $? "$eml ($expected, trusted=$trusted): exit $rc, no notice, no crash"
			continue
		fi
		[ "$rc" -eq 0 ] && [ "$stored" -eq 1 ] && [ "$crashed" -eq 0 ] &&
		    [ "$(ph_count)" -eq 0 ] && grep -q 'vacation handled by deputy' "$DC/log/run.log"
		st=$?
		if [ "$trusted" = no ]; then
			[ "$st" -eq 0 ] && [ "$nn" -eq 0 ]
			ok $? "$eml (untrusted): stored, deputy ran, no notice (${line##*notice_reason=})"
		elif [ "$expected" = reply ] && [ -z "$why" ]; then
			[ "$st" -eq 0 ] && [ "$nn" -eq 1 ]
			ok $? "$eml (trusted): one notice (${line##*notice=})"
		elif [ "$expected" = reply ]; then
			[ "$st" -eq 0 ] && [ "$nn" -eq 0 ]
			ok $? "$eml (trusted): deliberately no notice: $why (${line##*notice_reason=})"
		else
			[ "$st" -eq 0 ] && [ "$nn" -eq 0 ]
			ok $? "$eml (trusted, $expected): no notice (${line##*notice_reason=})"
		fi
	done <<CASES
$(awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 8; i++) if ($i == "") $i = "-"; print }' "$P/cases.tsv")
CASES
	[ "$n" -eq 45 ]
	ok $? "all 45 Pigeonhole cases ran through dovecot-lda (trusted=$trusted, $n)"
done

# The delegate's copy: a personal reply case forwards to the delegate.
run_case message-01-subject.eml reply "" "" "" 'vacation "I am not in today!";' yes
grep -lx 'deputy-delegate@example.net' "$T/sent/"*.argv >/dev/null 2>&1 &&
    [ "$(grep -L '^$' "$T/sent/"*.argv | xargs grep -lx 'deputy-delegate@example.net' | wc -l)" -eq 1 ]
ok $? "the delegate gets the forward (deputy's sendmail stub recorded it)"

# Spam and bounces: no notice even with a trusted authentication.
default_ldif >"$T/directory.ldif"
script 'require "vacation"; vacation :days 7 "I am away.";'
for f in spam/000.eml spam/001.eml; do
	[ -f "$CORPUS/$f" ] || { skip "$CORPUS/$f missing"; continue; }
	s=$(envelope_sender "$CORPUS/$f")
	{
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "$s"
		printf 'X-Spam-Score: 9.5\n'
		cat "$CORPUS/$f"
	} >"$T/case.eml"
	rm -f "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock"
	: >"$T/log"
	dc_lda "$T/case.eml" "$s" alice@example.org
	line=$(grep ' msgid=' "$T/log" | tail -1)
	[ "$rc" -eq 0 ] && [ "$(notices)" -eq 0 ] && [ "$(ph_count)" -eq 0 ] &&
	    grep -q 'vacation handled by deputy' "$DC/log/run.log" &&
	    ! grep -lx 'bob@example.org' "$T/sent/"*.argv >/dev/null 2>&1
	ok $? "$f (score 9.5, authenticated): deputy ran, no notice, not forwarded (${line##*notice_reason=})"
done
# The same spam score on a message that passes every other rule: the
# spam rule is what stops it (a control: with score 0 it gets a notice).
for score in 9.5 0; do
	msg "$T/plain.eml" carol@example.com alice@example.org "Cheap pills"
	{
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=carol@example.com\n'
		printf 'X-Spam-Score: %s\n' "$score"
		cat "$T/plain.eml"
	} >"$T/case.eml"
	rm -f "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock"
	: >"$T/log"
	dc_lda "$T/case.eml" carol@example.com alice@example.org
	line=$(grep ' msgid=' "$T/log" | tail -1)
	if [ "$score" = 0 ]; then
		[ "$rc" -eq 0 ] && [ "$(notices)" -eq 1 ]
		ok $? "control, score 0, addressed and authenticated: one notice (${line##*notice=})"
	else
		[ "$rc" -eq 0 ] && [ "$(notices)" -eq 0 ] &&
		    echo "$line" | grep -q 'notice_reason=spam-score'
		ok $? "score 9.5, addressed and authenticated: no notice, reason spam-score (${line##*notice_reason=})"
	fi
done
for f in $(ls "$CORPUS/bounce" | head -4); do
	s=$(envelope_sender "$CORPUS/bounce/$f")
	{
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=%s\n' "${s:-mx.example.com}"
		printf 'X-Spam-Score: 0\n'
		cat "$CORPUS/bounce/$f"
	} >"$T/case.eml"
	rm -f "$T/sent/"* "$T/state.lmdb" "$T/state.lmdb-lock"
	: >"$T/log"
	dc_lda "$T/case.eml" "$s" alice@example.org
	line=$(grep ' msgid=' "$T/log" | tail -1)
	[ "$rc" -eq 0 ] && [ "$(notices)" -eq 0 ] && [ "$(ph_count)" -eq 0 ] &&
	    grep -q 'vacation handled by deputy' "$DC/log/run.log" &&
	    ! grep -lx 'bob@example.org' "$T/sent/"*.argv >/dev/null 2>&1
	ok $? "bounce/$f (sender <$s>): deputy ran, no notice, not forwarded (${line##*notice_reason=})"
done

! grep -q 'Panic\|Fatal\|Segmentation' "$DC/log/all.log"
ok $? "no Panic, Fatal or crash in any dovecot-lda run"

done_testing
