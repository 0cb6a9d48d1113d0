#!/bin/sh
# syncrepl.sh - deputy reading a syncrepl consumer, the provider second (TAP)
#
# Two private slapd: the provider (tests/integration/lib.sh's, with the
# syncprov overlay) and a consumer (refreshAndPersist from it, an empty
# database to begin with). deputyctl writes to the provider as the
# helpdesk user; deputy-lda reads with uri = {consumer, provider}.
#
# Shows: the consumer answers deputy-lda's searches while it runs (the
# provider sees none); an absence set or ended through deputyctl on the
# provider reaches the consumer (polled, at most 10 s; the delay is
# printed) and deputy-lda honours it from there; with the consumer
# stopped, the provider answers and mail is delivered and forwarded as
# before; the consumer started again catches up.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

DEPUTYCTL=${DEPUTYCTL:-$top_builddir/deputyctl}
if [ ! -x "$SLAPD" ] || [ ! -x "$SLAPADD" ] || ! command -v ldapsearch >/dev/null ||
    [ ! -f /usr/lib/ldap/syncprov.la ]; then
	skip "slapd, ldap-utils or the syncprov overlay not installed (scripts/packages/integration.txt)"
	done_testing
	exit 0
fi
if [ ! -x "$DEPUTYCTL" ]; then
	skip "deputyctl not built"
	done_testing
	exit 0
fi

consumer_pid=""
setup_env
trap 'consumer_stop; integration_cleanup' EXIT
trap 'exit 1' INT TERM
cp "$T/deputy.conf" "$T/deputy.conf.orig"

# consumer_stop: kill the consumer by pid, wait for it
consumer_stop() {
	[ -n "$consumer_pid" ] || return 0
	kill -CONT "$consumer_pid" 2>/dev/null
	kill "$consumer_pid" 2>/dev/null
	wait "$consumer_pid" 2>/dev/null
	consumer_pid=""
}

# provider_syncprov: load syncprov and put it on the provider's database
provider_syncprov() {
	cat >"$T/slapd/syncprov.ldif" <<LDIF
dn: cn=module{0},cn=config
changetype: modify
add: olcModuleLoad
olcModuleLoad: syncprov

dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcDbIndex
olcDbIndex: entryCSN eq
-
add: olcDbIndex
olcDbIndex: entryUUID eq

LDIF
	# the overlay's object class exists once the module is loaded: a
	# second run of the tool
	cat >"$T/slapd/overlay.ldif" <<LDIF
dn: olcOverlay=syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: syncprov
olcSpCheckpoint: 10 1
LDIF
	"$SLAPMODIFY" -q -n0 -F "$T/slapd/slapd.d" -l "$T/slapd/syncprov.ldif" \
	    >>"$T/slapd/setup.log" 2>&1 || return 1
	"$SLAPADD" -q -n0 -F "$T/slapd/slapd.d" -l "$T/slapd/overlay.ldif" \
	    >>"$T/slapd/setup.log" 2>&1 || return 1
	chown -R "$(ldap_user):" "$T/slapd" 2>/dev/null
	return 0
}

# consumer_setup: cn=config in $T/consumer, the same schema, a database
# that replicates dc=example,dc=org from the provider
consumer_setup() {
	C=$T/consumer
	mkdir -p "$C/slapd.d" "$C/db"
	CONSUMER_PORT=$(free_port)
	[ "$CONSUMER_PORT" = "$LDAP_PORT" ] && CONSUMER_PORT=$((LDAP_PORT + 1))
	CONSUMER_URI="ldap://127.0.0.1:$CONSUMER_PORT"
	cat >"$C/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $C/slapd.pid
olcLogLevel: stats

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

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

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $C/db
olcSuffix: $BASE
olcRootDN: cn=replica,$BASE
olcDbMaxSize: 16777216
olcDbIndex: entryCSN eq
olcDbIndex: entryUUID eq
olcSyncrepl: rid=001 provider=$LDAP_URI bindmethod=simple
  binddn="cn=admin,$BASE" credentials=admin-secret searchbase="$BASE"
  type=refreshAndPersist retry="1 +" timeout=3 network-timeout=2
olcUpdateRef: $LDAP_URI
olcAccess: {0}to attrs=userPassword by * none
olcAccess: {1}to * by * read
LDIF
	"$SLAPADD" -q -n0 -F "$C/slapd.d" -l "$C/config.ldif" >"$C/setup.log" 2>&1 ||
	    return 1
	chown -R "$(ldap_user):" "$C" 2>/dev/null
	return 0
}

