#!/bin/sh
# directory-faults - deputy-lda against a real slapd that fails in the
# ways a directory fails. Each fault: exit 75, one 4.x.x line, nothing
# delivered and nothing forwarded; once the fault is removed, a retry
# (as the MTA's) delivers once, with one forward.
#
#   refused          slapd stopped (connection refused)
#   slow             slapd SIGSTOPped for 2 s: timeout = 1 -> 75;
#                    timeout = 5 -> 0 (the answer comes after ~2 s)
#   size-limit (4)   olcSizeLimit: 1 and an address on two entries; after
#                    the limit is removed it is still 75 ("2 entries
#                    match": one address must name one entry), and only
#                    after the directory is fixed does the retry deliver
#   access (50)      an ACL that grants "disclose" but not "search" on the
#                    base: insufficientAccess
#   hidden (32)      an ACL that grants nothing: slapd hides the base,
#                    noSuchObject. Not "no such user": the base is
#                    configured, so its absence is a directory fault
#   unavailable (52) a back-ldap proxy slapd whose target is down
#   busy (51)        no slapd configuration makes slapd answer busy to
#                    one search at a time (it is its per-connection
#                    pending-operations limit), so a minimal LDAP
#                    responder (Perl, below) answers every search with 51
#   referral (10)    a base outside every naming context of a slapd with
#                    a default referral: deputy does not chase (the
#                    referred server is not the configured one), 75
#   continuation     the user's entry replaced by a referral object
#                    (ManageDsaIT): a subtree search returns no entry and
#                    one continuation reference. Reported: see below.
#
# "No such entry" (a search that succeeds with no entry) is not a fault:
# the recipient is a plain mailbox user, exit 0 (tests/blackbox).

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/faults/lib.sh"

for need in "$SLAPD" "$SLAPADD" "$SLAPMODIFY" /usr/bin/ldapmodify; do
	if [ ! -x "$need" ]; then
		skip "$need not installed (scripts/packages/integration.txt)"
		done_testing
		exit 0
	fi
done

setup_env
install_stub
proxy_pid=""
fake_pid=""
all_cleanup() {
	for p in $proxy_pid $fake_pid; do
		kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
	done
	proxy_pid=""; fake_pid=""
	integration_cleanup
}
trap all_cleanup EXIT
trap 'exit 1' INT TERM

slapd_setup; ok $? "slapd configured"
cp -a "$T/slapd/slapd.d" "$T/slapd/slapd.d.good"
slapd_start; ok $? "slapd answers on $LDAP_URI"
cp "$T/deputy.conf" "$T/deputy.conf.orig"
ldap_conf "$LDAP_URI"
cp "$T/deputy.conf" "$T/deputy.conf.good"

