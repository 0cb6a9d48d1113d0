#!/bin/sh
# api.sh - deputy-web's JSON API, on an LDIF file and on a real slapd (TAP)
#
# The real server (run as nobody when root), the real deputyctl and
# deputy-lda, and for the second half the slapd of tests/integration
# with the example helpdesk ACL. tests/web/api.py makes the requests:
# headers and cookies, login, CSRF, every kind of bad input (overlong
# and malformed dates and RRULEs, zones, delegates, bodies), two
# sessions editing one person, the API agreeing with deputyctl --json
# (show, list, check, explain), the notice in the person's language,
# stats from the log, rate limits; on LDAP: a person without helpdesk
# rights refused by slapd, helga's writes under her name, mail and
# password refused with nothing half-written, slapd stopped (SIGSTOP)
# in the middle. The LDAP half skips visibly when slapd is missing.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/web/lib.sh"
: "${DEPUTYCTL:=$top_builddir/deputyctl}"
export DEPUTYCTL DEPUTY_LDA

web_skip_unbuilt
if ! command -v python3 >/dev/null; then
	skip "python3 is not installed"
	done_testing
	exit 0
fi

setup_env
trap web_cleanup EXIT
trap 'exit 1' INT TERM
ctl_templates
touch "$T/log"; chmod 600 "$T/log"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/log"
cp "$T/deputy.conf" "$T/deputy.conf.orig"

# people for the agreement, check and notice tests
from=$(date -u -d yesterday +%Y%m%d)
until=$(date -u -d '+10 days' +%Y%m%d)
cat >>"$T/directory.ldif" <<LDIF

dn: uid=carol,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
uid: carol
mail: carol@example.org
displayName: Carol Cycle
deputyDelegate: uid=frank,ou=people,dc=example,dc=org
deputyDelegate: uid=ghost,ou=people,dc=example,dc=org
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=frank,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
uid: frank
mail: frank@example.org
deputyDelegate: uid=carol,ou=people,dc=example,dc=org
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=dora,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
uid: dora
mail: dora@example.org
displayName: Dora Döring
preferredLanguage: de-AT
deputyDelegate: uid=erin,ou=people,dc=example,dc=org
deputyAbsence:: $(absence_b64 "$from" "$until")
LDIF
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/directory.ldif"

HD_PASSWORD=helpdesk-secret
export HD_PASSWORD
web_users "helga:$HD_PASSWORD" || { ok 1 "deputy-web --hash-password"; done_testing; exit 1; }
ok 0 "deputy-web --hash-password makes the users file ($(cut -c1-12 "$T/web-users")...)"
web_conf 'login_failures = 3' 'login_source_failures = 7'
web_start
ok $? "deputy-web answers on $WEB_URL (LDIF directory)"

t0=$(date +%s)
T="$T" WEB_URL="$WEB_URL" TAP_START=$tap_n python3 "$srcdir/tests/web/api.py" ldif
read -r tap_n f <"$T/tap.state"
tap_fail=$((tap_fail + f))
diag "LDIF half: $(( $(date +%s) - t0 )) s"

# the log says who did what
grep -q 'deputy-web\[[0-9]*\]: user=helga client=127.0.0.1 changed uid=bob' "$T/log"
ok $? "the log names helga and what she changed"
web_stopped_ok

# --- deputyd's counters page as the chart's source -------------------------

MPORT=$(free_port)
cat >>"$T/deputy.conf" <<CONF
daemon {
	listen = {"unix:$T/lmtp"}
	socket_mode = "0666"
	workers = 1
	metrics = "127.0.0.1:$MPORT"
}
CONF
web_bg "${DEPUTYD:-$top_builddir/deputyd}" -c "$T/deputy.conf" >"$T/deputyd.out" 2>&1
dpid=$!
wait_for 10 test -S "$T/lmtp"
python3 - "$T/lmtp" <<'PY'
import smtplib, sys
c = smtplib.LMTP(sys.argv[1])
c.ehlo("test.example")
c.mail("sender@example.com")
c.rcpt("dora@example.org")
c.data(b"From: <sender@example.com>\r\nTo: <dora@example.org>\r\n"
       b"Subject: counted\r\nMessage-ID: <m1@example.com>\r\n\r\nHi\r\n")
c.quit()
PY
ok $? "deputyd (counters on 127.0.0.1:$MPORT) takes a message for dora"
web_start
T="$T" WEB_URL="$WEB_URL" TAP_START=$tap_n MPORT="$MPORT" \
    python3 "$srcdir/tests/web/api.py" metrics
read -r tap_n f <"$T/tap.state"
tap_fail=$((tap_fail + f))
web_stopped_ok
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
dpid=""

# --- LDAP: a real slapd with the helpdesk ACL ------------------------------

if [ ! -x "$SLAPD" ] || [ ! -x "$SLAPADD" ] || ! command -v ldapsearch >/dev/null; then
	skip "slapd or ldap-utils not installed: the LDAP half (scripts/packages/integration.txt)"
	done_testing
	exit
fi
if ! slapd_setup; then
	ok 1 "slapd configuration, schema and data load"
	sed 's/^/# /' "$T/slapd/setup.log"
	done_testing
	exit 1
fi
slapd_start
ok $? "slapd answers on $LDAP_URI"
ldap_conf "$LDAP_URI"
printf '%s\n' "$HD_PASSWORD" >"$T/hd.pw"
chmod 600 "$T/hd.pw"
# bob gets a password: a person who may log in but is not helpdesk
printf 'dn: uid=bob,ou=people,%s\nchangetype: modify\nreplace: userPassword\nuserPassword: bob-password\n' "$BASE" |
    ldapmodify -x -H "$LDAP_URI" -D "cn=admin,$BASE" -w admin-secret >/dev/null 2>&1
ok $? "bob gets a password (he is not in cn=helpdesk)"
web_conf
web_start
ok $? "deputy-web answers on $WEB_URL (LDAP directory)"

t0=$(date +%s)
T="$T" WEB_URL="$WEB_URL" TAP_START=$tap_n LDAP_URI="$LDAP_URI" BASE="$BASE" \
    SLAPD_PID="$slapd_pid" python3 "$srcdir/tests/web/api.py" ldap
read -r tap_n f <"$T/tap.state"
tap_fail=$((tap_fail + f))
diag "LDAP half: $(( $(date +%s) - t0 )) s"
grep -q "deputy-web\[[0-9]*\]: warning: user=bob client=127.0.0.1 change of uid=erin.*refused: .*Insufficient access" "$T/log"
ok $? "the log records slapd's refusal of bob's change"
web_stopped_ok

done_testing
