# lib.sh - shared helpers for the black-box tests (TAP output)
#
# Each test gets a private directory $T with a config, an LDIF
# directory, a stub sendmail that records argv and message, Maildirs,
# a spool and a log file. deputy-lda refuses root, so when the tests run
# as root (CI) it is run as "nobody" and $T belongs to nobody.

set -u

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$srcdir}"
: "${DEPUTY_LDA:=$top_builddir/deputy-lda}"
: "${DEPUTY_SHARED:=$srcdir/../shared}"

tap_n=0
tap_fail=0

ok() {		# ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}

check() {	# check DESCRIPTION COMMAND...
	desc=$1; shift
	if "$@" >/dev/null 2>&1; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

skip() {	# skip REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

diag() { echo "# $*"; }

done_testing() {
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
}

as_user() {	# run a command as the unprivileged test user when root
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --reset-env -- "$@"
	else
		"$@"
	fi
}

# setup_env: $T with config, stub sendmail, directory (from $1 or default)
setup_env() {
	T=$(mktemp -d /tmp/deputy-test.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/bin" "$T/sent" "$T/mail" "$T/spool"
	cat >"$T/bin/sendmail" <<STUB
#!/bin/sh
# stub sendmail: record argv (one word a line) and the message
id=\$\$.\$(date +%s%N)
for a in "\$@"; do printf '%s\n' "\$a"; done >"$T/sent/\$id.argv"
cat >"$T/sent/\$id.eml"
if [ -f "$T/sendmail.exit" ]; then exit \$(cat "$T/sendmail.exit"); fi
exit 0
STUB
	chmod 755 "$T/bin/sendmail"
	cat >"$T/deputy.conf" <<CONF
directory {
	ldif_file = "$T/directory.ldif"
}
delivery {
	maildir = "$T/mail/%d/%l/Maildir"
	spool_dir = "$T/spool"
	deadline = 60
}
submission {
	sendmail = "$T/bin/sendmail"
	timeout = 10
	hostname = "mx.example.org"
}
state {
	path = "$T/state.lmdb"
}
log {
	file = "$T/log"
}
CONF
	if [ $# -ge 1 ]; then cp "$1" "$T/directory.ldif"
	else default_ldif >"$T/directory.ldif"; fi
	if [ "$(id -u)" -eq 0 ]; then chown -R nobody:nogroup "$T"; fi
}

# absence_b64 FROM UNTIL: an all-day VEVENT (DTEND exclusive), base64 for
# LDIF (a multi-line value cannot be written plainly in LDIF)
absence_b64() {
	printf 'BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nEND:VEVENT\r\n' \
	    "$1" "$2" | base64 -w0
}

# default_ldif: alice away from yesterday for two weeks, bob her delegate
default_ldif() {
	from=$(date -u -d yesterday +%Y%m%d)
	until=$(date -u -d '+14 days' +%Y%m%d)
	cat <<LDIF
dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
uid: alice
mail: alice@example.org
mailAlternateAddress: a.smith@example.org
displayName: Alice Smith
deputyDelegate: uid=bob,ou=people,dc=example,dc=org
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
mail: bob@example.org

dn: uid=erin,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: erin
mail: erin@example.org
LDIF
}

# lda MESSAGE-FILE ARGS...: run deputy-lda, sets $rc, $out, $err
lda() {
	msg=$1; shift
	as_user "$DEPUTY_LDA" -c "$T/deputy.conf" "$@" <"$msg" \
	    >"$T/stdout" 2>"$T/stderr"
	rc=$?
	out=$(cat "$T/stdout")
	err=$(cat "$T/stderr")
}

maildir_count() {	# maildir_count USER@DOMAIN
	u=${1%@*}; d=${1#*@}
	ls "$T/mail/$d/$u/Maildir/new" 2>/dev/null | wc -l
}

sent_count() { ls "$T/sent" | grep -c '\.argv$'; }

cleanup() { rm -rf "$T"; }

# envelope_sender FILE: Return-Path, else the From address (corpus replay)
envelope_sender() {
	awk '
	BEGIN { IGNORECASE = 1 }
	/^\r?$/ { exit }
	tolower($0) ~ /^return-path:/ && rp == "" {
		s = $0; sub(/^[^:]*:[ \t]*/, "", s); sub(/\r$/, "", s)
		gsub(/[<> \t]/, "", s); rp = s; have_rp = 1
	}
	tolower($0) ~ /^from:/ && from == "" {
		s = $0; sub(/\r$/, "", s)
		if (match(s, /<[^>]*>/)) s = substr(s, RSTART + 1, RLENGTH - 2)
		else { sub(/^[^:]*:[ \t]*/, "", s); sub(/[ \t].*$/, "", s) }
		from = s
	}
	END { if (have_rp) print rp; else print from }
	' "$1"
}

# known_mislabel FILE: the reason a corpus message labelled personal is
# kept from delegates, when its headers say it is not personal mail:
# list mail carrying Precedence, List-Id or X-Mailing-List, a SourceForge
# newsletter from noreply@, and a message with a null envelope sender.
# (Reported in the issue note rather than edited in labels.tsv.)
known_mislabel() {
	case $1 in
	personal/000.eml|personal/004.eml|personal/005.eml|personal/120.eml|personal/106.eml)
		echo bulk ;;
	personal/146.eml) echo bounce ;;
	esac
}

# header_addr FILE NAME: the first address of header NAME
header_addr() {
	awk -v name="$2" '
	/^\r?$/ { exit }
	tolower($0) ~ "^" tolower(name) ":" {
		s = $0; sub(/\r$/, "", s)
		if (match(s, /<[^>]*>/)) s = substr(s, RSTART + 1, RLENGTH - 2)
		else { sub(/^[^:]*:[ \t]*/, "", s); sub(/[ ,\t].*$/, "", s) }
		print s; exit
	}' "$1"
}

# deliberate CASE: the reason, for a Pigeonhole vacation case where
# deputy is stricter on purpose (see README): the original recipient (an
# alias or list address, Pigeonhole's
# sieve_vacation_use_original_recipient) and "any recipient"
# (sieve_vacation_dont_check_recipient) do not make the user addressed.
deliberate() {
	case $1 in
	reply-15-*|reply-16-*|reply-17-*) echo not-addressed ;;
	esac
}
