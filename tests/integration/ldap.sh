#!/bin/sh
# ldap.sh - deputy-lda against a real slapd (TAP)
#
# A private slapd (cn=config under $T, mdb, deputy's schema, the example
# helpdesk ACL) on 127.0.0.1:<free port> and an ldapi socket in $T. The
# forward goes to the stub sendmail of tests/blackbox/lib.sh. Shows:
# the schema and the helpdesk ACL work; lookups over ldap:// (anonymous,
# simple bind) and ldapi:// (SASL EXTERNAL); alias attribute; transitive
# delegation; unknown user delivered; filter injection escaped (the
# filter as slapd logged it); an ambiguous address is a temporary
# failure; slapd stopped or SIGSTOPped gives exit 75 within the timeout
# and a retry afterwards delivers once; a password file that group or
# others can read is refused. Counts SRCH operations per message in
# slapd's stats log.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

if [ ! -x "$SLAPD" ] || [ ! -x "$SLAPADD" ] || ! command -v ldapsearch >/dev/null; then
	skip "slapd or ldap-utils not installed (scripts/packages/integration.txt)"
	done_testing
	exit 0
fi

setup_env
trap integration_cleanup EXIT
trap 'exit 1' INT TERM
cp "$T/deputy.conf" "$T/deputy.conf.orig"

slapd_setup
r=$?
ok $r "slapadd loads cn=config with deputy-schema.ldif, helpdesk-acl.ldif, test entries"
if [ "$r" -ne 0 ]; then
	sed 's/^/# /' "$T/slapd/setup.log"
	done_testing
	exit 1
fi
slapd_start
ok $? "slapd answers on $LDAP_URI (pid $slapd_pid)"

# --- schema -------------------------------------------------------------

oids_schema=$(grep -o '( 2\.25\.[0-9.]*' "$srcdir/directory/deputy.schema" | sort -u | tr '\n' ' ')
oids_ldif=$(grep -o '( 2\.25\.[0-9.]*' "$srcdir/directory/deputy-schema.ldif" | sort -u | tr '\n' ' ')
[ -n "$oids_schema" ] && [ "$oids_schema" = "$oids_ldif" ]
ok $? "deputy.schema and deputy-schema.ldif use the same OIDs"
ldapsearch -x -LLL -H "$LDAP_URI" -b cn=subschema -s base attributeTypes objectClasses 2>/dev/null |
    tr -d '\n ' >"$T/subschema"
grep -q "NAME'deputyAbsence'" "$T/subschema" && grep -q "NAME'deputyUser'" "$T/subschema" &&
    grep -q "AUXILIARY" "$T/subschema"
ok $? "slapd publishes deputyAbsence and the auxiliary class deputyUser"
# directoryString holds multi-line UTF-8 (an iCalendar value with CRLF)
ldapsearch -x -LLL -H "$LDAP_URI" -b "uid=alice,ou=people,$BASE" -s base deputyAbsence 2>/dev/null |
    grep -q '^deputyAbsence::'
ok $? "a multi-line deputyAbsence is stored and returned"

# --- helpdesk ACL -------------------------------------------------------

HD="uid=helga,ou=people,$BASE"
hd_modify() {	# hd_modify LDIF-TEXT: ldapmodify as the helpdesk member
	printf '%s\n' "$1" | ldapmodify -x -H "$LDAP_URI" -D "$HD" -w helpdesk-secret >/dev/null 2>&1
}
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
add: objectClass
objectClass: deputyUser"
ok $? "helpdesk may add objectClass deputyUser"
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
replace: deputyNotice
deputyNotice: internal
-
replace: deputyTemplate
deputyTemplate: default
-
replace: deputyDelegate
deputyDelegate: erin@example.org
-
replace: deputyAbsence
deputyAbsence:: $(absence_b64 20200101 20200102)"
ok $? "helpdesk may write deputyAbsence, deputyDelegate, deputyNotice, deputyTemplate"
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
replace: mail
mail: evil@example.org"
[ $? -ne 0 ]
ok $? "helpdesk may not change mail"
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
replace: userPassword
userPassword: x"
[ $? -ne 0 ]
ok $? "helpdesk may not change userPassword"
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
add: objectClass
objectClass: inetLocalMailRecipient"
[ $? -ne 0 ]
ok $? "helpdesk may not add other object classes"
printf 'dn: uid=bob,ou=people,%s\nchangetype: modify\nreplace: deputyNotice\ndeputyNotice: none\n' "$BASE" |
    ldapmodify -x -H "$LDAP_URI" >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "anonymous may not write deputy attributes"
