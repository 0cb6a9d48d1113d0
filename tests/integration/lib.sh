# lib.sh - helpers for the integration tests: a real slapd, a real Postfix
#
# Sources tests/blackbox/lib.sh (TAP helpers, setup_env, lda, ...) and
# adds daemons that run on loopback only, with every file under $T:
#
#   slapd_setup     cn=config in $T/slapd/slapd.d (core, cosine,
#                   inetorgperson, misc and deputy's schema, an mdb
#                   database, the example helpdesk ACL), loaded with
#                   integration_ldif
#   slapd_start     listen on 127.0.0.1:$LDAP_PORT and $LDAPI_URI, log
#                   at "stats" level to $T/slapd/log; wait until it answers
#   slapd_stop      kill by pid and wait for it to exit
#   postfix_setup   a private Postfix instance in $T/pf (PLATFORM-NOTES 3)
#   postfix_start / postfix_stop
#
# Every daemon started here is stopped by integration_cleanup, which the
# tests install as an EXIT trap: by its pid, never by name. Ports are
# chosen free at run time.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/blackbox/lib.sh"

SLAPD=${SLAPD:-/usr/sbin/slapd}
SLAPADD=${SLAPADD:-/usr/sbin/slapadd}
SLAPMODIFY=${SLAPMODIFY:-/usr/sbin/slapmodify}
POSTFIX=${POSTFIX:-/usr/sbin/postfix}
BASE="dc=example,dc=org"
slapd_pid=""
postfix_up=0

