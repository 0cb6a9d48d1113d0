#!/bin/sh
# run.sh - deputy-lda side by side with gnarwl, vacation(1), dovecot-lda +
# Pigeonhole vacation and a floor, one process per message; deputy-lda
# handing messages to a running deputyd; and deputyd over LMTP beside
# Dovecot's LMTP with Pigeonhole; writes bench/RESULTS.md.
#
#	sudo sh bench/run.sh [-n MESSAGES] [-u USERS] [-T BUDGET_S]
#	                     [-o RESULTS.md] [--no-install] [--keep]
#
#	-n  messages in the main run (default 2000): half from
#	    ../shared/corpus (labels.tsv), half generated personal mail to
#	    the away user
#	-u  people in the directory besides the three named ones (default 200)
#	-T  time budget of the main run in seconds (default 420); the run
#	    stops starting new messages when it is spent, and says so
#	-o  where to write the report (default bench/RESULTS.md)
#	--no-install  do not call scripts/install-deps.sh
#	--keep        keep the temporary directory (and say where it is)
#
#	-L  messages in the RSS run of deputyd (default 100000; 0: none)
#
# Run as root on Debian 12. It installs its packages (scripts/packages/
# bench.txt), builds deputy if needed, then works in a private mount
# namespace: a tmpfs for everything it writes, a private /etc/passwd with
# the away user "alice", a stub over /usr/sbin/sendmail for vacation(1).
# It starts one slapd on loopback and stops it by pid. Nothing fails on
# a time figure: this is a benchmark, not a test. See bench/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=2000
USERS=200
BUDGET=420
LONG=100000
OUT=$here/RESULTS.md
INSTALL=1
KEEP=0
[ -n "${DEPUTY_BENCH_NS:-}" ] || CMDLINE="sh bench/run.sh $*"
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-u) USERS=$2; shift 2 ;;
	-T) BUDGET=$2; shift 2 ;;
	-L) LONG=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--no-install) INSTALL=0; shift ;;
	--keep) KEEP=1; shift ;;
	-h|--help) sed -n '2,28p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac

