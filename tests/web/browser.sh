#!/bin/sh
# browser.sh - the helpdesk page in real headless Chromium (TAP)
#
# A real slapd with the helpdesk ACL (tests/integration), deputy-web,
# and Debian's /usr/bin/chromium driven by puppeteer-core, installed
# with "npm ci" from tests/web/package-lock.json into a cache outside
# the tree ($DEPUTY_WEB_NODE_CACHE, else ~/.cache/deputy-web-tests).
# tests/web/browser.js does the browsing; this script plants the
# payloads of tests/web/xss.txt in slapd, clears Alice's absence, and
# afterwards checks what slapd holds and that the next deputy-lda
# delivery to Alice is forwarded to Bob. Every process it starts is
# stopped by its pid; the browser's profile is removed.
#
# Skips visibly when deputy-web is not built, or slapd, Chromium, node
# or npm is missing, or the npm registry cannot be reached.
# DEPUTY_WEB_SCREENSHOT=FILE copies the person page's screenshot there
# (doc/helpdesk-page.png is made so).

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/web/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

web_skip_unbuilt
why=""
[ -x "$SLAPD" ] && command -v ldapsearch >/dev/null || why="slapd or ldap-utils not installed"
[ -x "$CHROMIUM" ] || why="${why:+$why; }$CHROMIUM not installed (Debian: chromium)"
command -v node >/dev/null || why="${why:+$why; }node not installed (Debian: nodejs)"
command -v npm >/dev/null || why="${why:+$why; }npm not installed (Debian: npm, unless node came with it)"
if [ -n "$why" ]; then
	skip "browser tests: $why"
	done_testing
	exit 0
fi

# puppeteer-core, pinned by package-lock.json, in a cache keyed by it
lock="$srcdir/tests/web/package-lock.json"
key=$(sha256sum "$lock" | cut -c1-16)
cache="${DEPUTY_WEB_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deputy-web-tests}/$key"
if [ ! -f "$cache/node_modules/puppeteer-core/package.json" ]; then
	mkdir -p "$cache" &&
	    cp "$srcdir/tests/web/package.json" "$lock" "$cache/" &&
	    (cd "$cache" && timeout 600 npm ci --ignore-scripts --no-audit \
	    --no-fund --fetch-retry-mintimeout=2000 \
	    --fetch-retry-maxtimeout=10000 >"$cache/npm.log" 2>&1)
	if [ $? -ne 0 ] || [ ! -f "$cache/node_modules/puppeteer-core/package.json" ]; then
		skip "browser tests: npm ci of puppeteer-core failed (no npm registry?): $(grep -m 1 'npm error' "$cache/npm.log" 2>/dev/null)"
		rm -rf "$cache/node_modules"
		done_testing
		exit 0
	fi
fi
ok 0 "puppeteer-core $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$cache/node_modules/puppeteer-core/package.json" | head -n 1) from package-lock.json ($cache)"

setup_env
trap web_cleanup EXIT
trap 'exit 1' INT TERM
ctl_templates
touch "$T/log"; chmod 600 "$T/log"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/log"
cp "$T/deputy.conf" "$T/deputy.conf.orig"
if ! slapd_setup; then
	ok 1 "slapd configuration, schema and data load"
	sed 's/^/# /' "$T/slapd/setup.log"
	done_testing
	exit 1
fi
slapd_start
ok $? "slapd answers on $LDAP_URI"
ldap_conf "$LDAP_URI"
web_conf
web_start
ok $? "deputy-web answers on $WEB_URL (LDAP directory)"

admin() {
	ldapmodify -x -H "$LDAP_URI" -D "cn=admin,$BASE" -w admin-secret >"$T/admin.out" 2>&1
}
b64() { printf '%s' "$1" | base64 -w0; }

# Alice: no absence, no delegate; the next delivery stays with her
admin <<LDIF
dn: uid=alice,ou=people,$BASE
changetype: modify
delete: deputyAbsence
-
delete: deputyDelegate
LDIF
ok $? "Alice's absence and delegate are cleared (as the LDAP admin)"
msg_to "$T/m1.eml" alice@example.org
lda "$T/m1.eml" -f sender@example.com -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq 0 ]
ok $? "before: a delivery to Alice is not forwarded (rc=$rc)"

