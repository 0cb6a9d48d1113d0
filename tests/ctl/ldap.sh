#!/bin/sh
# ldap.sh - deputyctl against a real slapd with the helpdesk ACL (TAP)
#
# The slapd of tests/integration/lib.sh (deputy's schema, the example
# helpdesk ACL, the test entries). The helpdesk identity (uid=helga, in
# cn=helpdesk) sets another user's absence with deputyctl, and slapd
# records her as modifiersName; the same identity cannot change mail or
# userPassword; anonymous and the root user over ldapi (SASL EXTERNAL,
# not in the helpdesk group) are refused with exit 2; the next
# deputy-lda delivery honours the absence and explain agrees with it;
# check finds the problems planted in the directory; a stopped slapd is
# exit 3. Skips visibly when slapd is not installed.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/ctl/lib.sh"

if [ ! -x "$SLAPD" ] || [ ! -x "$SLAPADD" ] || ! command -v ldapsearch >/dev/null; then
	skip "slapd or ldap-utils not installed (scripts/packages/integration.txt)"
	done_testing
	exit 0
fi

setup_env
trap integration_cleanup EXIT
trap 'exit 1' INT TERM
ctl_templates
cp "$T/deputy.conf" "$T/deputy.conf.orig"
touch "$T/log"; chmod 600 "$T/log"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/log"

if ! slapd_setup; then
	ok 1 "slapd configuration, schema and data load"
	sed 's/^/# /' "$T/slapd/setup.log"
	done_testing
	exit 1
fi
slapd_start
ok $? "slapd answers on $LDAP_URI"
ldap_conf "$LDAP_URI"

HD="uid=helga,ou=people,$BASE"
printf 'helpdesk-secret\n' >"$T/hd.pw"
chmod 600 "$T/hd.pw"
AS_HD="--bind-dn $HD --password-file $T/hd.pw"

# --- writes as the helpdesk ---------------------------------------------

# shellcheck disable=SC2086
ctl away bob --from today --until "$(day 7)" --delegate erin@example.org --notice internal $AS_HD
[ "$rc" -eq 0 ] && [ -z "$err" ]
ok $? "helpdesk sets bob's absence with deputyctl away (rc=$rc $err)"
ldapsearch -x -LLL -H "$LDAP_URI" -b "uid=bob,ou=people,$BASE" -s base \
    objectClass deputyDelegate deputyNotice modifiersName >"$T/bob.ldif" 2>&1
grep -q '^objectClass: deputyUser' "$T/bob.ldif" &&
    grep -q "^deputyDelegate: uid=erin,ou=people,$BASE" "$T/bob.ldif" &&
    grep -q '^deputyNotice: internal' "$T/bob.ldif"
ok $? "slapd has objectClass deputyUser, the delegate as a DN, the notice policy"
grep -qi "^modifiersName: $HD" "$T/bob.ldif"
ok $? "modifiersName records the helpdesk identity"

hd_modify() {
	printf '%s\n' "$1" | ldapmodify -x -H "$LDAP_URI" -D "$HD" -w helpdesk-secret >/dev/null 2>&1
}
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
replace: mail
mail: evil@example.org"
[ $? -ne 0 ]
ok $? "the same identity cannot change mail (ldapmodify refused)"
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
replace: userPassword
userPassword: x"
[ $? -ne 0 ]
ok $? "the same identity cannot change userPassword (ldapmodify refused)"

