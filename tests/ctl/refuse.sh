#!/bin/sh
# refuse.sh - deputyctl refuse and unrefuse, on LDIF and on LDAP (TAP)
#
# The values deputy-milter reads (deputyRefusedSender) as deputyctl
# writes them: lowercased, ";until=YYYYMMDD" for --until, one value per
# sender (a second refuse replaces it), objectClass deputyUser added;
# every bad argument named on stderr with exit 2, nothing written;
# --dry-run writes nothing. On LDAP (skipped without slapd): the
# helpdesk identity may write the attribute (helpdesk-acl.ldif),
# anonymous may not (exit 2), a stopped slapd is exit 3.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/ctl/lib.sh"

setup_env
trap integration_cleanup EXIT
trap 'exit 1' INT TERM
L=$T/directory.ldif
# the user's value: its lines of deputyRefusedSender, sorted
refused_of() {
	awk -v dn="uid=$1,ou=people,dc=example,dc=org" '
	    /^dn: / { inside = ($2 == dn) }
	    inside && /^deputyRefusedSender: / { print $2 }' "$L" | sort |
	    tr '\n' ' '
}

# --- LDIF ---------------------------------------------------------------

until_day=$(day 30)
until_compact=$(echo "$until_day" | tr -d -)
ctl refuse bob Spammer@Spam.Example --until "$until_day"
[ "$rc" -eq 0 ] && [ -z "$err" ] &&
    [ "$(refused_of bob)" = "spammer@spam.example;until=$until_compact " ]
ok $? "refuse --until: one value, lowercased, with until=$until_compact (rc=$rc: $out)"
awk '/^dn: uid=bob,/ { b = 1 } b && /^objectClass: deputyUser$/ { f = 1 }
    /^$/ { b = 0 } END { exit !f }' "$L"
ok $? "objectClass deputyUser added"
case $out in *"bob@example.org: mail from spammer@spam.example refused through $until_day (UTC)"*) r=0 ;; *) r=1 ;; esac
ok $r "the output says through which day"

s1=$(sum "$L")
ctl refuse bob spammer@spam.example --until "$until_day"
[ "$rc" -eq 0 ] && [ "$(sum "$L")" = "$s1" ] &&
    case $out in *"nothing to do"*) true ;; *) false ;; esac
ok $? "the same refusal again: nothing to do, nothing written"

ctl refuse bob spammer@spam.example
[ "$rc" -eq 0 ] && [ "$(refused_of bob)" = "spammer@spam.example " ]
ok $? "refuse without --until replaces the value: $(refused_of bob)"

ctl refuse bob @junk.example
ctl refuse bob @.junk2.example --until "$(day 1)"
[ "$rc" -eq 0 ] && [ "$(refused_of bob)" = "@.junk2.example;until=$(day 1 | tr -d -) @junk.example spammer@spam.example " ]
ok $? "a domain and a domain with its subdomains: $(refused_of bob)"

s1=$(sum "$L")
ctl refuse bob other@spam.example --dry-run
[ "$rc" -eq 0 ] && [ "$(sum "$L")" = "$s1" ] &&
    case $out in *"add: deputyRefusedSender"*"deputyRefusedSender: other@spam.example"*) true ;; *) false ;; esac
ok $? "--dry-run shows the change and writes nothing"