# consumer_start: run it in the background, wait until it answers
consumer_start() {
	set -- -h "$CONSUMER_URI/" -F "$T/consumer/slapd.d" -d stats
	if [ "$(id -u)" -eq 0 ]; then
		u=$(ldap_user)
		set -- "$@" -u "$u" -g "$(id -gn "$u")"
	fi
	"$SLAPD" "$@" >>"$T/consumer/log" 2>&1 &
	consumer_pid=$!
	wait_for 20 ldapsearch -x -H "$CONSUMER_URI" -b "" -s base -o nettimeout=1
}

# on URI DN ATTR: the values of ATTR of DN, as ldapsearch prints them
on() {
	ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=2 -H "$1" -b "$2" -s base \
	    "$3" 2>/dev/null | grep -i "^$3:"
}

# csrch: SRCH operations in the consumer's log so far (not its own
# replication session, which the provider logs)
csrch() { grep -c ' SRCH base=' "$T/consumer/log"; }

# --- the two servers ----------------------------------------------------

if ! slapd_setup || ! provider_syncprov; then
	ok 1 "provider configuration (slapd_setup + syncprov)"
	sed 's/^/# /' "$T/slapd/setup.log"
	done_testing
	exit 1
fi
slapd_start
ok $? "provider with syncprov answers on $LDAP_URI"
if ! consumer_setup; then
	ok 1 "consumer configuration"
	sed 's/^/# /' "$T/consumer/setup.log"
	done_testing
	exit 1
fi
consumer_start
ok $? "consumer answers on $CONSUMER_URI"
t0=$(date +%s%N)
wait_for 15 sh -c "ldapsearch -x -LLL -H '$CONSUMER_URI' -b 'uid=alice,ou=people,$BASE' -s base mail 2>/dev/null | grep -q '^mail:'"
ok $? "the consumer's first refresh brings alice ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"

# deputy reads the consumer first, the provider second; deputyctl
# writes to the provider as the helpdesk user
ldap_conf "$CONSUMER_URI" "$LDAP_URI"
cp "$T/deputy.conf" "$T/ctl.conf"
sed -i "s|uri = {.*}|uri = {\"$LDAP_URI\"}|" "$T/ctl.conf"
printf 'helpdesk-secret\n' >"$T/helga.pass"
chmod 600 "$T/helga.pass"
HD="uid=helga,ou=people,$BASE"
ctl() {
	"$DEPUTYCTL" -c "$T/ctl.conf" --bind-dn "$HD" --password-file "$T/helga.pass" \
	    "$@" >"$T/ctl.out" 2>&1
}

# deliver RCPT: one message to RCPT; $rc; the forwards to $fwd (0/1)
deliver() {
	msg "$T/m.eml" sender@example.com "$1" "to $1"
	chmod 644 "$T/m.eml"
	before=$(sent_count)
	lda "$T/m.eml" -f sender@example.com -- "$1"
	fwd=$(( $(sent_count) - before ))
}

# --- reads go to the consumer -------------------------------------------

p0=$(srch_count); c0=$(csrch)
deliver bob@example.org
sleep 0.2
p1=$(srch_count); c1=$(csrch)
[ "$rc" -eq 0 ] && [ "$fwd" -eq 0 ] && [ $((c1 - c0)) -ge 1 ] && [ "$p1" -eq "$p0" ]
ok $? "bob (present): delivered, not forwarded; searched on the consumer ($((c1 - c0))), not the provider ($((p1 - p0)))"