ctl away erin --from today --until "$(day 3)"
[ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
    printf '%s\n' "$err" | grep -q 'refused the change.*\(Insufficient access\|Strong(er) authentication required\)'
ok $? "anonymous away: refused by slapd's ACL, exit 2, one line ($err)"
ldap_conf "$LDAPI_URI"
ctl away erin --from today --until "$(day 3)" --sasl-external
[ "$rc" -eq 2 ] && printf '%s\n' "$err" | grep -q 'Insufficient access'
ok $? "--sasl-external over ldapi (root's peer identity, not helpdesk): refused, exit 2"
ldap_conf "$LDAP_URI"
printf 'wrong\n' >"$T/bad.pw"; chmod 600 "$T/bad.pw"
ctl away erin --from today --until "$(day 3)" --bind-dn "$HD" --password-file "$T/bad.pw"
[ "$rc" -eq 2 ] && printf '%s\n' "$err" | grep -q 'Invalid credentials'
ok $? "a wrong password: exit 2 naming the LDAP error ($err)"
# shellcheck disable=SC2086
ctl away erin --from today --until "$(day 3)" --dry-run $AS_HD
[ "$rc" -eq 0 ] && ldapsearch -x -LLL -H "$LDAP_URI" -b "uid=erin,ou=people,$BASE" -s base deputyAbsence | grep -c '^deputyAbsence' | grep -qx 1
ok $? "--dry-run writes nothing to slapd"

# --- the next delivery honours it; explain agrees ------------------------

msg_to "$T/m.eml" bob@example.org
ctl_stdin "$T/m.eml" explain bob
[ "$rc" -eq 0 ] && [ "$(explain_field forward)" = "erin@example.org" ]
ok $? "explain bob: forward to erin (rc=$rc $(explain_field forward))"
lda "$T/m.eml" -f sender@example.com -- bob@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq 1 ] &&
    cat "$T"/sent/*.argv | grep -qx erin@example.org
ok $? "deputy-lda delivers to bob and forwards to erin (rc=$rc $err)"
agree "bob away (LDAP)"

msg_to "$T/m2.eml" carol@example.org
ctl_stdin "$T/m2.eml" explain carol
lda "$T/m2.eml" -f sender@example.com -- carol@example.org
agree "carol -> dave (away) -> erin (LDAP)"

# --- reads ------------------------------------------------------------------

ctl show carol
printf '%s\n' "$out" | grep -q '^away: *yes' &&
    printf '%s\n' "$out" | grep -q 'dave@example.org -> dave@example.org: away until' &&
    printf '%s\n' "$out" | grep -q "uid=erin,ou=people,$BASE -> erin@example.org: present" &&
    printf '%s\n' "$out" | grep -q '^copies to: erin@example.org$'
ok $? "show carol: the chain carol -> dave (away) -> erin"
ctl show alice --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["away"] and d["notice"] == "none" and d["copies_to"] == ["erin@example.org"]
' 2>/dev/null
ok $? "show alice --json: away, notice none, copies to erin (bob is away)"
ctl list
printf '%s\n' "$out" | grep -q '^alice@example.org ' && printf '%s\n' "$out" | grep -q '^bob@example.org ' &&
    printf '%s\n' "$out" | grep -q '^carol@example.org .*covered by: erin@example.org'
ok $? "list: alice, bob, carol and who covers"
ctl list --delegate erin@example.org
printf '%s\n' "$out" | grep -q '^bob@example.org' && printf '%s\n' "$out" | grep -q '^alice@' &&
    ! printf '%s\n' "$out" | grep -q '^gina@'
ok $? "list --delegate erin: bob, and alice through bob; not gina"

# --- back as the helpdesk ------------------------------------------------

# shellcheck disable=SC2086
ctl back bob $AS_HD
[ "$rc" -eq 0 ]
ok $? "helpdesk: back bob (rc=$rc $err)"
msg_to "$T/m3.eml" bob@example.org
n=$(sent_count)
ctl_stdin "$T/m3.eml" explain bob
lda "$T/m3.eml" -f sender@example.com -- bob@example.org
[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq "$n" ]
ok $? "the next delivery to bob forwards nothing"
agree "bob back (LDAP)"

# --- import as the helpdesk ------------------------------------------------

y=$(date -u -d '+1 year' +%Y)
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ldap-oof\r\nDTSTART;VALUE=DATE:%s0801\r\nDTEND;VALUE=DATE:%s0815\r\nX-MICROSOFT-CDO-BUSYSTATUS:OOF\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' "$y" "$y" >"$T/cal.ics"
# shellcheck disable=SC2086
ctl import "$T/cal.ics" bob $AS_HD
[ "$rc" -eq 0 ] && ctl show bob && printf '%s\n' "$out" | grep -q '^next: .*UID ldap-oof'
ok $? "helpdesk: import an out-of-office event into slapd"

# --- check: planted problems ---------------------------------------------

from=$(date -u -d yesterday +%Y%m%d); until=$(date -u -d '+14 days' +%Y%m%d)
away=$(absence_b64 "$from" "$until")
ldapadd -x -H "$LDAP_URI" -D "cn=admin,$BASE" -w admin-secret >"$T/add.log" 2>&1 <<LDIF
dn: uid=cy1,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: cy1
cn: cy1
sn: cy1
mail: cy1@example.org
deputyDelegate: uid=cy2,ou=people,$BASE
deputyAbsence:: $away

dn: uid=cy2,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: cy2
cn: cy2
sn: cy2
mail: cy2@example.org
deputyDelegate: cy1@example.org
deputyAbsence:: $away

dn: uid=nod,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: nod
cn: nod
sn: nod
mail: nod@example.org
deputyAbsence:: $away

dn: uid=broken,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: broken
cn: broken
sn: broken
mail: broken@example.org
deputyDelegate: uid=bob,ou=people,$BASE
deputyAbsence: BEGIN:VEVENT garbage
LDIF
ok $? "planted problems with ldapadd as the rootdn"
ctl check
[ "$rc" -eq 1 ]
ok $? "check: exit 1"
has() { printf '%s\n' "$out" | grep -q "^$1: $2"; ok $? "check finds $1 at $2"; }
has cycle "uid=cy1,"
has no-delegate "uid=nod,"
has bad-ical "uid=broken,"
has unknown-delegate "uid=gina,.*uid=ghost,ou=people"
has unknown-delegate "uid=gina,.*uid=ghost,dc=elsewhere"
has expired "uid=erin,"

# --- writes go over deputy-lda's connection: TLS checked ------------------

# One connection module for lookups and writes: StartTLS with the
# certificate checked against ca_file, every option's result checked.
if [ -n "$LDAPS_URI" ]; then
	ca=$T/slapd/tls/ca.pem
	bob_absences() {
		ldapsearch -x -LLL -H "$LDAP_URI" -b "uid=bob,ou=people,$BASE" \
		    -s base deputyAbsence 2>/dev/null | grep -c '^deputyAbsence'
	}
	n0=$(bob_absences)
	ldap_conf "$LDAP_URI" -- 'tls = "starttls"' "ca_file = \"$T/slapd/tls/other.pem\""
	# shellcheck disable=SC2086
	ctl back bob --all $AS_HD
	[ "$rc" -eq 3 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
	    printf '%s\n' "$err" | grep -q 'StartTLS failed' &&
	    [ "$(bob_absences)" -eq "$n0" ]
	ok $? "StartTLS, certificate from another CA: the write is refused, exit 3, nothing written ($err)"
	ldap_conf "$LDAP_URI" -- 'tls = "starttls"' "ca_file = \"$T/slapd/tls/missing.pem\""
	# shellcheck disable=SC2086
	ctl back bob --all $AS_HD
	[ "$rc" -eq 2 ] && printf '%s\n' "$err" | grep -q 'ca_file' &&
	    [ "$(bob_absences)" -eq "$n0" ]
	ok $? "a ca_file that does not exist: exit 2 naming ca_file, not a connection without it ($err)"
	ldap_conf "$LDAP_URI" -- 'tls = "starttls"' "ca_file = \"$ca\""
	t0=$(grep -c 'EXT oid=1.3.6.1.4.1.1466.20037' "$T/slapd/log")
	# shellcheck disable=SC2086
	ctl back bob --all $AS_HD
	t1=$(grep -c 'EXT oid=1.3.6.1.4.1.1466.20037' "$T/slapd/log")
	[ "$rc" -eq 0 ] && [ "$(bob_absences)" -eq 0 ] && [ "$t1" -ge $((t0 + 2)) ]
	ok $? "StartTLS with the test CA: the helpdesk's write is done, lookups and write both over StartTLS ($rc $err; $((t1 - t0)) STARTTLS)"
	ldap_conf "$LDAP_URI"
else
	skip "no openssl: TLS tests"
fi

# --- slapd gone: exit 3 --------------------------------------------------

slapd_stop
ctl show alice
[ "$rc" -eq 3 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
ok $? "slapd stopped: show is exit 3, one line ($err)"
# shellcheck disable=SC2086
ctl back alice --all $AS_HD
[ "$rc" -eq 3 ]
ok $? "slapd stopped: back is exit 3"

done_testing