say() { echo "bench: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: run as root (it installs packages, mounts a tmpfs and" \
	    "runs each agent as its own unprivileged user)" >&2
	exit 2
fi

# ---- outside the namespace: packages and the build ------------------------
if [ -z "${DEPUTY_BENCH_NS:-}" ]; then
	if [ "$INSTALL" -eq 1 ]; then
		say "installing packages (scripts/packages/bench.txt)"
		tries=0
		until sh "$top/scripts/install-deps.sh" bench; do
			tries=$((tries + 1))
			[ $tries -lt 30 ] || { say "install-deps failed"; exit 1; }
			sleep 5	# another apt may hold the lock
		done
		if [ ! -f "$top/Makefile" ]; then
			sh "$top/scripts/install-deps.sh" build
		fi
	fi
	say "building deputy"
	BUILD_NOTE=""
	if [ -f "$top/Makefile" ]; then
		make -s -C "$top" >"/tmp/deputy-bench-build.$$" 2>&1 ||
		    BUILD_NOTE="make failed ($(grep -m1 -i 'error' "/tmp/deputy-bench-build.$$" | head -c 200)); the deputy-lda already built was measured"
	else
		sh "$top/scripts/build.sh" >"/tmp/deputy-bench-build.$$" 2>&1 ||
		    BUILD_NOTE="the build failed; the deputy-lda already built was measured"
	fi
	[ -z "$BUILD_NOTE" ] || { say "$BUILD_NOTE"; tail -5 "/tmp/deputy-bench-build.$$" >&2; }
	rm -f "/tmp/deputy-bench-build.$$"
	[ -x "$top/deputy-lda" ] || { say "no deputy-lda after the build"; exit 1; }
	DEPUTY_BENCH_NS=1
	export DEPUTY_BENCH_NS CMDLINE BUILD_NOTE
	exec unshare --mount --propagation private -- sh "$0" --no-install \
	    -n "$N" -u "$USERS" -T "$BUDGET" -L "$LONG" -o "$OUT" \
	    $( [ "$KEEP" -eq 1 ] && echo --keep )
fi

# ---- inside the private mount namespace -----------------------------------
DEPUTY_SRC=$top/deputy-lda
CORPUS=$(cd "$top/../shared/corpus" 2>/dev/null && pwd) || {
	say "no corpus at $top/../shared/corpus"; exit 1; }
T=$(mktemp -d /tmp/deputy-bench.XXXXXX)
SLAPD_PID=
DEPUTYD_PID= DEPUTYD2_PID= DEPUTYD3_PID= DOVECOT_PID= SINK_PID=
stop_pid() {	# stop_pid PID: TERM, wait up to 10 s, KILL
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
}

cleanup() {
	set +e
	for p in $DEPUTYD_PID $DEPUTYD2_PID $DEPUTYD3_PID $DOVECOT_PID $SINK_PID; do
		stop_pid "$p"
	done
	if [ -n "$SLAPD_PID" ]; then
		kill "$SLAPD_PID" 2>/dev/null
		i=0
		while kill -0 "$SLAPD_PID" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$SLAPD_PID" 2>/dev/null
	fi
	if [ "$KEEP" -eq 1 ]; then
		say "kept $T (a tmpfs in a namespace that ends now: copied to $T.kept)"
		cp -a "$T" "$T.kept" 2>/dev/null
	fi
	umount /usr/sbin/sendmail 2>/dev/null || umount /usr/sbin 2>/dev/null
	umount /etc/group /etc/passwd 2>/dev/null
	umount "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mount -t tmpfs -o mode=755 tmpfs "$T"
started=$(date +%s)

# ---- tools of our own ------------------------------------------------------
mkdir -p "$T/bin"
for p in harness floor sendmail-stub; do
	cc -O2 -o "$T/bin/$p" "$here/$p.c"
done
cc -O2 -I"$top" -I"$top/lib" -o "$T/bin/lmtp-load" "$here/lmtp-load.c" \
    "$top/lib/relay.c"
H=$T/bin/harness
# the binaries under test are copied, so a rebuild of the tree during the
# run cannot swap them halfway (deputy-lda execs its sibling
# deputy-deliver when no deputyd is there)
cp "$DEPUTY_SRC" "$top/deputy-deliver" "$top/deputyd" "$T/bin/"
DEPUTY=$T/bin/deputy-lda
DEPUTY_BUILD="$(sed -n 's/^CFLAGS = //p' "$top/Makefile" 2>/dev/null | head -1)"
DEPUTY_BUILD="CFLAGS ${DEPUTY_BUILD:-unknown}, $(ldd "$DEPUTY" | grep -c '=>') shared libraries"
if nm "$DEPUTY" 2>/dev/null | grep -q '__asan_init\|__ubsan_handle\|__tsan_init'; then
	DEPUTY_BUILD="$DEPUTY_BUILD; **built with sanitizers: the figures are not representative**"
fi

# ---- users: nobody for deputy, gnarwl and the floor; alice for the agents
# that run as the mailbox owner (vacation, dovecot-lda)
NOBODY_UID=$(id -u nobody)
NOGROUP_GID=$(getent group nogroup | cut -d: -f3)
ALICE_UID=60100
while getent passwd "$ALICE_UID" >/dev/null || getent group "$ALICE_UID" >/dev/null; do
	ALICE_UID=$((ALICE_UID + 1))
done
ALICE_GID=$ALICE_UID
mkdir -p "$T/etc" "$T/home/alice"
cp /etc/passwd "$T/etc/passwd"; cp /etc/group "$T/etc/group"
if ! getent passwd alice >/dev/null; then
	echo "alice:x:$ALICE_UID:$ALICE_GID:Alice Smith:$T/home/alice:/usr/sbin/nologin" >>"$T/etc/passwd"
	echo "alice:x:$ALICE_GID:" >>"$T/etc/group"
else
	# an alice exists here already: replace her in the private copy
	grep -v '^alice:' /etc/passwd >"$T/etc/passwd"
	grep -v '^alice:' /etc/group >"$T/etc/group"
	echo "alice:x:$ALICE_UID:$ALICE_GID:Alice Smith:$T/home/alice:/usr/sbin/nologin" >>"$T/etc/passwd"
	echo "alice:x:$ALICE_GID:" >>"$T/etc/group"
fi
mount --bind "$T/etc/passwd" /etc/passwd
mount --bind "$T/etc/group" /etc/group

# ---- directory data: one LDIF for slapd, gnarwl and deputy's LDIF backend --
absence_b64() {
	printf 'BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nEND:VEVENT\r\n' \
	    "$1" "$2" | base64 -w0
}
mkdir -p "$T/ldap/db"
FROM=$(date -u -d yesterday +%Y%m%d)
UNTIL=$(date -u -d '+14 days' +%Y%m%d)
REPLY_TEXT="I am out of the office until $(date -u -d '+14 days' +%Y-%m-%d). Bob Jones (bob@example.org) is covering for me."
{
	cat <<LDIF
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
objectClass: benchMailAliases
objectClass: Vacation
uid: alice
cn: Alice Smith
sn: Smith
mail: alice@example.org
mailAlternateAddress: a.smith@example.org
displayName: Alice Smith
deputyDelegate: uid=bob,ou=people,dc=example,dc=org
deputyAbsence:: $(absence_b64 "$FROM" "$UNTIL")
vacationActive: TRUE
vacationStart: $FROM
vacationEnd: $UNTIL
vacationForward: bob@example.org
vacationInfo: $REPLY_TEXT

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob Jones
sn: Jones
mail: bob@example.org

dn: uid=erin,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: erin
cn: Erin Example
sn: Example
mail: erin@example.org
LDIF
	i=1
	while [ $i -le "$USERS" ]; do
		printf '\ndn: uid=user%d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nobjectClass: benchMailAliases\nuid: user%d\ncn: User %d\nsn: %d\nmail: user%d@example.org\nmailAlternateAddress: u%d@example.org\n' \
		    $i $i $i $i $i $i
		i=$((i + 1))
	done
} >"$T/ldap/data.ldif"

# ---- schemas --------------------------------------------------------------
# deputy's own schema when the tree has it; else the attributes DESIGN.md
# names, under a private 2.25 arc
ARC=2.25.98741395725038402837151183290651234
if [ -f "$top/directory/deputy.schema" ]; then
	cp "$top/directory/deputy.schema" "$T/ldap/deputy.schema"
	DEPUTY_SCHEMA="directory/deputy.schema"
else
	DEPUTY_SCHEMA="none in the tree: the benchmark's own definitions"
	cat >"$T/ldap/deputy.schema" <<SCHEMA
attributetype ( $ARC.1.1 NAME 'deputyAbsence'
	EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( $ARC.1.2 NAME 'deputyDelegate'
	EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( $ARC.1.3 NAME 'deputyNotice'
	EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( $ARC.1.4 NAME 'deputyTemplate'
	EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( $ARC.2.1 NAME 'deputyUser' AUXILIARY
	MAY ( deputyAbsence \$ deputyDelegate \$ deputyNotice \$ deputyTemplate ) )
SCHEMA
fi
{
	for a in mailAlternateAddress mailLocalAddress; do
		n=$([ $a = mailAlternateAddress ] && echo 1 || echo 2)
		grep -qi "NAME *'$a'" "$T/ldap/deputy.schema" ||
		    printf "attributetype ( %s.3.%s NAME '%s'\n\tEQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch\n\tSYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )\n" "$ARC" "$n" "$a"
	done
	cat <<SCHEMA
objectclass ( $ARC.4.1 NAME 'benchMailAliases' AUXILIARY
	MAY ( mailAlternateAddress \$ mailLocalAddress ) )
SCHEMA
} >"$T/ldap/aliases.schema"
# gnarwl's attributes (Debian ships no schema for them; names from
# /usr/share/doc/gnarwl/example.ldif and /etc/gnarwl.cfg)
cat >"$T/ldap/gnarwl.schema" <<SCHEMA
attributetype ( $ARC.5.1 NAME 'vacationActive'
	EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
attributetype ( $ARC.5.2 NAME 'vacationInfo'
	EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( $ARC.5.3 NAME 'vacationStart'
	EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( $ARC.5.4 NAME 'vacationEnd'
	EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( $ARC.5.5 NAME 'vacationForward'
	EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )
objectclass ( $ARC.6.1 NAME 'Vacation' AUXILIARY
	MAY ( vacationActive \$ vacationInfo \$ vacationStart \$ vacationEnd \$ vacationForward ) )
SCHEMA

cat >"$T/ldap/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $T/ldap/deputy.schema
include $T/ldap/aliases.schema
include $T/ldap/gnarwl.schema
pidfile $T/ldap/slapd.pid
argsfile $T/ldap/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw bench
directory $T/ldap/db
maxsize 268435456
index objectClass eq
index mail,mailAlternateAddress,mailLocalAddress,uid eq
CONF
slapadd -q -f "$T/ldap/slapd.conf" -l "$T/ldap/data.ldif" 2>"$T/ldap/slapadd.log" || {
	say "slapadd failed:"; cat "$T/ldap/slapadd.log" >&2; exit 1; }

# slapd on 127.0.0.1 (gnarwl) and 127.0.0.2 (deputy), so the stats log
# tells whose requests are whose; -d 256 keeps it in the foreground with
# the stats log on stderr
port=$((31000 + $$ % 1000))
for attempt in 1 2 3 4 5; do
	slapd -f "$T/ldap/slapd.conf" -h "ldap://127.0.0.1:$port/ ldap://127.0.0.2:$port/" \
	    -d 256 2>"$T/ldap/slapd.log" &
	SLAPD_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$SLAPD_PID" 2>/dev/null || break
		ldapsearch -x -H "ldap://127.0.0.1:$port/" -b dc=example,dc=org \
		    -s base dn >/dev/null 2>&1 && break
		sleep 0.1; i=$((i + 1))
	done
	kill -0 "$SLAPD_PID" 2>/dev/null && break
	SLAPD_PID=
	port=$((port + 7))
done
[ -n "$SLAPD_PID" ] || { say "slapd did not start:"; tail "$T/ldap/slapd.log" >&2; exit 1; }
LDAP1=ldap://127.0.0.1:$port/
LDAP2=ldap://127.0.0.2:$port/
say "slapd pid $SLAPD_PID on port $port"

# ---- messages ------------------------------------------------------------
say "preparing $N messages"
mkdir -p "$T/msg"
NC=$(( (N + 1) / 2 ))
NG=$(( N - NC ))
tail -n +2 "$CORPUS/labels.tsv" | cut -f1,2 >"$T/corpus.list"
DATE=$(date -R)
RUNID=$(date +%s)
# One awk pass writes every message and the manifest (FILE<TAB>SENDER).
# Corpus messages lose any Return-Path and get "Delivered-To" and
# "Return-Path" prepended, as Postfix's pipe flags DR do; the envelope
# sender is the old Return-Path, else the From address, and <> for
# bounces. Generated mail: personal notes to alice (some to her alias,
# some with her in Cc) from 300 senders at 37 domains, authenticated
# (SPF and DKIM pass from mx.example.org) and scored as ham.
awk -v N="$N" -v NC="$NC" -v NG="$NG" -v dir="$T/msg" -v corpus="$CORPUS" \
    -v date="$DATE" -v runid="$RUNID" -F '\t' '
function addr(s,   a) {
	if (match(s, /<[^>]*>/)) return substr(s, RSTART + 1, RLENGTH - 2)
	if (match(s, /[^ \t<>,"]+@[^ \t<>,"]+/)) return substr(s, RSTART, RLENGTH)
	return ""
}
BEGIN { L = 0 }
{ files[L] = $1; cats[L] = $2; L++ }
END {
	split("the meeting draft contract budget figures report slides " \
	    "review Monday Tuesday call client project schedule please " \
	    "thanks attached numbers quarter plan update notes lunch", w, " ")
	nw = 0; for (x in w) nw++
	ci = 0; gi = 0
	for (i = 0; i < N; i++) {
		out = sprintf("%s/%05d.eml", dir, i)
		if ((i % 2 == 0 && ci < NC) || gi >= NG) {
			j = (ci * 7919) % L; ci++
			path = corpus "/" files[j]
			sender = ""; from = ""; inhdr = 1; n = 0; cont = 0
			while ((getline line < path) > 0) {
				if (inhdr) {
					if (line == "" || line == "\r") inhdr = 0
					else if (line ~ /^[ \t]/) { if (cont) continue }
					else if (tolower(line) ~ /^return-path:/) {
						cont = 1; sender = addr(line); continue
					} else {
						cont = 0
						if (from == "" && tolower(line) ~ /^from:/) from = addr(line)
					}
				}
				body[n++] = line
			}
			close(path)
			if (sender == "") sender = from
			if (cats[j] == "bounce") sender = ""
			printf "Delivered-To: alice@example.org\nReturn-Path: <%s>\n", sender > out
			for (k = 0; k < n; k++) print body[k] > out
			close(out)
		} else {
			s = gi % 300; d = s % 37; g = gi; gi++
			sender = sprintf("user%d@partner%d.example.net", s, d)
			printf "Delivered-To: alice@example.org\nReturn-Path: <%s>\n", sender > out
			printf "Received: from mail.partner%d.example.net (mail.partner%d.example.net [192.0.2.%d])\n\tby mx.example.org (Postfix) with ESMTPS id %X\n\tfor <alice@example.org>; %s\n", d, d, d + 1, 4096 + g, date > out
			printf "Authentication-Results: mx.example.org;\n\tspf=pass smtp.mailfrom=partner%d.example.net;\n\tdkim=pass header.d=partner%d.example.net header.s=s1\n", d, d > out
			printf "X-Spam-Status: No, score=-0.4 required=5.0\nX-Spam-Score: -0.4\n" > out
			printf "From: Sender %d <%s>\n", s, sender > out
			if (g % 10 == 0) printf "To: a.smith@example.org\n" > out
			else if (g % 10 == 1) printf "To: Carol <carol@partner%d.example.net>\nCc: Alice Smith <alice@example.org>\n", d > out
			else printf "To: Alice Smith <alice@example.org>\n" > out
			printf "Subject: %s %s (%d)\nDate: %s\nMessage-ID: <gen.%d.%s@partner%d.example.net>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nHello Alice,\n\n", w[1 + g % nw], w[1 + (g * 7) % nw], g, date, g, runid, d > out
			lines = 3 + (g * 13) % 30
			for (k = 0; k < lines; k++) {
				t = ""
				for (m = 0; m < 10; m++) t = t " " w[1 + (g + k * 11 + m * 5) % nw]
				print substr(t, 2) "." > out
			}
			printf "\nRegards,\nSender %d\n", s > out
			close(out)
		}
		printf "%s\t%s\n", out, sender > (dir "/../manifest.tsv")
	}
}' "$T/corpus.list"
MSG_BYTES=$(cat "$T"/msg/*.eml | wc -c)

# ---- peers -----------------------------------------------------------------
PEERS=$T/peers.tsv
: >"$PEERS"
ENV0="PATH=/usr/bin:/bin"
mkpeerdir() {	# mkpeerdir NAME OWNER: $T/NAME with bin/sendmail and sent/
	mkdir -p "$T/$1/bin" "$T/$1/sent"
	cp "$T/bin/sendmail-stub" "$T/$1/bin/sendmail"
	chown -R "$2" "$T/$1"
}
addpeer() {	# addpeer NAME UID GID ENV ARGV...
	name=$1 uid=$2 gid=$3 env=$4; shift 4
	line="$name	$uid	$gid	$env"
	for a in "$@"; do line="$line	$a"; done
	echo "$line" >>"$PEERS"
}
smoke() {	# smoke NAME: run peer NAME on the first generated message
	grep "^$1	" "$PEERS" >"$T/smoke-$1.tsv"
	# the first generated message is manifest line 2
	sed -n 2p "$T/manifest.tsv" >"$T/smoke-$1.m"
	"$H" run -p "$T/smoke-$1.tsv" -m "$T/smoke-$1.m" -o "$T/smoke-$1.out" -k 30
	[ "$(cut -f6 "$T/smoke-$1.out")" = 0 ]
}
dropped=""
drop() {	# drop NAME WHY: remove a peer that does not work here
	grep -v "^$1	" "$PEERS" >"$PEERS.new" || true
	mv "$PEERS.new" "$PEERS"
	dropped="$dropped
- $1: left out, $2"
	say "$1 left out: $2"
}

deputy_conf() {	# deputy_conf DIR DIRECTORY-SECTION
	cat >"$1/deputy.conf" <<CONF
directory {
$2
}
delivery {
	maildir = "$1/mail/%d/%l/Maildir"
	spool_dir = "$1/spool"
	deadline = 60
}
submission {
	sendmail = "$1/bin/sendmail"
	timeout = 10
	hostname = "mx.example.org"
}
state {
	path = "$1/state.lmdb"
}
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
log {
	file = "$1/log"
}
CONF
	mkdir -p "$1/mail" "$1/spool"
	chown -R nobody:nogroup "$1"
}

# (a) deputy-lda, LDIF backend
mkpeerdir deputy-ldif nobody:nogroup
deputy_conf "$T/deputy-ldif" "	backend = \"ldif\"
	ldif_file = \"$T/ldap/data.ldif\""
addpeer deputy-ldif "$NOBODY_UID" "$NOGROUP_GID" "$ENV0" "$DEPUTY" \
    -c "$T/deputy-ldif/deputy.conf" -f "{sender}" -- alice@example.org

# (a') deputy-lda, LDAP backend on the same slapd, when it exists and works
LDAP_NOTE=""
mkpeerdir deputy-ldap nobody:nogroup
deputy_conf "$T/deputy-ldap" "	backend = \"ldap\"
	uri = {\"$LDAP2\"}
	base = \"dc=example,dc=org\"
	tls = \"none\""
addpeer deputy-ldap "$NOBODY_UID" "$NOGROUP_GID" "$ENV0" "$DEPUTY" \
    -c "$T/deputy-ldap/deputy.conf" -f "{sender}" -- alice@example.org
if [ ! -f "$top/directory/dir-ldap.c" ]; then
	drop deputy-ldap "directory/dir-ldap.c is not in the tree yet"
	LDAP_NOTE="directory/dir-ldap.c is not in the tree yet"
elif ! smoke deputy-ldap; then
	LDAP_NOTE="the LDAP backend did not deliver the smoke message: $(head -c 300 "$T/deputy-ldap.out" 2>/dev/null | tr '\n' ' ')"
	drop deputy-ldap "$LDAP_NOTE"
elif [ "$(grep -c 'away=yes' "$T/deputy-ldap/log" 2>/dev/null)" -lt 1 ]; then
	LDAP_NOTE="the LDAP backend ran but did not find alice away: $(tail -1 "$T/deputy-ldap/log" | head -c 300)"
	drop deputy-ldap "$LDAP_NOTE"
fi

# (a'') deputy-lda handing each message to a running deputyd (LDIF,
# two workers, forwards reinjected over SMTP into a sink standing in for
# the MTA's reinjection port, as a busy site runs it)
free_port() {
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
	while ss -Htan "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}
SINK_PORT=$(free_port)
smtp-sink -u nobody 127.0.0.1:"$SINK_PORT" 256 >/dev/null 2>&1 &
SINK_PID=$!
deputyd_conf() {	# deputyd_conf DIR [DOWNSTREAM]: a deputyd config in DIR
	deputy_conf "$1" "	backend = \"ldif\"
	ldif_file = \"$T/ldap/data.ldif\""
	sed -i "s|^submission {|submission {\n\tsmtp = \"127.0.0.1:$SINK_PORT\"|" "$1/deputy.conf"
	[ -z "${2:-}" ] || sed -i "s|^delivery {|delivery {\n\tlmtp = \"$2\"|" "$1/deputy.conf"
	printf 'daemon {\n\tlisten = {"unix:%s/lmtp"}\n\tsocket_mode = "0666"\n\tworkers = 2\n}\n' "$1" >>"$1/deputy.conf"
	chown -R nobody:nogroup "$1"
}
start_deputyd() {	# start_deputyd DIR: prints its pid once its socket is there
	setpriv --reuid="$NOBODY_UID" --regid="$NOGROUP_GID" --clear-groups \
	    --reset-env -- "$T/bin/deputyd" -c "$1/deputy.conf" >"$1/deputyd.out" 2>&1 &
	echo $!
	i=0
	while [ ! -S "$1/lmtp" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
mkpeerdir deputy-pipe nobody:nogroup
deputyd_conf "$T/deputy-pipe"
DEPUTYD_PID=$(start_deputyd "$T/deputy-pipe")
addpeer deputy-pipe "$NOBODY_UID" "$NOGROUP_GID" "$ENV0" "$DEPUTY" \
    -c "$T/deputy-pipe/deputy.conf" -f "{sender}" -- alice@example.org

# (b) gnarwl, anonymous searches of the same slapd
mkpeerdir gnarwl nobody:nogroup
mkdir -p "$T/gnarwl/block"
cp /var/lib/gnarwl/badheaders.db /var/lib/gnarwl/blacklist.db \
    /var/lib/gnarwl/header.txt /var/lib/gnarwl/footer.txt "$T/gnarwl/"
cat >"$T/gnarwl/gnarwl.cfg" <<CONF
map_sender \$sender
map_receiver \$recepient
map_subject \$subject
map_field \$begin vacationStart
map_field \$end vacationEnd
map_field \$fullname cn
map_field \$deputy vacationForward
server_uri $LDAP1
scope sub
protocol 3
base dc=example,dc=org
queryfilter (&(mail=\$recepient)(vacationActive=TRUE))
result vacationInfo
blockfiles $T/gnarwl/block/
umask 0644
blockexpire 48
mta $T/gnarwl/bin/sendmail -F \$recepient
maxreceivers 64
maxheader 512
charset ISO8859-1
badheaders $T/gnarwl/badheaders.db
blacklist $T/gnarwl/blacklist.db
forceheader $T/gnarwl/header.txt
forcefooter $T/gnarwl/footer.txt
recvheader To Cc
loglevel 1
CONF
chown -R nobody:nogroup "$T/gnarwl"
addpeer gnarwl "$NOBODY_UID" "$NOGROUP_GID" "$ENV0" /usr/bin/gnarwl \
    -c "$T/gnarwl/gnarwl.cfg" -a alice@example.org -s "{sender}"

# (c) vacation(1) as alice, ~/.vacation.msg and ~/.vacation.db; it execs
# /usr/sbin/sendmail, so a stub is bind-mounted there in this namespace
mkpeerdir vacation "$ALICE_UID:$ALICE_GID"
cat >"$T/home/alice/.vacation.msg" <<MSG
From: Alice Smith <alice@example.org>
Subject: Away: \$SUBJECT
Precedence: bulk
Auto-Submitted: auto-replied

$REPLY_TEXT
MSG
if [ -e /usr/sbin/sendmail ]; then
	mount --bind "$T/vacation/bin/sendmail" /usr/sbin/sendmail
else
	mkdir -p "$T/sbin-over"
	cp "$T/vacation/bin/sendmail" "$T/sbin-over/sendmail"
	mount -t overlay overlay -o "lowerdir=$T/sbin-over:/usr/sbin" /usr/sbin
fi
chown -R "$ALICE_UID:$ALICE_GID" "$T/home/alice"
VENV="$ENV0;HOME=$T/home/alice;USER=alice;LOGNAME=alice;BENCH_SENT_DIR=$T/vacation/sent"
( cd "$T/home/alice" && setpriv --reuid="$ALICE_UID" --regid="$ALICE_GID" --clear-groups \
    env -i HOME="$T/home/alice" USER=alice /usr/bin/vacation -i ) ||
    say "vacation -i failed"
addpeer vacation "$ALICE_UID" "$ALICE_GID" "$VENV" /usr/bin/vacation \
    -a a.smith alice

# (d) dovecot-lda + Pigeonhole vacation, as alice, no -d (no auth lookup)
mkpeerdir dovecot "$ALICE_UID:$ALICE_GID"
DH=$T/dovecot/home
mkdir -p "$DH/sieve" "$T/dovecot/run" "$T/dovecot/state"
cat >"$DH/sieve/vacation.sieve" <<SIEVE
require "vacation";
vacation :days 7 :addresses ["alice@example.org", "a.smith@example.org"]
  :subject "Out of office"
  "$REPLY_TEXT";
SIEVE
ln -s sieve/vacation.sieve "$DH/.dovecot.sieve"
cat >"$T/dovecot/dovecot.conf" <<CONF
log_path = $T/dovecot/dovecot.log
base_dir = $T/dovecot/run
state_dir = $T/dovecot/state
ssl = no
protocols =
mail_location = maildir:~/Maildir
sendmail_path = $T/dovecot/bin/sendmail
postmaster_address = postmaster@example.org
hostname = mx.example.org
protocol lda {
  mail_plugins = sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
CONF
chown -R "$ALICE_UID:$ALICE_GID" "$T/dovecot"
addpeer dovecot-pigeonhole "$ALICE_UID" "$ALICE_GID" \
    "$ENV0;HOME=$DH;USER=alice;LOGNAME=alice" /usr/lib/dovecot/dovecot-lda \
    -c "$T/dovecot/dovecot.conf" -f "{sender}" -a alice@example.org

# (e) the floor
addpeer floor "$NOBODY_UID" "$NOGROUP_GID" "-" "$T/bin/floor"

for p in deputy-ldif deputy-pipe gnarwl vacation dovecot-pigeonhole floor; do
	smoke "$p" || drop "$p" "its smoke run failed: $(head -c 300 "$T/$p.out" 2>/dev/null | tr '\n' ' ')"
done
grep -q '^deputy-ldif	' "$PEERS" || { say "deputy-ldif does not work; stopping"; exit 1; }
# the smoke runs leave state (a reply sent, a block file): start afresh
for d in deputy-ldif deputy-ldap deputy-pipe gnarwl vacation dovecot; do
	rm -rf "$T/$d/sent/"* "$T/$d/mail/"* "$T/$d/spool/"* "$T/$d/state.lmdb"* "$T/$d/log" "$T/$d/block/"*
done
rm -rf "$DH/Maildir" "$DH"/.dovecot.lda-dupes* "$T/home/alice/.vacation.db"
( cd "$T/home/alice" && setpriv --reuid="$ALICE_UID" --regid="$ALICE_GID" --clear-groups \
    env -i HOME="$T/home/alice" USER=alice /usr/bin/vacation -i ) || true
rm -f "$T"/*.out
LOGSTART=$(wc -l <"$T/ldap/slapd.log")

# ---- main run ----------------------------------------------------------------
NPEERS=$(grep -c . "$PEERS")
say "main run: $N messages x $NPEERS peers ($(cut -f1 "$PEERS" | tr '\n' ' '))"
t0=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
"$H" run -p "$PEERS" -m "$T/manifest.tsv" -o "$T/results.tsv" -T "$BUDGET" -k 60 \
    2>"$T/harness.err" || true
t1=$(date +%s)
LOGEND=$(wc -l <"$T/ldap/slapd.log")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
# what each peer did, before the size runs add to it
cnt() { n=$(grep -c "$1" "$2" 2>/dev/null) || true; echo "${n:-0}"; }
count_files() { find "$1" -type f -path "$2" 2>/dev/null | wc -l; }
for p in deputy-ldif deputy-ldap deputy-pipe; do
	printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$(cnt ' mailbox=delivered' "$T/$p/log")" \
	    "$(cnt ' forward=[a-z0-9]' "$T/$p/log")" "$(cnt ' notice=due' "$T/$p/log")" \
	    "$(count_files "$T/$p/sent" '*.argv')"
done >"$T/did.tsv"
printf 'gnarwl\t-\t-\t-\t%s\n' "$(count_files "$T/gnarwl/sent" '*.argv')" >>"$T/did.tsv"
printf 'vacation\t-\t-\t-\t%s\n' "$(count_files "$T/vacation/sent" '*.argv')" >>"$T/did.tsv"
printf 'dovecot-pigeonhole\t%s\t-\t-\t%s\n' \
    "$(( $(count_files "$DH/Maildir" '*/new/*') + $(count_files "$DH/Maildir" '*/cur/*') ))" \
    "$(count_files "$T/dovecot/sent" '*.argv')" >>"$T/did.tsv"
DONE=$(awk -F '\t' '$1 == "deputy-ldif"' "$T/results.tsv" | wc -l)
say "main run: $DONE messages in $((t1 - t0)) s"

# ---- resident servers over LMTP ----------------------------------------------
# The same messages to alice over one kept-open LMTP connection per core,
# as Postfix's lmtp client sends them: deputyd (Maildir), Dovecot's LMTP
# with the same Pigeonhole vacation as dovecot-lda, and deputyd storing
# through that Dovecot LMTP. Each gets a quarter of the messages in turn,
# four rounds, so that drift is shared out.
say "LMTP: deputyd, Dovecot LMTP + Pigeonhole, deputyd in front of Dovecot"
LM=$T/lmtp
mkdir -p "$LM"
: >"$LM/results.tsv"
mkpeerdir deputyd-lmtp nobody:nogroup
deputyd_conf "$T/deputyd-lmtp"
DEPUTYD2_PID=$(start_deputyd "$T/deputyd-lmtp")
# Dovecot's LMTP, as root with alice's mail uid, the dovecot-lda peer's
# home, script and stub sendmail
DL=$T/dovecot-lmtp
mkdir -p "$DL/run" "$DL/state"
echo "alice@example.org:{PLAIN}x:$ALICE_UID:$ALICE_GID::$DH::" >"$DL/users"
cat >"$DL/dovecot.conf" <<CONF
base_dir = $DL/run
state_dir = $DL/state
instance_name = deputy-bench-lmtp
protocols = lmtp
listen = 127.0.0.1
ssl = no
log_path = $DL/dovecot.log
hostname = mx.example.org
postmaster_address = postmaster@example.org
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
first_valid_uid = 1
sendmail_path = $T/dovecot/bin/sendmail
protocol lmtp {
  mail_plugins = sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
passdb {
  driver = passwd-file
  args = username_format=%u $DL/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DL/users
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
CONF
/usr/sbin/dovecot -F -c "$DL/dovecot.conf" >"$DL/out" 2>&1 &
DOVECOT_PID=$!
i=0; while [ ! -S "$DL/run/lmtp" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkpeerdir deputyd-dovecot nobody:nogroup
deputyd_conf "$T/deputyd-dovecot" "unix:$DL/run/lmtp"
DEPUTYD3_PID=$(start_deputyd "$T/deputyd-dovecot")
NL=$DONE
[ "$NL" -ge 4 ] || NL=4
q=$((NL / 4))
for round in 1 2 3 4; do
	for peer in deputyd-lmtp:$T/deputyd-lmtp/lmtp dovecot-lmtp:$DL/run/lmtp \
	    deputyd-dovecot:$T/deputyd-dovecot/lmtp; do
		name=${peer%%:*} addr=${peer#*:}
		# messages (round-1)*q .. round*q-1 of the manifest
		sed -n "$(( (round - 1) * q + 1 )),$(( round * q ))p" "$T/manifest.tsv" >"$LM/m.tsv"
		"$T/bin/lmtp-load" -a "$addr" -m "$LM/m.tsv" -r alice@example.org \
		    -n "$q" -c "$(nproc)" -p "$name" -o "$LM/results.tsv" 2>>"$LM/errors" || true
	done
done
for p in deputyd-lmtp deputyd-dovecot; do
	printf '%s\t%s\t%s\n' "$p" "$(cnt ' mailbox=delivered' "$T/$p/log")" \
	    "$(cnt ' forward=[a-z0-9]' "$T/$p/log")"
done >"$LM/did.tsv"
printf 'dovecot-lmtp\t%s\t-\n' "$(cnt 'stored mail into\|saved mail to' "$DL/dovecot.log")" >>"$LM/did.tsv"
"$H" stats -o "$LM/results.tsv" -r deputyd-lmtp -t >"$LM/stats.tsv"

# RSS of deputyd's workers over a long run: LONG messages (a generated
# personal message to alice, forwarded) through one connection per core
RSS_NOTE=""
if [ "$LONG" -gt 0 ]; then
	say "deputyd: $LONG messages, workers' RSS sampled"
	rss_of() { for w in $(pgrep -P "$DEPUTYD2_PID"); do awk '/^VmRSS/ { print $2 }' "/proc/$w/status"; done | sort -n | tail -1; }
	grep -v '/corpus' "$T/manifest.tsv" | head -50 >"$LM/long.tsv"
	: >"$LM/long-results.tsv"
	: >"$LM/rss.tsv"
	step=$((LONG / 10))
	[ "$step" -ge 1 ] || step=1
	done_n=0
	printf '%s\t%s\n' 0 "$(rss_of)" >>"$LM/rss.tsv"
	t_long=$(date +%s)
	while [ "$done_n" -lt "$LONG" ]; do
		"$T/bin/lmtp-load" -a "$T/deputyd-lmtp/lmtp" -m "$LM/long.tsv" \
		    -r alice@example.org -n "$step" -c "$(nproc)" -p long \
		    -o "$LM/long-results.tsv" 2>>"$LM/errors" || true
		done_n=$((done_n + step))
		printf '%s\t%s\n' "$done_n" "$(rss_of)" >>"$LM/rss.tsv"
		# the Maildir fills the tmpfs: empty it between steps
		rm -rf "$T/deputyd-lmtp/mail/example.org/alice/Maildir/new"
	done
	LONG_SECS=$(( $(date +%s) - t_long ))
fi
stop_pid "$DEPUTYD3_PID"

# ---- memory against message size ------------------------------------------------
say "memory against message size"
mkdir -p "$T/size"
: >"$T/size/manifest.tsv"
for spec in 1K:1024 100K:102400 1M:1048576 10M:10485760 50M:52428800; do
	label=${spec%%:*} bytes=${spec#*:}
	f=$T/size/$label.eml
	{
		printf 'Delivered-To: alice@example.org\nReturn-Path: <user1@partner1.example.net>\n'
		printf 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=partner1.example.net\n'
		printf 'X-Spam-Status: No, score=-0.4 required=5.0\n'
		printf 'From: Sender 1 <user1@partner1.example.net>\nTo: Alice Smith <alice@example.org>\n'
		printf 'Subject: %s attachment\nDate: %s\nMessage-ID: <size.%s.%s@partner1.example.net>\n' "$label" "$DATE" "$label" "$RUNID"
		printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b0"\n\n--b0\nContent-Type: text/plain\n\nThe file is attached.\n\n--b0\nContent-Type: application/octet-stream; name="%s.bin"\nContent-Transfer-Encoding: base64\n\n' "$label"
	} >"$f"
	head_bytes=$(wc -c <"$f")
	want=$((bytes - head_bytes - 8))
	[ $want -gt 0 ] || want=1
	# base64 of k bytes is 4k/3 plus a newline per 76 characters
	head -c $((want * 57 / 78)) /dev/urandom | base64 -w 76 >>"$f"
	printf '\n--b0--\n' >>"$f"
	for r in 1 2 3; do printf '%s\tuser1@partner1.example.net\n' "$f" >>"$T/size/manifest.tsv"; done
done
grep -E '^(deputy-ldif|deputy-ldap|floor)	' "$PEERS" >"$T/size/peers.tsv"
# deliveries of the main run are not needed any more; free the tmpfs
rm -rf "$T/deputy-ldif/mail" "$T/deputy-ldap/mail" "$T"/*/sent/*.eml
mkdir -p "$T/deputy-ldif/mail" "$T/deputy-ldap/mail"
chown nobody:nogroup "$T/deputy-ldif/mail" "$T/deputy-ldap/mail"
"$H" run -p "$T/size/peers.tsv" -m "$T/size/manifest.tsv" -o "$T/size/results.tsv" -k 120 ||
    true

# ---- stop slapd, count LDAP requests --------------------------------------------
kill "$SLAPD_PID"
i=0
while kill -0 "$SLAPD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 "$SLAPD_PID" 2>/dev/null || true
wait "$SLAPD_PID" 2>/dev/null || true
SLAPD_PID=
# per listener: connections, searches, all operations (main run only)
sed -n "$((LOGSTART + 1)),${LOGEND}p" "$T/ldap/slapd.log" | awk -v p1="127.0.0.1:$port" -v p2="127.0.0.2:$port" '
{
	c = ""; for (i = 1; i <= NF; i++) if ($i ~ /^conn=/) { c = $i; break }
	if (c == "") next
}
/ ACCEPT from / {
	who = ""
	if (index($0, "(IP=" p1 ")")) who = "gnarwl"
	if (index($0, "(IP=" p2 ")")) who = "deputy-ldap"
	owner[c] = who; next
}
/ op=[0-9]+ (SRCH|BIND|UNBIND|EXT|CMP|MOD|ADD|DEL|MODRDN|ABANDON) / {
	# one operation logs several lines (SRCH base=, SRCH attr=, ...):
	# count each conn/op once, and a search by its "SRCH base=" line
	who = owner[c]
	# slapd -d writes from several threads to one stderr, and now and
	# then an ACCEPT line is garbled: then the search filter tells
	# (gnarwl always asks for vacationActive)
	if (who == "" && / SRCH base=/) {
		who = index($0, "vacationActive") ? "gnarwl" : "deputy-ldap"
		owner[c] = who
	}
	for (i = 1; i <= NF; i++) if ($i ~ /^op=/) break
	if (i >= NF) next
	if (!((c, $i) in seen)) { seen[c, $i] = 1; ops[who]++ }
	if ($(i + 1) == "SRCH" && $(i + 2) ~ /^base=/) {
		srch[who]++
		if ($(i + 3) ~ /^scope=/) scope[who "\t" substr($(i + 3), 7)]++
	}
}
END {
	for (c in owner) conns[owner[c]]++
	printf "gnarwl\t%d\t%d\t%d\n", conns["gnarwl"], srch["gnarwl"], ops["gnarwl"]
	printf "deputy-ldap\t%d\t%d\t%d\n", conns["deputy-ldap"], srch["deputy-ldap"], ops["deputy-ldap"]
	for (k in scope) printf "%s\t%d\n", k, scope[k] > "/dev/stderr"
}' >"$T/ldapcount.tsv" 2>"$T/ldapscope.tsv"

# ---- report ------------------------------------------------------------------------
"$H" stats -o "$T/results.tsv" -r deputy-ldif -t >"$T/stats.tsv"
stat_of() {	# stat_of PEER FIELD(2..11)
	awk -F '\t' -v p="$1" -v f="$2" '$1 == p { print $f }' "$T/stats.tsv"
}
runs_of() { awk -F '\t' -v p="$1" '$1 == p' "$T/results.tsv" | wc -l; }

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
REV=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
verdict() { if "$@"; then echo "met"; else echo "**not met**"; fi; }

TMP_OUT=$T/RESULTS.md
{
	echo "# deputy-lda benchmark results"
	echo
	echo "Written by \`bench/run.sh\`; method and goals in [README.md](README.md)."
	echo "Benchmarks, not tests: nothing here passes or fails a build."
	echo
	echo "| | |"
	echo "| --- | --- |"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
	echo "| command | \`$CMDLINE\` (as root) |"
	echo "| deputy | commit $REV$DIRTY, binary built $(date -u -r "$DEPUTY" '+%Y-%m-%d %H:%M UTC')${BUILD_NOTE:+; $BUILD_NOTE} |"
	echo "| machine | $(nproc) CPUs, $CPU, $MEM memory |"
	echo "| system | Debian $(cat /etc/debian_version 2>/dev/null), kernel $(uname -r) |"
	echo "| peers | gnarwl $(ver gnarwl), vacation $(ver vacation), dovecot-lda $(ver dovecot-core) with Pigeonhole $(ver dovecot-sieve), slapd $(ver slapd) |"
	echo "| messages | $N planned: $NC from ../shared/corpus (cycled over $(grep -c . "$T/corpus.list") files, every category), $NG generated personal mail to the away user; $MSG_BYTES bytes in all; $DONE run by every peer |"
	echo "| directory | alice (away, delegate bob), bob, erin and $USERS more people; one LDIF for slapd, gnarwl and deputy's LDIF backend; deputy schema: $DEPUTY_SCHEMA |"
	echo "| storage | everything on a tmpfs; each process gets the message file on stdin |"
	echo "| deputy build | $DEPUTY_BUILD |"
	echo "| load average | $LOAD_START before the main run, $LOAD_END after it (1, 5, 15 min); other work on the machine slows every peer alike, so read the ratios before the absolute figures |"
	echo "| open-file limit | $(ulimit -n) (RLIMIT_NOFILE inherited by every peer) |"
	echo "| total time | $(( $(date +%s) - started )) s |"
	echo
	echo "## Throughput, latency and memory, one process per message"
	echo
	echo "Each message is run through every peer in turn (the order rotates"
	echo "with each message). Time is wall time from fork to wait4; RSS is"
	echo "wait4's ru_maxrss (the agent, or a child it waited for if larger)."
	echo "The ratios are deputy-ldif's: throughput of deputy-ldif / the peer's,"
	echo "and the median over messages of (peer's time / deputy-ldif's time)"
	echo "for the same message: above 1, deputy is faster."
	echo
	"$H" stats -o "$T/results.tsv" -r deputy-ldif -f floor
	[ -z "$dropped" ] || { echo; echo "Left out of this run:$dropped"; }
	[ ! -s "$T/harness.err" ] || { echo; sed 's/^/    /' "$T/harness.err"; }
	echo
	echo "### What each peer did with the same messages"
	echo
	echo "| peer | runs | exit 0 | mailbox copies | forwards | replies to the sender |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for p in $(cut -f1 "$T/stats.tsv"); do
		r=$(runs_of "$p"); ok=$(awk -F '\t' -v p="$p" '$1 == p && $6 == "0"' "$T/results.tsv" | wc -l)
		d() { awk -F '\t' -v p="$p" -v f="$1" '$1 == p { print $f }' "$T/did.tsv"; }
		case $p in
		deputy-ldif|deputy-ldap)
			echo "| $p | $r | $ok | $(d 2) | $(d 3) | $(d 4) notices due; $(d 5) submissions in all (forwards and notices) |" ;;
		deputy-pipe)
			echo "| $p | $r | $ok | $(d 2) | $(d 3) | $(d 4) notices due; forwards reinjected over SMTP |" ;;
		gnarwl|vacation) echo "| $p | $r | $ok | (not its job) | (not its job) | $(d 5) |" ;;
		dovecot-pigeonhole) echo "| $p | $r | $ok | $(d 2) | (not configured) | $(d 5) |" ;;
		*) echo "| $p | $r | $ok | - | - | - |" ;;
		esac
	done
	echo
	echo "## Resident servers over LMTP"
	echo
	echo "The same messages to alice over one kept-open connection per CPU,"
	echo "in four rounds taken in turn: deputyd (LDIF, Maildir, forwards"
	echo "reinjected over SMTP), Dovecot's LMTP with the same Pigeonhole"
	echo "vacation as the dovecot-lda peer, and deputyd storing through that"
	echo "Dovecot LMTP. Time runs from MAIL to the last reply after the data."
	echo "Ratios are deputyd-lmtp's, as above."
	echo
	"$H" stats -o "$LM/results.tsv" -r deputyd-lmtp
	echo
	echo "| peer | mailbox copies | forwards |"
	echo "| --- | ---: | ---: |"
	awk -F '\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "$LM/did.tsv"
	[ ! -s "$LM/errors" ] || { echo; echo "Client errors:"; echo; sort "$LM/errors" | uniq -c | head -10 | sed 's/^/    /'; }
	if [ "$LONG" -gt 0 ]; then
		echo
		echo "### deputyd's workers over $LONG messages"
		echo
		echo "A generated personal message to alice (away: a Maildir copy and a"
		echo "forward each), $(nproc) connections, $LONG_SECS s in all; the"
		echo "largest VmRSS among the workers after each tenth:"
		echo
		echo "| messages | largest worker VmRSS KB |"
		echo "| ---: | ---: |"
		awk -F '\t' '{ printf "| %d | %d |\n", $1, $2 }' "$LM/rss.tsv"
		"$H" stats -o "$LM/long-results.tsv" -t >"$LM/long-stats.tsv" 2>/dev/null
		echo
		awk -F '\t' '{ printf "Over the whole run: %.1f messages/s, p50 %.2f ms, p99 %.2f ms.\n", $4, $5, $6 }' "$LM/long-stats.tsv"
	fi
	echo
	echo "## Memory against message size (deputy-lda)"
	echo
	echo "A personal message with one base64 attachment, three runs per size;"
	echo "peak is the largest ru_maxrss of the three, time the median."
	echo
	echo "| size | bytes | peer | peak RSS KB | median ms | exit 0 |"
	echo "| --- | ---: | --- | ---: | ---: | ---: |"
	for label in 1K 100K 1M 10M 50M; do
		f=$T/size/$label.eml
		for p in $(cut -f1 "$T/size/peers.tsv"); do
			grep "^$p	" "$T/size/results.tsv" | awk -F '\t' -v l="$label" -v p="$p" \
			    -v want="$(grep -n "/$label.eml	" "$T/size/manifest.tsv" | cut -d: -f1 | tr '\n' ' ')" '
			BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i] - 1] = 1 }
			ok[$2] { k++; t[k] = $4; if ($5 > rss) rss = $5; bytes = $3; if ($6 == "0") good++ }
			END {
				# median of three (or fewer) times
				for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
				printf "| %s | %d | %s | %d | %.1f | %d/%d |\n", l, bytes, p, rss, t[int((k + 1) / 2)] / 1000, good, k
			}'
		done
	done
	echo
	echo "## LDAP requests per message"
	echo
	echo "Counted from slapd's stats log (loglevel 256) of the main run;"
	echo "gnarwl reaches slapd on 127.0.0.1 and deputy on 127.0.0.2, so each"
	echo "connection is attributed by the address it came to."
	echo
	echo "| peer | messages | connections | searches | all operations | searches per message |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for p in gnarwl deputy-ldap; do
		r=$(runs_of "$p")
		if [ "$r" -gt 0 ]; then
			awk -F '\t' -v p="$p" -v r="$r" '$1 == p { printf "| %s | %d | %d | %d | %d | %.3f |\n", p, r, $2, $3, $4, $3 / r }' "$T/ldapcount.tsv"
		fi
	done
	if [ -s "$T/ldapscope.tsv" ]; then
		echo
		echo "Searches by scope (0: a read of one entry by its DN, such as a"
		echo "delegate's; 2: a subtree search, such as a lookup by address):"
		sort "$T/ldapscope.tsv" | awk -F '\t' '{ printf "%s%s scope=%s: %d", (NR > 1 ? "; " : ""), $1, $2, $3 } END { print "." }'
	fi
	if [ "$(runs_of deputy-ldap)" -eq 0 ]; then
		echo "| deputy-lda | $DONE | - | - | - | n/a: LDIF backend |"
		echo
		echo "deputy was measured with its LDIF backend only: $LDAP_NOTE."
	fi
	echo
	echo "## Goals"
	echo
	echo "| goal | measured | verdict |"
	echo "| --- | --- | --- |"
	lstat() { awk -F '\t' -v p="$1" -v f="$2" '$1 == p { print $f }' "$LM/stats.tsv"; }
	dl=$(lstat deputyd-lmtp 4); dv=$(lstat dovecot-lmtp 4)
	if [ -n "$dl" ] && [ -n "$dv" ]; then
		r=$(awk -v a="$dl" -v b="$dv" 'BEGIN { printf "%.2f", a / b }')
		echo "| deputyd over LMTP >= 2x Dovecot LMTP with Pigeonhole's vacation | ${r}x ($dl vs $dv messages/s) | $(verdict ge "$r" 2) |"
	fi
	pg=$(stat_of dovecot-pigeonhole 4)
	if [ -n "$dl" ] && [ -n "$pg" ]; then
		r=$(awk -v a="$dl" -v b="$pg" 'BEGIN { printf "%.2f", a / b }')
		echo "| deputyd over LMTP >= 20x dovecot-lda | ${r}x ($dl vs $pg messages/s) | $(verdict ge "$r" 20) |"
	fi
	p99=$(lstat deputyd-lmtp 6)
	[ -z "$p99" ] || echo "| deputyd p99 under 10 ms | $p99 ms | $(verdict le "$p99" 10) |"
	if [ "$LONG" -gt 0 ]; then
		r0=$(sed -n 2p "$LM/rss.tsv" | cut -f2); r1=$(tail -1 "$LM/rss.tsv" | cut -f2)
		echo "| deputyd's RSS flat over $LONG messages | $r0 KB after the first tenth, $r1 KB at the end | $(verdict le "$r1" "$((r0 + r0 / 10))") |"
	fi
	pp=$(stat_of deputy-pipe 11); fl=$(stat_of floor 11); vc=$(stat_of vacation 11)
	if [ -n "$pp" ] && [ -n "$fl" ]; then
		r=$(awk -v a="$pp" -v b="$fl" 'BEGIN { printf "%.2f", a / b }')
		echo "| deputy-lda with deputyd running within 1.5x the floor | ${r}x ($pp ms vs $fl ms mean) | $(verdict le "$r" 1.5) |"
	fi
	if [ -n "$pp" ] && [ -n "$vc" ]; then
		echo "| deputy-lda with deputyd running faster than vacation(1) | $pp ms vs $vc ms mean | $(verdict le "$pp" "$vc") |"
	fi
	thr_pg=$(stat_of dovecot-pigeonhole 9)
	thr_gn=$(stat_of gnarwl 9)
	if [ -n "$thr_pg" ]; then
		echo "| standalone deputy-lda >= 3x dovecot-lda's throughput | ${thr_pg}x ($(stat_of deputy-ldif 4) vs $(stat_of dovecot-pigeonhole 4) messages/s) | $(verdict ge "$thr_pg" 3) |"
	else
		echo "| deputy-lda >= 3x Pigeonhole's throughput | not measured (dovecot-pigeonhole left out) | - |"
	fi
	if [ -n "$thr_gn" ]; then
		echo "| standalone deputy-lda >= 2x gnarwl's throughput | ${thr_gn}x ($(stat_of deputy-ldif 4) vs $(stat_of gnarwl 4) messages/s) | $(verdict ge "$thr_gn" 2) |"
		d2=$(stat_of deputy-ldap 4)
		if [ -n "$d2" ]; then
			r2=$(awk -v a="$d2" -v b="$(stat_of gnarwl 4)" 'BEGIN { printf "%.2f", a / b }')
			echo "| (same, deputy with its LDAP backend) | ${r2}x ($d2 vs $(stat_of gnarwl 4) messages/s) | $(verdict ge "$r2" 2) |"
		fi
	fi
	fl=$(stat_of floor 11)
	if [ -n "$fl" ]; then
		cost=$(awk -v a="$(stat_of deputy-ldif 11)" -v b="$fl" 'BEGIN { printf "%.2f", a / b }')
		echo "| per-message cost within 2x the floor | ${cost}x ($(stat_of deputy-ldif 11) ms vs $fl ms mean) | $(verdict le "$cost" 2) |"
	fi
	maxrss=$(awk -F '\t' '$1 ~ /^deputy/ { if ($5 > m) m = $5 } END { print m + 0 }' "$T/size/results.tsv")
	maxrss_main=$(stat_of deputy-ldif 7)
	echo "| peak RSS < 10 MB for messages up to 50 MB | ${maxrss} KB at most over 1 KB..50 MB; ${maxrss_main} KB at most in the main run | $(verdict le "$maxrss" 10240) |"
	if [ "$(runs_of deputy-ldap)" -gt 0 ]; then
		spm=$(awk -F '\t' -v r="$(runs_of deputy-ldap)" '$1 == "deputy-ldap" { printf "%.3f", $3 / r }' "$T/ldapcount.tsv")
		echo "| exactly one LDAP search per message | $spm searches per message | $(verdict awk -v s="$spm" 'BEGIN { exit !(s == 1) }') |"
	else
		echo "| exactly one LDAP search per message | n/a: LDIF backend ($LDAP_NOTE) | not measured |"
	fi
} >"$TMP_OUT"
cp "$TMP_OUT" "$OUT"
say "wrote $OUT"
