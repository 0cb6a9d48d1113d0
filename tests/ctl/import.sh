#!/bin/sh
# import.sh - deputyctl import of what common calendar clients export (TAP)
#
# tests/data/ical/clients/ holds an export each of Outlook, Google
# Calendar, Apple Calendar and Thunderbird, written after what each
# client writes (see the README there): empty DESCRIPTION:, CLASS: and
# CATEGORIES:, X- properties, VALARMs, each client's VTIMEZONE, a
# Windows zone name, X-WR-TIMEZONE, a Mozilla TZID without VTIMEZONE,
# Outlook's all-day override with a timed RECURRENCE-ID, Thunderbird's
# DTEND beside DURATION:PT0S. @START@ and @END@ become yesterday and a
# week from today, so that the absence covers the present moment. Each
# file goes to its own user of an LDIF directory; then deputyctl show
# (text and --json) must report the absence, and deputy-lda (as
# nobody) must deliver a message to the user with away=yes.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/blackbox/lib.sh"
. "$srcdir/tests/ctl/lib.sh"

clients="$srcdir/tests/data/ical/clients"
ldif=$(mktemp /tmp/deputy-import.XXXXXX)
for u in olivia gustav anna theo dana; do
	printf 'dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: %s\nmail: %s@example.org\ndeputyDelegate: uid=dana,ou=people,dc=example,dc=org\n\n' \
	    "$u" "$u" "$u"
done >"$ldif"
setup_env "$ldif"
rm -f "$ldif"
trap cleanup EXIT
ctl_templates
touch "$T/log"; chmod 600 "$T/log"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/log"

start=$(date -u -d yesterday +%Y%m%d)
end=$(date -u -d '+7 days' +%Y%m%d)

# sample CLIENT: the export with its dates set around today, in $T
sample() {
	sed -e "s/@START@/$start/g" -e "s/@END@/$end/g" \
	    "$clients/$1.ics" >"$T/$1.ics"
}

# one CLIENT USER FILTER COUNT UID-OF-THE-ABSENCE
one() {
	client=$1 user=$2 filter=$3 count=$4 uid=$5
	sample "$client"
	ctl import "$T/$client.ics" "$user" --filter "$filter"
	[ "$rc" -eq 0 ] && printf '%s\n' "$out" |
	    grep -q "imported $count absences (0 replaced, 0 unchanged, 0 skipped"
	ok $? "$client: import --filter $filter takes $count events, skips none (rc=$rc: $(printf '%s' "$out" | tr '\n' ' ')$err)"

	ctl show "$user"
	[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^away: *yes' &&
	    printf '%s\n' "$out" | grep -q "UID $uid"
	ok $? "$client: show $user says away, with the absence's UID"

	ctl show "$user" --json
	[ "$rc" -eq 0 ] && printf '%s' "$out" | UID_WANTED="$uid" \
	    COUNT="$count" python3 -c '
import json, os, sys
d = json.load(sys.stdin)
assert d["away"] is True, d
assert "error" not in d, d
uids = [a["uid"] for a in d["absences"]]
assert os.environ["UID_WANTED"] in uids, uids
assert len(set(uids)) == int(os.environ["COUNT"]), uids
' 2>"$T/py.err"
	ok $? "$client: show --json: away, $count absences, $uid among them $(head -c 300 "$T/py.err")"

	msg_to "$T/m-$user.eml" "$user@example.org"
	lda "$T/m-$user.eml" -f sender@example.com -- "$user@example.org"
	[ "$rc" -eq 0 ] && [ "$(log_field away)" = yes ] &&
	    [ "$(log_field forward)" = dana@example.org ]
	ok $? "$client: deputy-lda delivers to $user with away=yes, a copy to dana (rc=$rc, away=$(log_field away))"
}

one outlook olivia oof 2 \
    040000008200E00074C5B7101A82E00800000000D0A1B2C3D4E5F601000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F
one google gustav busy 2 3k9v2m7q1r5t8w0y4a6c2e4g6i@google.com
one apple anna busy 1 8E2C1A4F-3B5D-4E6F-9A7B-1C2D3E4F5A6B
one thunderbird theo busy 2 5f3c2b1a-9d8e-4c7b-a6f5-e4d3c2b1a098

# Outlook's moved day off: the Friday is free, the Thursday is not
ctl show olivia --now 2026-06-12T12:00 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is False' 2>/dev/null
ok $? "outlook: the Friday whose day off moved (RECURRENCE-ID with a time) is not away"
ctl show olivia --now 2026-06-11T12:00 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is True' 2>/dev/null
ok $? "outlook: the Thursday it moved to is away"
ctl show olivia --now 2026-06-19T12:00 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is True' 2>/dev/null
ok $? "outlook: the other Fridays are away"

# Thunderbird's moved session: 09:30 Berlin instead of 07:30 (08:30Z)
ctl show theo --now 2026-03-17T06:45 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is False' 2>/dev/null
ok $? "thunderbird: the moved instance's old time is free"
ctl show theo --now 2026-03-17T08:45 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is True' 2>/dev/null
ok $? "thunderbird: its new time (DTEND beside DURATION:PT0S) is away"

# Google: the New York standup at 09:00 EST is 14:00Z
ctl show gustav --now 2026-01-12T14:15 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is True' 2>/dev/null
ok $? "google: the weekly New York standup is at 14:00Z in winter"
ctl show gustav --now 2026-12-28T14:15 --json
printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)["away"] is True' 2>/dev/null
ok $? "google: and in the winter after (its VTIMEZONE covers 2026 only)"

# nothing of the export but time reaches the directory
sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' "$T/directory.ldif" |
    sed -n 's/^deputyAbsence:: //p' | while read -r b; do
	printf '%s' "$b" | base64 -d 2>/dev/null; echo
done >"$T/stored.ics"
[ "$(grep -c '^BEGIN:VEVENT' "$T/stored.ics")" -ge 8 ] &&
    ! grep -q 'ATTENDEE\|VALARM\|X-MICROSOFT\|X-APPLE\|^LOCATION\|^DESCRIPTION' \
    "$T/stored.ics"
ok $? "the stored absences ($(grep -c '^BEGIN:VEVENT' "$T/stored.ics") VEVENTs) carry no attendees, alarms, locations or X- properties"
[ "$(grep -c '^X-WR-TIMEZONE:Europe/Berlin' "$T/stored.ics")" -eq 3 ]
ok $? "Google's and Apple's X-WR-TIMEZONE stays with their absences"

done_testing
