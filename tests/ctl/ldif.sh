#!/bin/sh
# ldif.sh - deputyctl against the LDIF backend (TAP)
#
# A copy of an LDIF directory in $T: away, show, list, back, import,
# --dry-run and --json; an absence set with away is honoured by the next
# deputy-lda delivery (run as nobody) and explain agrees with what it
# does; check finds each problem planted in a seeded directory; an LDAP
# directory that does not answer is exit 3.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/blackbox/lib.sh"
. "$srcdir/tests/ctl/lib.sh"

setup_env
trap cleanup EXIT
ctl_templates
sed -i '1i # the test directory: this comment must survive a rewrite' "$T/directory.ldif"
owner=$(stat -c %U "$T/directory.ldif")
# explain runs as root here: the log must exist, writable by deputy-lda
touch "$T/log"; chmod 600 "$T/log"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/log"

# --- away ---------------------------------------------------------------

before=$(sum "$T/directory.ldif")
ctl away bob --from today --until "$(day 7)" --delegate erin --dry-run
[ "$rc" -eq 0 ] && [ "$(sum "$T/directory.ldif")" = "$before" ] &&
    printf '%s\n' "$out" | grep -q '^add: deputyAbsence' &&
    printf '%s\n' "$out" | grep -q 'DTEND;VALUE=DATE'
ok $? "away --dry-run prints the change (an all-day VEVENT) and writes nothing"

ctl away bob --from today --until "$(day 7)" --delegate erin --notice internal --template notice
[ "$rc" -eq 0 ] && [ -z "$err" ]
ok $? "away bob: exit 0, nothing on stderr ($err)"
grep -q '^objectClass: deputyUser' "$T/directory.ldif" &&
    awk '/^dn: uid=bob/,/^$/' "$T/directory.ldif" | grep -q '^deputyDelegate: uid=erin,ou=people,dc=example,dc=org$' &&
    awk '/^dn: uid=bob/,/^$/' "$T/directory.ldif" | grep -q '^deputyNotice: internal$' &&
    awk '/^dn: uid=bob/,/^$/' "$T/directory.ldif" | grep -q '^deputyTemplate: notice$' &&
    awk '/^dn: uid=bob/,/^$/' "$T/directory.ldif" | grep -q '^objectClass: deputyUser$'
ok $? "the entry gets objectClass deputyUser, the delegate as a DN, notice and template"
head -n 1 "$T/directory.ldif" | grep -q '^# the test directory' &&
    [ "$(stat -c %U "$T/directory.ldif")" = "$owner" ] &&
    ! ls "$T"/directory.ldif.deputyctl.* >/dev/null 2>&1
ok $? "the rewrite keeps comments and the owner ($owner), and leaves no temporary file"
uid=$(printf '%s\n' "$out" | sed -n 's/.*(UID \(.*\))$/\1/p')
[ -n "$uid" ]
ok $? "away reports the UID of the new absence ($uid)"

ctl show bob
printf '%s\n' "$out" | grep -q '^away: *yes' &&
    printf '%s\n' "$out" | grep -q '^copies to: erin@example.org$' &&
    printf '%s\n' "$out" | grep -q '^notice: *internal$' &&
    printf '%s\n' "$out" | grep -q "UID $uid"
ok $? "show bob: away, copies to erin, notice internal, the absence's UID"

ctl show bob --json
[ "$rc" -eq 0 ] && printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["away"] is True and d["copies_to"] == ["erin@example.org"]
assert d["notice"] == "internal" and d["template"] == "notice"
' 2>/dev/null
ok $? "show --json is JSON with the same facts"

# --- delivery honours it; explain agrees --------------------------------