# bad arguments: exit 2, the argument named, nothing written
s1=$(sum "$L")
bad() {	# bad WHAT EXPECTED-IN-STDERR ARGS...
	what=$1; want=$2; shift 2
	ctl "$@"
	[ "$rc" -eq 2 ] && [ "$(sum "$L")" = "$s1" ] &&
	    case $err in *"$want"*) true ;; *) false ;; esac
	ok $? "$what: exit 2, '$want' ($err)"
}
bad "not a sender" "deputyctl: not a sender: not a sender to refuse" refuse bob "not a sender"
bad "an address without a dotted domain" "bob@localhost: not a sender" refuse bob bob@localhost
bad "a sender with a parameter" "x@y.example;until=20990101: not a sender" refuse bob "x@y.example;until=20990101"
bad "--until in the past" "--until 2020-01-01: is in the past" refuse bob x@y.example --until 2020-01-01
bad "--until not a date" "--until tomorrow: not a date" refuse bob x@y.example --until tomorrow
bad "--until with a time" "--until 2099-01-01T10:00: not a date" refuse bob x@y.example --until 2099-01-01T10:00
bad "no such user" "nobody@example.org: no such user in the directory" refuse nobody@example.org x@y.example
bad "the user's own address" "a.smith@example.org: is an address of alice@example.org itself" refuse alice a.smith@example.org
bad "a missing argument" "refuse: missing argument" refuse bob
bad "--until on unrefuse" "--until: not an option of unrefuse" unrefuse bob x@y.example --until "$until_day"

ctl unrefuse bob SPAMMER@spam.example
[ "$rc" -eq 0 ] && [ "$(refused_of bob)" = "@.junk2.example;until=$(day 1 | tr -d -) @junk.example " ]
ok $? "unrefuse (any case) removes that sender only: $(refused_of bob)"
s1=$(sum "$L")
ctl unrefuse bob spammer@spam.example
[ "$rc" -eq 0 ] && [ "$(sum "$L")" = "$s1" ] &&
    case $out in *"does not refuse spammer@spam.example; nothing to do"*) true ;; *) false ;; esac
ok $? "unrefuse what is not refused: nothing to do"
ctl show bob
ok "$rc" "the file still loads (deputyctl show bob: rc=$rc)"

# --- LDAP ---------------------------------------------------------------

if [ ! -x "$SLAPD" ] || [ ! -x "$SLAPADD" ] || ! command -v ldapsearch >/dev/null; then
	skip "slapd or ldap-utils not installed: the LDAP half is skipped"
	done_testing
	exit $?
fi
cp "$T/deputy.conf" "$T/deputy.conf.orig"
if ! slapd_setup || ! slapd_start; then
	ok 1 "slapd starts"
	done_testing
	exit 1
fi
ldap_conf "$LDAP_URI"
HD="uid=helga,ou=people,$BASE"
printf 'helpdesk-secret\n' >"$T/hd.pw"
chmod 600 "$T/hd.pw"

ldap_refused() {
	ldapsearch -x -LLL -H "$LDAP_URI" -b "uid=$1,ou=people,$BASE" -s base \
	    deputyRefusedSender 2>/dev/null |
	    sed -n 's/^deputyRefusedSender: //p' | sort | tr '\n' ' '
}
ctl refuse bob spammer@spam.example --until "$until_day" --bind-dn "$HD" \
    --password-file "$T/hd.pw"
[ "$rc" -eq 0 ] && [ "$(ldap_refused bob)" = "spammer@spam.example;until=$until_compact " ]
ok $? "LDAP, as the helpdesk: refused ($out $err)"
ctl refuse bob spammer@spam.example --bind-dn "$HD" --password-file "$T/hd.pw"
[ "$rc" -eq 0 ] && [ "$(ldap_refused bob)" = "spammer@spam.example " ]
ok $? "LDAP: a second refuse replaces the value"
ctl refuse carol x@spam.example
[ "$rc" -eq 2 ] && [ -z "$(ldap_refused carol)" ] &&
    case $err in *"the directory refused the change"*) true ;; *) false ;; esac
ok $? "LDAP, anonymous: refused by the ACL, exit 2 ($err)"
ctl unrefuse bob spammer@spam.example --bind-dn "$HD" --password-file "$T/hd.pw"
[ "$rc" -eq 0 ] && [ -z "$(ldap_refused bob)" ]
ok $? "LDAP: unrefuse removes it"
slapd_stop
ctl refuse bob spammer@spam.example
[ "$rc" -eq 3 ] && case $err in *"directory failed"*) true ;; *) false ;; esac
ok $? "LDAP down: exit 3 ($err)"

done_testing