n_case=0
# fault NAME TO [STDERR-PATTERN]: run once with the fault on
fault() {
	name=$1; to=$2; pat=${3:-}
	n_case=$((n_case + 1))
	s="dirfault $n_case $name"
	m=$(make_msg "$s")
	sed -i "s/^To: .*/To: <$to>/" "$m"
	ru=${to%@*}
	mb0=$(maildir_count "$to"); fw0=$(ok_forwards "$s")
	t0=$(date +%s%N)
	lda "$m" -f paul@partner.example.net -- "$to"
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	diag "$(printf '%-16s exit %3s  %5d ms  %s' "$name" "$rc" "$ms" "$(echo "$err" | head -1 | sed 's/^\(.\{12\}\).*\(.\{90\}\)$/\1...\2/')")"
	[ "$rc" -eq 75 ]; ok $? "$name: exit $rc is 75"
	[ "$(echo "$err" | grep -c .)" -eq 1 ] && echo "$err" | grep -q '^4\.[0-9]\.[0-9] '
	ok $? "$name: one 4.x.x line on stderr"
	if [ -n "$pat" ]; then
		echo "$err" | grep -q "$pat"; ok $? "$name: the reason says '$pat'"
	fi
	[ "$(maildir_count "$to")" -eq "$mb0" ] && [ "$(sent_ok_total)" -eq "$sent0" ]
	ok $? "$name: nothing delivered, nothing forwarded"
}
sent_ok_total() { ls "$T"/sent/*.ok 2>/dev/null | wc -l; }
sent0=0
# retry NAME FORWARDS: the same message once the fault is gone
retry() {
	lda "$m" -f paul@partner.example.net -- "$to"
	c=$(grep -lx "Subject: $s" "$T/mail/example.org/$ru/Maildir/new/"* 2>/dev/null | wc -l)
	f=$(ok_forwards "$s")
	[ "$rc" -eq 0 ] && [ "$c" -eq 1 ] && [ "$f" -eq "$2" ]
	ok $? "$1: retry exit $rc, $c mailbox copy, $f forward (want 1, $2)"
	sent0=$(sent_ok_total)
}

# slapd_reconf LDIF: stop slapd, apply LDIF to cn=config offline, start
slapd_reconf() {
	slapd_stop
	printf '%s\n' "$1" >"$T/slapd/fault.ldif"
	"$SLAPMODIFY" -q -n0 -F "$T/slapd/slapd.d" -l "$T/slapd/fault.ldif" \
	    >>"$T/slapd/setup.log" 2>&1 || diag "slapmodify failed: $(tail -2 "$T/slapd/setup.log")"
	chown -R "$(ldap_user):" "$T/slapd"
	slapd_start
}
# slapd_restore: the good cn=config back
slapd_restore() {
	slapd_stop
	rm -rf "$T/slapd/slapd.d"
	cp -a "$T/slapd/slapd.d.good" "$T/slapd/slapd.d"
	chown -R "$(ldap_user):" "$T/slapd"
	slapd_start
}
admin() {	# admin LDIF: ldapmodify as the rootDN with ManageDsaIT
	printf '%s\n' "$1" | ldapmodify -x -M -H "$LDAP_URI" \
	    -D "cn=admin,$BASE" -w admin-secret >>"$T/ldapmodify.log" 2>&1
}

# --- baseline -------------------------------------------------------------
m=$(make_msg "dirfault baseline")
lda "$m" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(ok_forwards "dirfault baseline")" -eq 1 ]
ok $? "baseline: alice delivered and forwarded through slapd (exit $rc)"
sent0=$(sent_ok_total)

# --- refused --------------------------------------------------------------
slapd_stop
fault refused alice@example.org "LDAP $LDAP_URI"
slapd_start
retry refused 1

# --- slow: 2 s pause ----------------------------------------------------
sed -i 's/^\ttimeout = .*/\ttimeout = 1/' "$T/deputy.conf"
kill -STOP "$slapd_pid"; (sleep 2; kill -CONT "$slapd_pid") & cont_pid=$!
fault "slow timeout=1" alice@example.org "LDAP $LDAP_URI"
wait "$cont_pid"
retry "slow timeout=1" 1
sed -i 's/^\ttimeout = .*/\ttimeout = 5/' "$T/deputy.conf"
m=$(make_msg "dirfault slow5")
kill -STOP "$slapd_pid"; (sleep 2; kill -CONT "$slapd_pid") & cont_pid=$!
t0=$(date +%s%N)
lda "$m" -f paul@partner.example.net -- alice@example.org
t1=$(date +%s%N)
wait "$cont_pid"
ms=$(( (t1 - t0) / 1000000 ))
diag "$(printf '%-16s exit %3s  %5d ms' "slow timeout=5" "$rc" "$ms")"
[ "$rc" -eq 0 ] && [ "$ms" -ge 1500 ] && [ "$(copies "dirfault slow5")" -eq 1 ] &&
    [ "$(ok_forwards "dirfault slow5")" -eq 1 ]
ok $? "slow timeout=5: waits for the answer (${ms} ms), exit $rc, delivered once, one forward"
sent0=$(sent_ok_total)
cp "$T/deputy.conf.good" "$T/deputy.conf"

# --- size limit -------------------------------------------------------------
slapd_reconf "dn: olcDatabase={1}mdb,cn=config
changetype: modify
replace: olcSizeLimit
olcSizeLimit: 1
-"
fault "size-limit" twin@example.org "Size limit exceeded (4)"
slapd_restore
lda "$m" -f paul@partner.example.net -- "$to"
[ "$rc" -eq 75 ] && echo "$err" | grep -q '2 entries match'
ok $? "size-limit removed: still 75, 2 entries match ($(echo "$err" | cut -c1-60))"
admin "dn: uid=twin2,ou=people,$BASE
changetype: modify
delete: mailLocalAddress
mailLocalAddress: twin@example.org
-"
retry "size-limit, directory fixed" 0

# --- insufficient access, hidden base -----------------------------------
slapd_reconf "dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcAccess
olcAccess: {0}to dn.subtree=\"$BASE\" by dn.exact=\"cn=admin,$BASE\" write by * disclose
-"
fault "access (50)" alice@example.org "Insufficient access (50)"
slapd_restore
retry "access (50)" 1

slapd_reconf "dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcAccess
olcAccess: {0}to dn.subtree=\"$BASE\" by dn.exact=\"cn=admin,$BASE\" write by * none
-"
fault "hidden (32)" alice@example.org "No such object (32)"
slapd_restore
retry "hidden (32)" 1

# --- referral (10): a base that slapd refers elsewhere -------------------
slapd_reconf "dn: cn=config
changetype: modify
replace: olcReferral
olcReferral: ldap://127.0.0.1:1/
-"
sed -i "s/^\tbase = .*/\tbase = \"ou=people,dc=moved,dc=test\"/" "$T/deputy.conf"
fault "referral (10)" alice@example.org "Referral (10)"
cp "$T/deputy.conf.good" "$T/deputy.conf"
slapd_restore
retry "referral (10), base fixed" 1

# --- continuation reference: the entry lives on another server ------------
# A subtree search from the base finds no alice entry but returns a
# search continuation reference: the directory says "ask that server".
# deputy does not chase references, and today reads this as "no entry"
# (exit 0, a plain mailbox delivery: alice is away, her delegate never
# sees the message). The right reading is "cannot tell": 75.
ldapsearch -x -LLL -H "$LDAP_URI" -b "uid=alice,ou=people,$BASE" -s base \
    '(objectClass=*)' '*' >"$T/alice.ldif" 2>/dev/null
admin "dn: uid=alice,ou=people,$BASE
changetype: delete

dn: uid=alice,ou=people,$BASE
changetype: add
objectClass: referral
objectClass: extensibleObject
uid: alice
ref: ldap://127.0.0.1:1/uid=alice,ou=people,$BASE"
n_case=$((n_case + 1))
s="dirfault $n_case continuation"; m=$(make_msg "$s")
mb0=$(maildir_count alice@example.org)
lda "$m" -f paul@partner.example.net -- alice@example.org
diag "$(printf '%-16s exit %3s  mailbox +%s  forwards %s' continuation "$rc" \
    "$(( $(maildir_count alice@example.org) - mb0 ))" "$(ok_forwards "$s")")"
[ "$rc" -eq 75 ] && [ "$(maildir_count alice@example.org)" -eq "$mb0" ]
ok $? "continuation reference: deferred (exit $rc), nothing delivered"
admin "dn: uid=alice,ou=people,$BASE
changetype: delete"
{ echo "dn: uid=alice,ou=people,$BASE"; echo "changetype: add"; sed 1d "$T/alice.ldif"; } >"$T/alice.add"
ldapmodify -x -H "$LDAP_URI" -D "cn=admin,$BASE" -w admin-secret \
    -f "$T/alice.add" >>"$T/ldapmodify.log" 2>&1
ok $? "alice's entry restored"
if [ "$rc" -eq 75 ]; then retry continuation 1; else sent0=$(sent_ok_total); fi

# --- unavailable (52): a back-ldap proxy whose target is down ---------
if [ -e /usr/lib/ldap/back_ldap.so ]; then
	PX=$T/proxy
	mkdir -p "$PX/slapd.d"
	PROXY_PORT=$(free_port)
	[ "$PROXY_PORT" = "$LDAP_PORT" ] && PROXY_PORT=$((PROXY_PORT + 1))
	PROXY_URI="ldap://127.0.0.1:$PROXY_PORT"
	cat >"$PX/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $PX/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_ldap

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/misc.ldif
include: file://$srcdir/directory/deputy-schema.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}ldap,cn=config
objectClass: olcDatabaseConfig
objectClass: olcLDAPConfig
olcDatabase: {1}ldap
olcSuffix: $BASE
olcDbURI: $LDAP_URI
olcDbNetworkTimeout: 1
LDIF
	"$SLAPADD" -q -n0 -F "$PX/slapd.d" -l "$PX/config.ldif" >"$PX/setup.log" 2>&1
	chown -R "$(ldap_user):" "$PX"
	if [ "$(id -u)" -eq 0 ]; then
		set -- -u "$(ldap_user)" -g "$(id -gn "$(ldap_user)")"
	else
		set --
	fi
	"$SLAPD" -h "$PROXY_URI/" -F "$PX/slapd.d" -d stats "$@" >"$PX/log" 2>&1 &
	proxy_pid=$!
	wait_for 10 ldapsearch -x -H "$PROXY_URI" -b "" -s base -o nettimeout=1
	ok $? "back-ldap proxy answers on $PROXY_URI"
	ldap_conf "$PROXY_URI"
	slapd_stop
	fault "unavailable (52)" alice@example.org "Server is unavailable (52"
	slapd_start
	retry "unavailable (52), target back" 1
	kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null; proxy_pid=""
	cp "$T/deputy.conf.good" "$T/deputy.conf"
else
	skip "back_ldap module missing: no unavailable (52) case"
fi

# --- busy (51), and unavailable (52) from a minimal responder ------------
cat >"$T/fake-ldap.pl" <<'PERL'
# answer every LDAP request (searchRequest, or anything) with a result
# of code $ENV{CODE}; one connection at a time; for tests only
use strict;
use warnings;
use IO::Socket::INET;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $ENV{PORT}, Listen => 5, ReuseAddr => 1) or die "listen: $!";
sub len { my $n = shift; return chr($n) if $n < 128;
	my $s = ''; while ($n) { $s = chr($n & 255) . $s; $n >>= 8 }
	return chr(0x80 | length $s) . $s; }