# Mallory: every payload in the directory
p1=$(sed -n '5p' "$srcdir/tests/web/xss.txt")
p2=$(sed -n '6p' "$srcdir/tests/web/xss.txt")
p3=$(sed -n '7p' "$srcdir/tests/web/xss.txt")
p4=$(sed -n '8p' "$srcdir/tests/web/xss.txt")
from=$(date -u -d yesterday +%Y%m%d)
until=$(date -u -d '+5 days' +%Y%m%d)
ics=$(printf 'BEGIN:VEVENT\r\nUID:xss@test\r\nDTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nSUMMARY:%s\r\nEND:VEVENT\r\n' "$from" "$until" "$p2")
admin <<LDIF
dn: uid=mallory,ou=people,$BASE
changetype: add
objectClass: inetOrgPerson
objectClass: deputyUser
uid: mallory
cn: Mallory
sn: Mallory
mail: mallory@example.org
displayName:: $(b64 "$p1")
deputyDelegate:: $(b64 "$p3")
deputyDelegate:: $(b64 "$p4")
deputyAbsence:: $(b64 "$ics")
LDIF
ok $? "Mallory's entry holds the payloads (display name, SUMMARY, delegates)"

# the picker takes MMDDYYYY (en-US); Berlin's today and tomorrow
FROM=$(TZ=Europe/Berlin date +%m%d%Y)
UNTIL=$(TZ=Europe/Berlin date -d tomorrow +%m%d%Y)
t0=$(date +%s)
T="$T" WEB_URL="$WEB_URL" TAP_START=$tap_n FROM="$FROM" UNTIL="$UNTIL" \
    XSS="$srcdir/tests/web/xss.txt" NODE_PATH="$cache/node_modules" \
    node "$srcdir/tests/web/browser.js"
read -r tap_n f <"$T/tap.state"
tap_fail=$((tap_fail + f))
diag "browser: $(( $(date +%s) - t0 )) s"

# what slapd holds now
ldapsearch -x -LLL -o ldif-wrap=no -H "$LDAP_URI" -D "cn=admin,$BASE" -w admin-secret \
    -b "uid=alice,ou=people,$BASE" -s base deputyAbsence deputyDelegate \
    mail modifiersName >"$T/alice.ldif" 2>&1
sed -n 's/^deputyAbsence:: //p' "$T/alice.ldif" | base64 -d >"$T/alice.ics" 2>/dev/null
grep -q "^deputyDelegate: uid=bob,ou=people,$BASE" "$T/alice.ldif" &&
    grep -q "^modifiersName: uid=helga,ou=people,$BASE" "$T/alice.ldif" &&
    grep -q 'DTSTART;TZID=Europe/Berlin;VALUE=DATE:\|DTSTART;VALUE=DATE;TZID=Europe/Berlin:' "$T/alice.ics" &&
    grep -q '^RRULE:FREQ=WEEKLY' "$T/alice.ics" &&
    [ "$(grep -c '^BEGIN:VEVENT' "$T/alice.ics")" -eq 1 ]
ok $? "slapd: Alice's one absence (weekly, Europe/Berlin) and Bob, written by helga"
! grep -q 'must not exist' "$T/alice.ics" && grep -q '^mail: alice@example.org$' "$T/alice.ldif"
ok $? "slapd: Alice's mail is unchanged, and the refused saves wrote no absence"

msg_to "$T/m2.eml" alice@example.org
lda "$T/m2.eml" -f sender@example.com -- alice@example.org
[ "$rc" -eq 0 ] && cat "$T"/sent/*.argv 2>/dev/null | grep -qx bob@example.org &&
    [ "$(maildir_count alice@example.org)" -eq 2 ]
ok $? "the next deputy-lda delivery to Alice is kept and forwarded to Bob (rc=$rc)"

web_stopped_ok

if [ -n "${DEPUTY_WEB_SCREENSHOT:-}" ] && [ -f "$T/helpdesk-page.png" ]; then
	cp "$T/helpdesk-page.png" "$DEPUTY_WEB_SCREENSHOT"
	cp "$T/helpdesk-team.png" "${DEPUTY_WEB_SCREENSHOT%.png}-team.png"
	cp "$T/helpdesk-stats.png" "${DEPUTY_WEB_SCREENSHOT%.png}-stats.png"
	diag "screenshots: $DEPUTY_WEB_SCREENSHOT (-team, -stats)"
fi
done_testing