# undo: bob is present again (helpdesk may delete what it may write)
hd_modify "dn: uid=bob,ou=people,$BASE
changetype: modify
delete: deputyAbsence
-
delete: deputyDelegate
-
delete: deputyNotice
-
delete: deputyTemplate"
ok $? "helpdesk may delete the deputy attributes again"

# --- lookups ------------------------------------------------------------

run() {	# run RCPT [ARGS...]: one message to RCPT; $rc, $srch (SRCH ops)
	r=$1; shift
	msg "$T/m.eml" sender@example.com "$r" "to $r"
	chmod 644 "$T/m.eml"
	before=$(srch_count)
	t0=$(date +%s)
	lda "$T/m.eml" -f sender@example.com "$@" -- "$r"
	elapsed=$(( $(date +%s) - t0 ))
	sleep 0.2
	srch=$(( $(srch_count) - before ))
}
fwd_to() {	# fwd_to ADDRESS: how many forwards went to ADDRESS
	cat "$T"/sent/*.argv 2>/dev/null | grep -cx "$1"
}

ldap_conf "$LDAP_URI"
run bob@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq 1 ] && [ "$(sent_count)" -eq 0 ]
ok $? "ldap:// anonymous: present user delivered, no forward (rc=$rc $err)"
[ "$srch" -eq 1 ]
ok $? "exactly one search for a present recipient (saw $srch)"
diag "searches per message: present recipient: $srch"

run alice@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq 1 ] &&
    [ "$(fwd_to bob@example.org)" -eq 1 ]
ok $? "away user: mailbox copy and one forward to her delegate (rc=$rc)"
diag "searches per message: away recipient, one delegate by DN: $srch"
n_alice=$srch

run a.smith@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count a.smith@example.org)" -eq 1 ] &&
    [ "$(fwd_to bob@example.org)" -eq 2 ]
ok $? "alias attribute (mailLocalAddress) finds the away user (rc=$rc)"

run carol@example.org
[ "$rc" -eq 0 ] && [ "$(fwd_to erin@example.org)" -eq 1 ] && [ "$(fwd_to dave@example.org)" -eq 0 ]
ok $? "transitive: carol -> dave (away, by address) -> erin (back, by DN)"
diag "searches per message: away recipient, delegate away, transitive: $srch"
n_carol=$srch

run nobody@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count nobody@example.org)" -eq 1 ] && [ "$srch" -eq 1 ]
ok $? "unknown user: not away, delivered, one search (rc=$rc, $srch)"

n_sent=$(sent_count)
run gina@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count gina@example.org)" -eq 1 ] && [ "$(sent_count)" -eq "$n_sent" ]
ok $? "delegate DNs that name nothing (in and outside the base): kept, no forward (rc=$rc)"
grep -q "gina@example.org.*uid=ghost,ou=people.*names no entry" "$T/log" &&
    grep -q "gina@example.org.*uid=ghost,dc=elsewhere.*names no entry" "$T/log"
ok $? "... and a log line for each"

# --- filter injection ---------------------------------------------------

n_sent=$(sent_count)
run '*)(uid=*)(mail=*@example.org'
[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq "$n_sent" ]
ok $? "'*)(uid=*)(mail=*' matches nothing: delivered, no forward (rc=$rc)"
grep ' SRCH base=' "$T/slapd/log" | tail -n "$srch" >"$T/inj.log"
grep -q 'mail=\\2A\\29\\28uid=\\2A\\29\\28mail=\\2A@example.org)' "$T/inj.log"
ok $? "slapd received the escaped filter"
sed -n 's/.*\(filter=.*\)/# \1/p' "$T/inj.log" | head -1

run 'st*r@example.org'
[ "$rc" -eq 0 ] && [ "$(fwd_to bob@example.org)" -eq 3 ]
ok $? "a literal '*' in an address matches exactly that entry"
run 's*@example.org'
[ "$rc" -eq 0 ] && [ "$(fwd_to bob@example.org)" -eq 3 ]
ok $? "'s*' is no wildcard: no match, no forward"
run 'x\29(@example.org'
[ "$rc" -eq 0 ] && grep ' SRCH base=' "$T/slapd/log" | tail -1 | grep -q 'mail=x\\5C29\\28@example.org'
ok $? "a backslash is escaped too (rc=$rc)"
skip "NUL cannot pass through argv; covered by tests/unit/test-ldap-escape"

run twin@example.org
[ "$rc" -eq 75 ] && [ "$(maildir_count twin@example.org)" -eq 0 ]
ok $? "an address two entries claim: exit 75, nothing delivered (rc=$rc)"
printf '%s\n' "$err" | grep -q 'twin@example.org.*2 entries match (uid=twin1,.*uid=twin2,'
ok $? "... and the log names both entries"

# --- ldapi:// with SASL EXTERNAL -----------------------------------------

ldap_conf "$LDAPI_URI" -- 'sasl_mech = "EXTERNAL"'
run erin@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count erin@example.org)" -eq 1 ] && [ "$srch" -eq 1 ]
ok $? "ldapi:// with SASL EXTERNAL: delivered, one search (rc=$rc $err)"
uid=$(as_user id -u)
grep -q "BIND authcid=\"gidNumber=[0-9]*+uidNumber=$uid,cn=peercred,cn=external,cn=auth\"" "$T/slapd/log"
ok $? "slapd saw the EXTERNAL bind as uid $uid"

# --- simple bind --------------------------------------------------------

printf 'deputy-secret\n' >"$T/bindpw"
[ "$(id -u)" -eq 0 ] && chown nobody: "$T/bindpw"
chmod 600 "$T/bindpw"
ldap_conf "$LDAP_URI" -- "bind_dn = \"cn=deputy,ou=services,$BASE\"" \
    "bind_password_file = \"$T/bindpw\""
run bob@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count bob@example.org)" -eq 2 ]
ok $? "simple bind with a 0600 password file (rc=$rc $err)"
grep -q "BIND dn=\"cn=deputy,ou=services,$BASE\" method=128" "$T/slapd/log"
ok $? "slapd saw the simple bind"
chmod 644 "$T/bindpw"
run bob@example.org
[ "$rc" -eq 75 ] && [ "$(maildir_count bob@example.org)" -eq 2 ] && printf '%s\n' "$err" | grep -q 'bindpw: mode 0644'
ok $? "password file mode 0644: refused, exit 75 (rc=$rc)"
chmod 600 "$T/bindpw"
if [ "$(id -u)" -eq 0 ]; then
	# 0604 so that nobody can open it and the owner check is what refuses
	chown root: "$T/bindpw"
	chmod 604 "$T/bindpw"
	run bob@example.org
	[ "$rc" -eq 75 ] && printf '%s\n' "$err" | grep -q 'bindpw: owned by uid 0'
	ok $? "password file owned by another user: refused, exit 75 (rc=$rc)"
	chown nobody: "$T/bindpw"
	chmod 600 "$T/bindpw"
else
	skip "owner check needs root to chown"
fi
printf 'wrong\n' >"$T/bindpw"
run bob@example.org
[ "$rc" -eq 75 ] && printf '%s\n' "$err" | grep -q 'Invalid credentials'
ok $? "wrong password: exit 75, the error names the LDAP result (rc=$rc)"

# --- TLS: StartTLS and ldaps://, certificates checked -------------------

if [ -n "$LDAPS_URI" ]; then
	ca=$T/slapd/tls/ca.pem
	ldap_conf "$LDAP_URI" -- 'tls = "starttls"' "ca_file = \"$ca\""
	run bob@example.org
	[ "$rc" -eq 0 ] && grep -q 'EXT oid=1.3.6.1.4.1.1466.20037' "$T/slapd/log"
	ok $? "StartTLS with the test CA: delivered, slapd saw STARTTLS (rc=$rc $err)"
	ldap_conf "$LDAPS_URI" -- "ca_file = \"$ca\""
	run bob@example.org
	[ "$rc" -eq 0 ]
	ok $? "ldaps:// with the test CA: delivered (rc=$rc $err)"
	ldap_conf "$LDAP_URI" -- 'tls = "starttls"' "ca_file = \"$T/slapd/tls/other.pem\""
	run bob@example.org
	[ "$rc" -eq 75 ] && printf '%s\n' "$err" | grep -q 'StartTLS failed'
	ok $? "StartTLS, certificate from another CA: refused, exit 75 (rc=$rc)"
	diag "$err"
	ldap_conf "$LDAPS_URI" -- "ca_file = \"$T/slapd/tls/other.pem\""
	run bob@example.org
	[ "$rc" -eq 75 ]
	ok $? "ldaps://, certificate from another CA: refused, exit 75 (rc=$rc)"
	ldap_conf "ldaps://localhost:$LDAPS_PORT" -- "ca_file = \"$ca\""
	run bob@example.org
	[ "$rc" -eq 75 ]
	ok $? "ldaps://localhost, certificate only for 127.0.0.1: refused (rc=$rc)"
	diag "$err"
	ldap_conf "$LDAPI_URI" -- 'tls = "starttls"' 'sasl_mech = "EXTERNAL"'
	run bob@example.org
	[ "$rc" -eq 0 ]
	ok $? "tls = starttls does not apply to ldapi:// (rc=$rc $err)"
else
	skip "no openssl: TLS tests"
fi

# --- replicas, outages --------------------------------------------------

dead="ldap://127.0.0.1:$(free_port)"
ldap_conf "$dead" "$LDAP_URI"
run bob@example.org
[ "$rc" -eq 0 ]
ok $? "first URI dead, second answers: delivered (rc=$rc)"

ldap_conf "$LDAP_URI"
slapd_stop
n_sent=$(sent_count)
run alice@example.org
[ "$rc" -eq 75 ] && [ "$(maildir_count alice@example.org)" -eq 1 ] && [ "$(sent_count)" -eq "$n_sent" ]
ok $? "slapd stopped: exit 75, nothing delivered, nothing forwarded (rc=$rc)"
case $err in 4.*) ok 0 "stderr starts with a 4.x.x code: $err" ;;
*) ok 1 "stderr starts with a 4.x.x code: $err" ;; esac
printf '%s\n' "$err" | grep -q "LDAP $LDAP_URI.*Can't contact LDAP server"
ok $? "the error names the URI and the LDAP error"
cp "$T/m.eml" "$T/retry.eml"
slapd_start
ok $? "slapd restarted"
lda "$T/retry.eml" -f sender@example.com -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq 2 ] && [ "$(sent_count)" -eq $((n_sent + 1)) ]
ok $? "the retry delivers once and forwards once (rc=$rc)"

ldap_conf "$LDAP_URI" -- 'timeout = 2' 'network_timeout = 1'
kill -STOP "$slapd_pid"
run bob@example.org
kill -CONT "$slapd_pid"
[ "$rc" -eq 75 ] && [ "$elapsed" -le 5 ]
ok $? "slapd SIGSTOPped: exit 75 after ${elapsed}s (timeout 2s) (rc=$rc)"
printf '%s\n' "$err" | grep -q "LDAP $LDAP_URI.*Timed out\|LDAP $LDAP_URI.*Timeout"
ok $? "the error says the LDAP operation timed out"
diag "$err"

ldap_conf "$LDAPI_URI" -- 'sasl_mech = "EXTERNAL"' 'timeout = 2' 'network_timeout = 1'
kill -STOP "$slapd_pid"
run bob@example.org
kill -CONT "$slapd_pid"
[ "$rc" -eq 75 ] && [ "$elapsed" -le 5 ]
ok $? "slapd SIGSTOPped, ldapi:// + EXTERNAL bind: exit 75 after ${elapsed}s (rc=$rc)"

diag "SRCH per message: present 1; away with 1 delegate: $n_alice; transitive (carol->dave->erin): $n_carol"
slapd_stop
done_testing