sub tlv { my ($t, $v) = @_; return chr($t) . len(length $v) . $v; }
sub readn { my ($c, $n) = @_; my $b = '';
	while (length $b < $n) { my $r = sysread($c, $b, $n - length $b, length $b);
		return undef unless $r; } return $b; }
while (my $c = $srv->accept) {
	for (;;) {
		my $h = readn($c, 2) // last;
		my $l = ord substr($h, 1, 1);
		if ($l & 0x80) { my $k = readn($c, $l & 0x7f) // last;
			$l = 0; $l = $l * 256 + ord $_ for split //, $k; }
		my $body = readn($c, $l) // last;
		my $idlen = ord substr($body, 1, 1);
		my $id = substr($body, 2, $idlen);
		my $op = ord substr($body, 2 + $idlen, 1);
		last if $op == 0x42;				# unbind
		my $res = { 0x60 => 0x61, 0x63 => 0x65, 0x77 => 0x78 }->{$op} // 0x65;
		my $msg = tlv(0x02, $id) . tlv($res, tlv(0x0a, chr $ENV{CODE}) .
		    tlv(0x04, '') . tlv(0x04, "deputy test responder: code $ENV{CODE}"));
		syswrite($c, tlv(0x30, $msg));
	}
	close $c;
}
PERL
for code in 51:busy 52:unavailable; do
	FAKE_PORT=$(free_port)
	CODE=${code%%:*} PORT=$FAKE_PORT perl "$T/fake-ldap.pl" &
	fake_pid=$!
	wait_for 5 sh -c "ss -Htln 'sport = :$FAKE_PORT' | grep -q ."
	ldap_conf "ldap://127.0.0.1:$FAKE_PORT"
	fault "responder ${code#*:} (${code%%:*})" alice@example.org "(${code%%:*}; deputy test responder"
	kill "$fake_pid"; wait "$fake_pid" 2>/dev/null; fake_pid=""
	cp "$T/deputy.conf.good" "$T/deputy.conf"
	retry "responder ${code#*:}: real slapd" 1
done

slapd_stop
[ -z "$slapd_pid" ] && [ -z "$proxy_pid" ] && [ -z "$fake_pid" ]
ok $? "every daemon stopped by pid"
done_testing
