#!/bin/sh
# args.sh - deputyctl: every bad argument is exit 2 and one line (TAP)
#
# Each row of the table is a command line (split on blanks) and the text
# the one line on stderr must name. Nothing may be written to the
# directory by any of them, and nothing may go to stdout.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/blackbox/lib.sh"
. "$srcdir/tests/ctl/lib.sh"

setup_env
trap cleanup EXIT
ctl_templates
msg_to "$T/m.eml" alice@example.org
printf 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n' >"$T/bad.ics"
printf 'hello, not a calendar\n' >"$T/text.ics"
cp "$T/directory.ldif" "$T/dir.before"
F=$(day 30); U=$(day 32)

while IFS='|' read -r cmdline names; do
	[ -n "$cmdline" ] || continue
	set -f
	# shellcheck disable=SC2086
	"$DEPUTYCTL" -c "$T/deputy.conf" $cmdline <"$T/m.eml" \
	    >"$T/ctl.out" 2>"$T/ctl.err"
	rc=$?
	set +f
	lines=$(wc -l <"$T/ctl.err")
	line=$(head -n 1 "$T/ctl.err")
	case $line in
	"deputyctl: "*"$names"*) named=0 ;;
	*) named=1 ;;
	esac
	[ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ "$named" -eq 0 ] &&
	    [ ! -s "$T/ctl.out" ]
	ok $? "exit 2, one line naming '$names': $cmdline"
	[ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ "$named" -eq 0 ] ||
	    diag "rc=$rc lines=$lines: $(cat "$T/ctl.err")"
done <<TABLE
away nobody@example.org --from $F --until $U|nobody@example.org
away zed --from $F --until $U|zed
away uid=zed,ou=people,dc=example,dc=org --from $F --until $U|uid=zed,ou=people
away alice --from $U --until $F|--until $F: is before --from $U
away alice --from $F --until 2026-13-01|--until 2026-13-01: not a date
away alice --from 2027-02-30 --until $U|--from 2027-02-30: not a date
away alice --from tomorrow --until $U|--from tomorrow
away alice --from ${F}T25:00 --until $U|--from ${F}T25:00
away alice --from 2020-01-01 --until 2020-01-05|--until 2020-01-05: is in the past
away alice --until $U|--from DATE is required
away alice --from $F --until $U --tz Mars/Olympus|--tz Mars/Olympus
away alice --from $F --until $U --every FREQ=SOMETIMES|--every FREQ=SOMETIMES
away alice --from $F --until $U --every FREQ=WEEKLY;BYDAY=XX|--every FREQ=WEEKLY;BYDAY=XX
away alice --from $F --until $U --every BYDAY=MO|--every BYDAY=MO
away alice --from $F --until $U --delegate alice|--delegate alice: is the user itself
away alice --from $F --until $U --delegate a.smith@example.org|--delegate a.smith@example.org: is the user itself
away alice --from $F --until $U --delegate ghost|--delegate ghost: no such user
away alice --from $F --until $U --delegate ghost@example.org|--delegate ghost@example.org: no such user
away alice --from $F --until $U --delegate uid=ghost,dc=example,dc=org|--delegate uid=ghost,dc=example,dc=org
away alice --from $F --until $U --delegate bob@|--delegate bob@: not a mail address
away alice --from $F --until $U --delegate bob@evil@partner.example.net|--delegate bob@evil@partner.example.net: not a mail address
away alice --from $F --until $U --delegate -oQ/tmp@partner.example.net|--delegate -oQ/tmp@partner.example.net: not a mail address
away alice --from $F --until $U --notice sometimes|--notice sometimes
away alice --from $F --until $U --template ../../etc/passwd|--template ../../etc/passwd
away alice --from $F --until $U --template nosuch|--template nosuch
away alice --from $F --until $U --until $U|--until: given twice
away alice --from|--from: needs a value
show alice --bogus|--bogus: unknown option
show alice --every daily|--every: not an option of show
list --json --dry-run|--dry-run: not an option of list
frobnicate alice|frobnicate: unknown command
show alice bob|bob: extra argument
show|show: missing argument
back alice --id no-such-uid|--id no-such-uid
back alice --all --id x|--id: use either --all or --id
import $T/bad.ics alice|bad.ics
import $T/text.ics alice|text.ics
import $T/missing.ics alice|missing.ics
import $T/bad.ics alice --filter maybe|--filter maybe
list --on 2026-02-30|--on 2026-02-30
list --delegate nobody|--delegate nobody
explain nobody@example.org|nobody@example.org
explain alice --client 999.1.2.3|--client 999.1.2.3
show alice --bind-dn cn=helga|--bind-dn: needs --password-file
show alice --password-file /dev/null|--password-file: needs --bind-dn
show alice --bind-dn cn=helga --password-file /dev/null|--bind-dn: the directory is an LDIF file
show alice --sasl-external|--sasl-external: the directory is an LDIF file
show alice --now yesterday|--now yesterday
TABLE

"$DEPUTYCTL" -c "$T/nonexistent.conf" show alice >"$T/ctl.out" 2>"$T/ctl.err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/ctl.err")" -eq 1 ] && grep -q "^deputyctl: $T/nonexistent.conf: " "$T/ctl.err"
ok $? "a missing configuration file: exit 2, one line naming it"

printf 'directory {\n\tbackend = "ldif"\n\tldif_file = "%s/nonexistent.ldif"\n}\n' "$T" >"$T/nodir.conf"
"$DEPUTYCTL" -c "$T/nodir.conf" show alice >"$T/ctl.out" 2>"$T/ctl.err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/ctl.err")" -eq 1 ] && grep -q "nonexistent.ldif" "$T/ctl.err"
ok $? "a missing LDIF file: exit 2, one line naming it"

cmp -s "$T/directory.ldif" "$T/dir.before"
ok $? "no bad command changed the directory"

# --from is taken as deputy-lda takes -f: a sender deputy cannot answer
# is a reason in the answer, not an error; a control character is one
printf 'From: x@example.com\nSubject: hi\n\nhi\n' >"$T/explain.eml"
"$DEPUTYCTL" -c "$T/deputy.conf" explain alice --from not-an-address --json \
    <"$T/explain.eml" >"$T/ctl.out" 2>"$T/ctl.err"
[ $? -eq 0 ] && grep -q '"notice_reason" *: *"' "$T/ctl.out"
ok $? "explain --from not-an-address: answered, as a delivery would ($(tr -d '\n' <"$T/ctl.out" | grep -o '"notice_reason" *: *"[^"]*"'))"
"$DEPUTYCTL" -c "$T/deputy.conf" explain alice --from "$(printf 'a\rb@example.com')" \
    <"$T/explain.eml" >"$T/ctl.out" 2>"$T/ctl.err"
[ $? -eq 2 ] && grep -q -- '--from .*control character' "$T/ctl.err"
ok $? "explain --from with a CR: exit 2, naming it"

"$DEPUTYCTL" >"$T/ctl.out" 2>"$T/ctl.err"
[ $? -eq 2 ] && grep -q '^usage: deputyctl' "$T/ctl.err"
ok $? "no command at all: usage on stderr, exit 2"
"$DEPUTYCTL" --help >"$T/ctl.out" 2>&1
[ $? -eq 0 ] && grep -q 'deputyctl away USER' "$T/ctl.out"
ok $? "--help: usage on stdout, exit 0"

done_testing