# free_port: a TCP port no socket uses (random start, then upward),
# below Linux's ephemeral range (32768 up) so that no client connection
# of a test running beside this one can take it before slapd binds
free_port() {
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
	while ss -Htan "sport = :$p" 2>/dev/null | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
wait_for() {
	n=$(( $1 * 10 )); shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# todo_ok STATUS DESCRIPTION REASON: like ok, but a failure is a TAP
# TODO (expected, owned elsewhere) and a pass is a plain pass
todo_ok() {
	if [ "$1" -eq 0 ]; then
		ok 0 "$2"
	else
		tap_n=$((tap_n + 1))
		echo "not ok $tap_n - $2 # TODO $3"
	fi
}

# integration_cleanup: stop what we started (by pid), remove $T
integration_cleanup() {
	if [ -n "$slapd_pid" ]; then
		kill -CONT "$slapd_pid" 2>/dev/null
		kill "$slapd_pid" 2>/dev/null
		wait "$slapd_pid" 2>/dev/null
		slapd_pid=""
	fi
	if [ "$postfix_up" -eq 1 ]; then
		postfix_stop
	fi
	if [ -n "${T:-}" ] && [ -z "${KEEP_T:-}" ]; then
		rm -rf "$T"
	elif [ -n "${T:-}" ]; then
		echo "# kept $T" >&2
	fi
}

# ldap_user: the user slapd runs as (root in CI: openldap, if it exists)
ldap_user() {
	if [ "$(id -u)" -eq 0 ] && id openldap >/dev/null 2>&1; then
		echo openldap
	else
		id -un
	fi
}

# integration_ldif: the test entries; absences relative to today
integration_ldif() {
	from=$(date -u -d yesterday +%Y%m%d)
	until=$(date -u -d '+14 days' +%Y%m%d)
	past_from=$(date -u -d '-30 days' +%Y%m%d)
	past_until=$(date -u -d '-20 days' +%Y%m%d)
	pw=$(slappasswd -s deputy-secret 2>/dev/null || echo deputy-secret)
	hpw=$(slappasswd -s helpdesk-secret 2>/dev/null || echo helpdesk-secret)
	cat <<LDIF
dn: $BASE
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,$BASE
objectClass: organizationalUnit
ou: people

dn: ou=groups,$BASE
objectClass: organizationalUnit
ou: groups

dn: ou=services,$BASE
objectClass: organizationalUnit
ou: services

dn: cn=deputy,ou=services,$BASE
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: deputy
userPassword: $pw

dn: uid=helga,ou=people,$BASE
objectClass: inetOrgPerson
uid: helga
cn: Helga Helpdesk
sn: Helpdesk
mail: helga@example.org
userPassword: $hpw

dn: cn=helpdesk,ou=groups,$BASE
objectClass: groupOfNames
cn: helpdesk
member: uid=helga,ou=people,$BASE

dn: uid=alice,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
objectClass: deputyUser
uid: alice
cn: Alice Smith
sn: Smith
mail: alice@example.org
mailLocalAddress: a.smith@example.org
displayName: Alice Smith
preferredLanguage: en
deputyDelegate: uid=bob,ou=people,$BASE
deputyNotice: none
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=bob,ou=people,$BASE
objectClass: inetOrgPerson
uid: bob
cn: Bob Jones
sn: Jones
mail: bob@example.org

dn: uid=carol,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: carol
cn: Carol Away
sn: Away
mail: carol@example.org
deputyDelegate: dave@example.org
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=dave,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: dave
cn: Dave Away
sn: Away
mail: dave@example.org
deputyDelegate: uid=erin,ou=people,$BASE
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=erin,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: erin
cn: Erin Back
sn: Back
mail: erin@example.org
deputyAbsence:: $(absence_b64 "$past_from" "$past_until")

dn: uid=star,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: star
cn: Star
sn: Star
mail: st*r@example.org
deputyDelegate: uid=bob,ou=people,$BASE
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=gina,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: deputyUser
uid: gina
cn: Gina Ghost
sn: Ghost
mail: gina@example.org
deputyDelegate: uid=ghost,ou=people,$BASE
deputyDelegate: uid=ghost,dc=elsewhere,dc=test
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=twin1,ou=people,$BASE
objectClass: inetOrgPerson
uid: twin1
cn: Twin
sn: One
mail: twin@example.org

dn: uid=twin2,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: twin2
cn: Twin
sn: Two
mail: twin2@example.org
mailLocalAddress: twin@example.org
LDIF
}

# slapd_setup: configuration and data of a private slapd under $T/slapd
slapd_setup() {
	S=$T/slapd
	mkdir -p "$S/slapd.d" "$S/db"
	LDAPI_URI="ldapi://$(printf '%s' "$S/ldapi" | sed 's,/,%2F,g')"
	LDAPS_URI=""
	tls_conf=""
	if command -v openssl >/dev/null && tls_setup "$S/tls"; then
		LDAPS_URI=ldaps://
		tls_conf="olcTLSCACertificateFile: $S/tls/ca.pem
olcTLSCertificateFile: $S/tls/server.pem
olcTLSCertificateKeyFile: $S/tls/server.key"
	fi
	cat >"$S/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $S/slapd.pid
olcArgsFile: $S/slapd.args
olcLogLevel: stats
$tls_conf

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
olcDbDirectory: $S/db
olcSuffix: $BASE
olcRootDN: cn=admin,$BASE
olcRootPW: admin-secret
olcDbMaxSize: 16777216
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read
LDIF
	integration_ldif >"$S/data.ldif"
	"$SLAPADD" -q -n0 -F "$S/slapd.d" -l "$S/config.ldif" \
	    >"$S/setup.log" 2>&1 || return 1
	"$SLAPMODIFY" -q -n0 -F "$S/slapd.d" \
	    -l "$srcdir/directory/helpdesk-acl.ldif" >>"$S/setup.log" 2>&1 \
	    || return 1
	"$SLAPADD" -q -n1 -F "$S/slapd.d" -l "$S/data.ldif" \
	    >>"$S/setup.log" 2>&1 || return 1
	u=$(ldap_user)
	chown -R "$u:" "$S" 2>/dev/null || true
	slapd_new_ports
}

# tls_setup DIR: a test CA, a server certificate for 127.0.0.1, and a
# second CA that signed nothing (for "wrong CA" tests)
tls_setup() {
	d=$1
	mkdir -p "$d"
	(
	cd "$d" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=deputy test CA' \
	    -keyout ca.key -out ca.pem &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=other CA' \
	    -keyout other.key -out other.pem &&
	openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' \
	    -keyout server.key -out server.csr &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	    -days 2 -extfile ext.cnf -out server.pem
	) >"$d/openssl.log" 2>&1
}

# slapd_start: run slapd in the foreground (-d) in the background of
# this shell, so $! is its pid and its log is our file
slapd_start() {
	set -- -h "$LDAP_URI/ ${LDAPS_URI:+$LDAPS_URI/ }$LDAPI_URI" -F "$T/slapd/slapd.d" -d stats
	if [ "$(id -u)" -eq 0 ]; then
		u=$(ldap_user)
		set -- "$@" -u "$u" -g "$(id -gn "$u")"
	fi
	"$SLAPD" "$@" >>"$T/slapd/log" 2>&1 &
	slapd_pid=$!
	if slapd_wait 30; then
		slapd_answered=1
		return 0
	fi
	# A port taken between free_port and bind (another test of the
	# parallel run) on the first start: new ports, once. Otherwise say
	# why. (A restart keeps its ports: deputy.conf names them.)
	if ! kill -0 "$slapd_pid" 2>/dev/null && [ -z "${slapd_answered:-}" ] &&
	    [ -z "${slapd_retried:-}" ] &&
	    grep -q 'Address already in use\|bind.*failed' "$T/slapd/log"; then
		slapd_retried=1
		wait "$slapd_pid" 2>/dev/null
		slapd_pid=""
		slapd_new_ports
		slapd_start
		return $?
	fi
	echo "# slapd did not answer on $LDAP_URI; the end of its log:"
	tail -n 20 "$T/slapd/log" | sed 's/^/#   /'
	return 1
}

# slapd_wait SECONDS: until slapd answers, or has exited
slapd_wait() {
	n=$(( $1 * 10 ))
	while [ "$n" -gt 0 ]; do
		ldapsearch -x -H "$LDAP_URI" -b "" -s base -o nettimeout=1 \
		    >/dev/null 2>&1 && return 0
		kill -0 "$slapd_pid" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# slapd_new_ports: fresh ports for ldap:// and ldaps:// (the -h list)
slapd_new_ports() {
	LDAP_PORT=$(free_port)
	LDAP_URI="ldap://127.0.0.1:$LDAP_PORT"
	if [ -n "$LDAPS_URI" ]; then
		LDAPS_PORT=$(free_port)
		[ "$LDAPS_PORT" = "$LDAP_PORT" ] && LDAPS_PORT=$((LDAP_PORT + 1))
		LDAPS_URI="ldaps://127.0.0.1:$LDAPS_PORT"
	fi
}

# slapd_stop: kill by pid, wait for it to be gone
slapd_stop() {
	[ -n "$slapd_pid" ] || return 0
	kill -CONT "$slapd_pid" 2>/dev/null
	kill "$slapd_pid" 2>/dev/null
	wait "$slapd_pid" 2>/dev/null
	slapd_pid=""
}

# srch_count: SRCH operations in slapd's log so far
srch_count() { grep -c ' SRCH base=' "$T/slapd/log"; }

# ldap_conf URI... [-- EXTRA-LINE...]: deputy.conf with an ldap directory
ldap_conf() {
	uris=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		uris="$uris${uris:+, }\"$1\""; shift
	done
	[ $# -gt 0 ] && shift
	{
		echo 'directory {'
		echo '	backend = "ldap"'
		echo "	uri = {$uris}"
		echo "	base = \"$BASE\""
		echo '	tls = "none"'
		echo '	network_timeout = 2'
		echo '	timeout = 3'
		echo '	alias_attributes = {"mailLocalAddress"}'
		for l in "$@"; do echo "	$l"; done
		echo '}'
		sed -n '/^delivery {/,$p' "$T/deputy.conf.orig"
	} >"$T/deputy.conf"
	[ "$(id -u)" -eq 0 ] && chown nobody: "$T/deputy.conf"
	return 0
}

# msg FILE FROM TO SUBJECT: a small message
msg() {
	cat >"$1" <<EOF
From: <$2>
To: <$3>
Subject: $4
Message-ID: <$(date +%s%N).$$@example.com>
Date: $(date -R)

Hello from the integration test.
EOF
}

# pf_sendmail_wrapper FILE PORT: a sendmail(1) for deputy-lda that submits
# to the private Postfix over SMTP on 127.0.0.1:PORT.
#
# Why not "exec /usr/sbin/sendmail -C $T/pf/etc": deputy-lda runs as
# nobody (the pipe user), and Postfix refuses -C (and MAIL_CONFIG) from a
# non-root user unless the *system* main.cf lists the directory in
# alternate_config_directories; a test must not edit /etc/postfix. So the
# forward enters Postfix through its smtpd instead of postdrop/pickup:
# same queue, same cleanup, same transports. Understands what deputy's
# submit uses: sendmail -i -f SENDER -- RECIPIENT...; exits 75 on any
# SMTP failure, like a sendmail that cannot queue.
pf_sendmail_wrapper() {
	cat >"$1" <<PERL
#!/usr/bin/perl
use strict;
use warnings;
use Net::SMTP;

my (\$from, @rcpt);
while (@ARGV) {
	my \$a = shift @ARGV;
	if (\$a eq '--') { push @rcpt, @ARGV; last; }
	elsif (\$a eq '-f') { \$from = shift @ARGV; }
	elsif (\$a =~ /^-f(.+)\$/) { \$from = \$1; }
	elsif (\$a =~ /^-/) { next; }		# -i, -oi: implied
	else { push @rcpt, \$a; }
}
defined \$from or \$from = '';
@rcpt or do { print STDERR "pf-sendmail: no recipient\n"; exit 64; };
my \$msg = do { local \$/; <STDIN> };
my \$smtp = Net::SMTP->new('127.0.0.1', Port => $2, Timeout => 20,
    Hello => 'deputy-test.localhost')
    or do { print STDERR "pf-sendmail: connect: \$@\n"; exit 75; };
\$smtp->mail("<\$from>") or exit 75;
for (@rcpt) { \$smtp->to("<\$_>") or exit 75; }
\$smtp->data() or exit 75;
\$smtp->datasend(\$msg) or exit 75;
\$smtp->dataend() or exit 75;
\$smtp->quit;
exit 0;
PERL
	chmod 755 "$1"
}

# postfix_setup TRANSPORT-MAP: a private Postfix under $T/pf (see
# PLATFORM-NOTES section 3) whose "deputy" pipe runs the built deputy-lda
postfix_setup() {
	P=$T/pf
	mkdir -p "$P/etc" "$P/queue" "$P/data"
	SMTP_PORT=$(free_port)
	cat >"$P/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $P/queue
data_directory = $P/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.org
mydomain = example.org
myorigin = \$myhostname
mydestination = example.org
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
local_recipient_maps =
alias_maps =
alias_database =
transport_maps = inline:{ $1 }
deputy_destination_recipient_limit = 1
default_transport = error:tests do not send mail
maillog_file = $P/maillog
maillog_file_prefixes = $P
biff = no
smtputf8_enable = no
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
smtpd_banner = \$myhostname ESMTP
CF
	cat >"$P/etc/master.cf" <<CF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
deputy    unix  -       n       n       -       -       pipe
  flags=DRhu user=nobody null_sender= argv=$DEPUTY_LDA -c $T/deputy.conf -f \${sender} -a \${original_recipient} -- \${recipient}
CF
	chown -R root: "$P/etc" "$P/queue"
	chown postfix:postfix "$P/data"
	# postfix prints nothing unless stderr is a tty (PLATFORM-NOTES 3)
	script -qec "$POSTFIX -c $P/etc check" /dev/null >"$P/check.log" 2>&1
}

postfix_start() {
	script -qec "$POSTFIX -c $T/pf/etc start" /dev/null >>"$T/pf/check.log" 2>&1 || return 1
	postfix_up=1
	wait_for 10 sh -c "ss -Htln 'sport = :$SMTP_PORT' | grep -q ."
}

# postfix_stop: "postfix stop", then make sure the master (by its pid
# file) is gone
postfix_stop() {
	pidf=$T/pf/queue/pid/master.pid
	mpid=$(tr -d ' \n' <"$pidf" 2>/dev/null)
	script -qec "$POSTFIX -c $T/pf/etc stop" /dev/null >/dev/null 2>&1
	if [ -n "$mpid" ]; then
		n=50
		while kill -0 "$mpid" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$mpid" 2>/dev/null
	fi
	postfix_up=0
}

pf_queue_empty() {
	postqueue -c "$T/pf/etc" -p 2>&1 | grep -q 'Mail queue is empty'
}