# --- a change on the provider reaches deputy through the consumer ---------

from=$(date -u -d yesterday +%Y-%m-%d)
until=$(date -u -d '+7 days' +%Y-%m-%d)
ctl away bob --from "$from" --until "$until" --delegate erin@example.org
ok $? "deputyctl away bob on the provider ($(head -c 200 "$T/ctl.out" | tr '\n' ' '))"
t0=$(date +%s%N)
wait_for 10 sh -c "ldapsearch -x -LLL -o ldif-wrap=no -H '$CONSUMER_URI' -b 'uid=bob,ou=people,$BASE' -s base deputyDelegate 2>/dev/null | grep -qi '^deputyDelegate: .*erin'"
ok $? "the absence reaches the consumer in $(( ($(date +%s%N) - t0) / 1000000 )) ms (bounded wait: 10 s)"
[ -n "$(on "$CONSUMER_URI" "uid=bob,ou=people,$BASE" deputyAbsence)" ]
ok $? "the consumer has bob's deputyAbsence"
c0=$(csrch)
deliver bob@example.org
[ "$rc" -eq 0 ] && [ "$fwd" -eq 1 ] && grep -qx 'erin@example.org' "$(ls -t "$T"/sent/*.argv | head -1)" &&
    [ "$(csrch)" -gt "$c0" ]
ok $? "deputy-lda honours it from the consumer: bob's mail forwarded to erin (rc=$rc, forwards $fwd)"

ctl back bob --all
ok $? "deputyctl back bob on the provider ($(head -c 200 "$T/ctl.out" | tr '\n' ' '))"
t0=$(date +%s%N)
wait_for 10 sh -c "! ldapsearch -x -LLL -o ldif-wrap=no -H '$CONSUMER_URI' -b 'uid=bob,ou=people,$BASE' -s base deputyAbsence 2>/dev/null | grep -qi '^deputyAbsence'"
ok $? "the end of the absence reaches the consumer in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
deliver bob@example.org
[ "$rc" -eq 0 ] && [ "$fwd" -eq 0 ]
ok $? "bob back: delivered, not forwarded (rc=$rc, forwards $fwd)"

# --- the consumer stopped: the provider answers ---------------------------

consumer_stop
p0=$(srch_count)
t0=$(date +%s%N)
deliver alice@example.org
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 0.2
[ "$rc" -eq 0 ] && [ "$fwd" -eq 1 ] && [ "$(srch_count)" -gt "$p0" ] &&
    [ "$(maildir_count alice@example.org)" -ge 1 ]
ok $? "consumer stopped: the provider answers; alice's mail delivered and forwarded to bob (rc=$rc, $ms ms, provider searches +$(( $(srch_count) - p0 )))"
ctl away bob --from "$from" --until "$until" --delegate erin@example.org
deliver bob@example.org
[ "$rc" -eq 0 ] && [ "$fwd" -eq 1 ]
ok $? "consumer stopped: a change made meanwhile is read from the provider at once (rc=$rc, forwards $fwd)"

# --- the consumer back: it catches up -------------------------------------

consumer_start
t0=$(date +%s%N)
wait_for 15 sh -c "ldapsearch -x -LLL -o ldif-wrap=no -H '$CONSUMER_URI' -b 'uid=bob,ou=people,$BASE' -s base deputyDelegate 2>/dev/null | grep -qi '^deputyDelegate: .*erin'"
ok $? "the consumer started again catches up with the change made while it was down ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
c0=$(csrch); p0=$(srch_count)
deliver bob@example.org
sleep 0.2
[ "$rc" -eq 0 ] && [ "$fwd" -eq 1 ] && [ "$(csrch)" -gt "$c0" ] && [ "$(srch_count)" -eq "$p0" ]
ok $? "and answers again first (consumer +$(( $(csrch) - c0 )), provider +$(( $(srch_count) - p0 )))"

done_testing