msg_to "$T/m.eml" bob@example.org
ctl_stdin "$T/m.eml" explain bob
[ "$rc" -eq 0 ] && [ "$(explain_field forward)" = "erin@example.org" ]
ok $? "explain bob: forward to erin ($(explain_field forward))"
lda "$T/m.eml" -f sender@example.com -- bob@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq 1 ] &&
    cat "$T"/sent/*.argv | grep -qx erin@example.org
ok $? "deputy-lda (as nobody) delivers to bob and forwards to erin (rc=$rc)"
agree "bob away"

msg_to "$T/m2.eml" alice@example.org
ctl_stdin "$T/m2.eml" explain a.smith@example.org --from sender@example.com --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["recipient"] == "alice@example.org" and d["forward"] == "erin@example.org"
assert any(g["rule"] == "unauthenticated" and g["verdict"] == "FAIL" for g in d["gate"])
' 2>/dev/null
ok $? "explain --json by alias: alice -> bob (away) -> erin; the gate's verdicts"
ctl_stdin "$T/m2.eml" explain alice
lda "$T/m2.eml" -f sender@example.com -- alice@example.org
agree "transitive alice -> bob -> erin"

# the envelope sender from the message itself: a folded Return-Path
# wins over From (an encoded display name, a comment)
cat >"$T/m-rp.eml" <<'MSG'
Return-Path:
 <bounce+x@lists.example.com> (the list's bounce address)
From: =?utf-8?q?S=C3=A9nder=2C_Esq=2E?= <sender@example.com>
To: <bob@example.org>
Subject: who sent it

Hello.
MSG
ctl_stdin "$T/m-rp.eml" explain bob
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -qx 'sender: bounce+x@lists.example.com'
ok $? "explain without --from: the folded Return-Path is the sender ($(printf '%s\n' "$out" | head -1))"
sed -i '1,2d' "$T/m-rp.eml"
ctl_stdin "$T/m-rp.eml" explain bob
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -qx 'sender: sender@example.com'
ok $? "explain without Return-Path: the From address ($(printf '%s\n' "$out" | head -1))"

# --- list ----------------------------------------------------------------

ctl list
printf '%s\n' "$out" | grep -q '^alice@example.org .*covered by: erin@example.org$' &&
    printf '%s\n' "$out" | grep -q '^bob@example.org .*covered by: erin@example.org$'
ok $? "list: alice and bob, both covered by erin"
ctl list --delegate erin --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert sorted(a["user"] for a in d["away"]) == ["alice@example.org", "bob@example.org"]
' 2>/dev/null
ok $? "list --delegate erin --json: alice and bob"
ctl list --on 2020-01-01
[ "$rc" -eq 0 ] && [ "$out" = "nobody is away" ]
ok $? "list --on 2020-01-01: nobody"

# --- recurring, zones, back ---------------------------------------------

ctl away erin --from "$(day 1)T09:00" --until "$(day 1)T17:00" --every weekdays --tz Europe/Berlin --delegate outside@partner.test
[ "$rc" -eq 0 ]
ok $? "away with --every weekdays, --tz and an outside delegate (rc=$rc $err)"
ctl show erin
printf '%s\n' "$out" | grep -q 'Europe/Berlin' &&
    printf '%s\n' "$out" | grep -q 'every FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR' &&
    printf '%s\n' "$out" | grep -q 'outside@partner.test: outside address'
ok $? "show erin: times in Europe/Berlin, the rule, the outside delegate"

before=$(sum "$T/directory.ldif")
ctl back bob --dry-run
[ "$rc" -eq 0 ] && [ "$(sum "$T/directory.ldif")" = "$before" ]
ok $? "back --dry-run changes nothing"
ctl back bob
ctl show bob
printf '%s\n' "$out" | grep -q '^away: *no'
ok $? "back bob: no longer away"
msg_to "$T/m3.eml" bob@example.org
n=$(sent_count)
ctl_stdin "$T/m3.eml" explain bob
lda "$T/m3.eml" -f sender@example.com -- bob@example.org
[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq "$n" ]
ok $? "the next delivery to bob forwards nothing"
agree "bob back"

ctl away bob --from "$(day 10)" --until "$(day 12)"
uid2=$(printf '%s\n' "$out" | sed -n 's/.*(UID \(.*\))$/\1/p')
ctl back bob
printf '%s\n' "$out" | grep -q 'not away now; nothing to do' &&
    ctl show bob && printf '%s\n' "$out" | grep -q "^next: .*UID $uid2"
ok $? "back without options keeps a future absence"
ctl back bob --id "$uid2"
[ "$rc" -eq 0 ] && ctl show bob && ! printf '%s\n' "$out" | grep -q "$uid2"
ok $? "back --id removes it"

ctl back alice --all
ctl show alice
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^absences: *0'
ok $? "back --all removes every absence"

# --- import ----------------------------------------------------------------

y=$(date -u -d '+1 year' +%Y)
cat >"$T/cal.ics" <<ICS
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
BEGIN:VEVENT
UID:oof-1
DTSTART;VALUE=DATE:${y}0301
DTEND;VALUE=DATE:${y}0310
SUMMARY:Holiday
ATTENDEE:mailto:private@example.org
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
BEGIN:VEVENT
UID:busy-1
DTSTART:${y}0401T090000Z
DTEND:${y}0401T100000Z
SUMMARY:Meeting
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
END:VEVENT
BEGIN:VEVENT
UID:free-1
DTSTART:${y}0402T090000Z
DTEND:${y}0402T100000Z
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:old-1
DTSTART;VALUE=DATE:20200301
DTEND;VALUE=DATE:20200310
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
END:VCALENDAR
ICS
ctl import "$T/cal.ics" alice
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q 'imported 1 absences' &&
    printf '%s\n' "$out" | grep -q 'skipped old-1: ended'
ok $? "import (oof): one absence, the ended one skipped"
ctl show alice --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [a["uid"] for a in d["absences"]] == ["oof-1"]
' 2>/dev/null && ! grep -q 'private@example.org' "$T/directory.ldif" &&
    ! awk '/^dn: uid=alice/,/^$/' "$T/directory.ldif" | grep deputyAbsence:: | cut -d' ' -f2 | base64 -d 2>/dev/null | grep -q ATTENDEE
ok $? "the imported absence keeps its UID; attendees are not copied"
ctl import "$T/cal.ics" alice
printf '%s\n' "$out" | grep -q 'nothing to import (1 unchanged'
ok $? "importing again changes nothing"
ctl import "$T/cal.ics" alice --filter busy
printf '%s\n' "$out" | grep -q 'imported 1 absences (0 replaced, 1 unchanged'
ok $? "--filter busy adds the opaque meeting, not the transparent event"

# --- check: each planted problem -----------------------------------------

ctl check
[ "$rc" -eq 0 ]
ok $? "check on the directory so far: no problems (rc=$rc: $out)"

from=$(date -u -d yesterday +%Y%m%d); until=$(date -u -d '+14 days' +%Y%m%d)
away=$(absence_b64 "$from" "$until")
cat >"$T/seeded.ldif" <<LDIF
dn: uid=cy1,dc=example,dc=org
objectClass: deputyUser
mail: cy1@example.org
deputyDelegate: uid=cy2,dc=example,dc=org
deputyAbsence:: $away

dn: uid=cy2,dc=example,dc=org
objectClass: deputyUser
mail: cy2@example.org
deputyDelegate: cy1@example.org
deputyAbsence:: $away

dn: uid=nod,dc=example,dc=org
objectClass: deputyUser
mail: nod@example.org
deputyAbsence:: $away

dn: uid=ghostly,dc=example,dc=org
objectClass: deputyUser
mail: ghostly@example.org
deputyDelegate: uid=nobody-here,dc=example,dc=org
deputyDelegate: nobody-here@example.org
deputyDelegate: partner@outside.test
deputyDelegate: bob@evil@partner.example.net
deputyAbsence:: $away

dn: uid=narcissus,dc=example,dc=org
objectClass: deputyUser
mail: narcissus@example.org
deputyDelegate: uid=narcissus,dc=example,dc=org

dn: uid=old,dc=example,dc=org
objectClass: deputyUser
mail: old@example.org
deputyDelegate: uid=cy1,dc=example,dc=org
deputyAbsence:: $(absence_b64 20200101 20200201)

dn: uid=broken,dc=example,dc=org
objectClass: deputyUser
mail: broken@example.org
deputyDelegate: uid=cy1,dc=example,dc=org
deputyAbsence: BEGIN:VEVENT garbage

dn: uid=chief,dc=example,dc=org
objectClass: deputyUser
mail: chief@example.org
deputyDelegate: uid=tired,dc=example,dc=org
deputyAbsence:: $away

dn: uid=tired,dc=example,dc=org
objectClass: deputyUser
mail: tired@example.org
deputyAbsence:: $away

dn: uid=fine,dc=example,dc=org
objectClass: deputyUser
mail: fine@example.org
deputyDelegate: partner@outside.test
deputyAbsence:: $away
LDIF
sed -i "s|ldif_file = .*|ldif_file = \"$T/seeded.ldif\"|" "$T/deputy.conf"
ctl check
[ "$rc" -eq 1 ]
ok $? "check on the seeded directory: exit 1"
has() { printf '%s\n' "$out" | grep -q "^$1: $2"; ok $? "check finds $1 at $2"; }
has cycle "uid=cy1,"
has no-delegate "uid=nod,"
has no-delegate "uid=tired,"
has unknown-delegate "uid=ghostly,.*uid=nobody-here"
has unknown-delegate "uid=ghostly,.*nobody-here@example.org"
has unknown-delegate "uid=ghostly,.*'bob@evil@partner.example.net' is neither a DN nor an address"
has self-delegate "uid=narcissus,"
has expired "uid=old,"
has bad-ical "uid=broken,"
has away-delegate "uid=chief,.*tired@example.org"
printf '%s\n' "$out" | grep -q 'partner@outside.test\|uid=fine\|uid=cy2,.*cycle'
[ $? -ne 0 ]
ok $? "... and nothing about outside delegates, the fine entry, or the same cycle twice"
ctl check --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
kinds = sorted(set(p["kind"] for p in d["problems"]))
assert kinds == ["away-delegate", "bad-ical", "cycle", "expired", "no-delegate", "self-delegate", "unknown-delegate"], kinds
' 2>/dev/null && [ "$rc" -eq 1 ]
ok $? "check --json: every kind, exit 1"

# --- values from the directory reach the terminal escaped ---------------

# An imported SUMMARY, a display name and a DN with line breaks and ESC:
# the text output must not grow forged lines nor terminal commands; the
# JSON output carries the values as they are.
esc=$(printf '\033')
forged_ics=$(printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:forge-1\r\nDTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nSUMMARY:Holiday\\n delegates: forged\\n  uid=x -> evil@example.org: present\033[31m\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' "$from" "$until" | base64 -w0)
cat >"$T/hostile.ldif" <<LDIF
dn: uid=forger,dc=example,dc=org
objectClass: deputyUser
mail: forger@example.org
displayName:: $(printf 'Mallory\ndelegates: forged too\033[2J' | base64 -w0)
deputyDelegate: partner@outside.test
deputyAbsence:: $forged_ics

dn:: $(printf 'uid=old\nexpired: forged\033[31m,dc=example,dc=org' | base64 -w0)
objectClass: deputyUser
mail: old@example.org
deputyDelegate: partner@outside.test
deputyAbsence:: $(absence_b64 20200101 20200201)
LDIF
sed -i "s|ldif_file = .*|ldif_file = \"$T/hostile.ldif\"|" "$T/deputy.conf"
ctl show forger@example.org
[ "$rc" -eq 0 ] && ! printf '%s\n' "$out" | grep -q "$esc" &&
    [ "$(printf '%s\n' "$out" | grep -c '^delegates:')" -eq 1 ] &&
    ! printf '%s\n' "$out" | grep -q '^ *delegates: forged\|^ *uid=x'
ok $? "show: no ESC byte and no forged line from SUMMARY or displayName"
printf '%s\n' "$out" | grep -qF 'Holiday\n delegates: forged\n  uid=x -> evil@example.org: present\x1b[31m' &&
    printf '%s\n' "$out" | grep -qF 'name:      Mallory\ndelegates: forged too\x1b[2J'
ok $? "show: the summary and the name are there, escaped"
ctl show forger@example.org --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["absences"][0]["summary"] == "Holiday\n delegates: forged\n  uid=x -> evil@example.org: present\x1b[31m", d["absences"][0]["summary"]
assert d["name"] == "Mallory\ndelegates: forged too\x1b[2J"
' 2>/dev/null
ok $? "show --json: the values as they are, JSON-escaped"
ctl check
[ "$rc" -eq 1 ] && ! printf '%s\n' "$out" | grep -q "$esc" &&
    ! printf '%s\n' "$out" | grep -q '^expired: forged' &&
    printf '%s\n' "$out" | grep -qF 'expired: uid=old\nexpired: forged\x1b[31m,dc=example,dc=org:'
ok $? "check: the DN escaped, no forged line, no ESC"
ctl list
[ "$rc" -eq 0 ] && ! printf '%s\n' "$out" | grep -q "$esc" &&
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]
ok $? "list: one line, no ESC"

# --- an LDAP directory that does not answer: exit 3 ----------------------

cat >"$T/dead.conf" <<CONF
directory {
	backend = "ldap"
	uri = {"ldap://127.0.0.1:9"}
	base = "dc=example,dc=org"
	tls = "none"
	network_timeout = 1
	timeout = 1
}
CONF
"$DEPUTYCTL" -c "$T/dead.conf" show alice@example.org >"$T/ctl.out" 2>"$T/ctl.err"
rc=$?
[ "$rc" -eq 3 ] && [ "$(wc -l <"$T/ctl.err")" -eq 1 ] && grep -q "Can't contact LDAP server" "$T/ctl.err"
ok $? "directory unreachable: exit 3, one line ($(cat "$T/ctl.err"))"
"$DEPUTYCTL" -c "$T/dead.conf" check >"$T/ctl.out" 2>"$T/ctl.err"
[ $? -eq 3 ]
ok $? "check with the directory unreachable: exit 3"

done_testing
