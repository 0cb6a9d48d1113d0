#!/bin/sh
# secrets - deputy-lda refuses secret files that others can read, or
# that are not its own: exit 75 naming the file, nothing delivered or
# forwarded; with the file made 0600 and owned by the deputy user, a
# retry delivers once.
#
#   directory.bind_password_file   mode 0644, 0640, 0600 owned by root,
#                                  a symlink to a good file (O_NOFOLLOW)
#   submission.srs_key_file        mode 0644, 0600 owned by root, when an
#                                  external forward needs it; a forward
#                                  inside the domain does not read the
#                                  key and is not held up by it
#
# The bind uses a real slapd (cn=deputy,ou=services,...).

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/faults/lib.sh"

for need in "$SLAPD" "$SLAPADD"; do
	if [ ! -x "$need" ]; then
		skip "$need not installed (scripts/packages/integration.txt)"
		done_testing
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	skip "file ownership cases need root (deputy runs as nobody)"
	done_testing
	exit 0
fi

setup_env
install_stub
trap integration_cleanup EXIT
trap 'exit 1' INT TERM

ext_ldif() {
	printf 'dn: uid=extra,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: deputyUser\nuid: extra\ncn: extra\nsn: extra\nmail: extra@example.org\ndeputyDelegate: partner@partner.example\ndeputyAbsence:: %s\n' \
	    "$BASE" "$(absence_b64 "$(date -u -d yesterday +%Y%m%d)" "$(date -u -d '+14 days' +%Y%m%d)")"
}
slapd_setup && ext_ldif >"$T/slapd/ext.ldif" &&
    "$SLAPADD" -q -n1 -F "$T/slapd/slapd.d" -l "$T/slapd/ext.ldif" >>"$T/slapd/setup.log" 2>&1 &&
    chown -R "$(ldap_user):" "$T/slapd"
ok $? "slapd configured (extra@example.org delegates to partner@partner.example)"
slapd_start; ok $? "slapd answers on $LDAP_URI"

PW=$T/secret/bind.pw
KEY=$T/secret/srs.key
mkdir -p "$T/secret"; chmod 755 "$T/secret"
printf 'deputy-secret\n' >"$PW"
head -c 32 /dev/urandom | base64 >"$KEY"
good() { chown nobody: "$1"; chmod 600 "$1"; }
good "$PW"; good "$KEY"
cp "$T/deputy.conf" "$T/deputy.conf.orig"
ldap_conf "$LDAP_URI" -- "bind_dn = \"cn=deputy,ou=services,$BASE\"" \
    "bind_password_file = \"$PW\""
sed -i "s|^submission {|submission {\n\tsrs_domain = \"example.org\"\n\tsrs_key_file = \"$KEY\"|" "$T/deputy.conf"
# A delegate outside our domains gets only mail with a clean spam
# verdict (or from an authenticated sender): the messages carry a
# trusted X-Spam-Score of 0
printf 'spam {\n\ttrusted_headers = {"X-Spam-Score"}\n}\n' >>"$T/deputy.conf"
chown nobody: "$T/deputy.conf"
make_clean_msg() {
	m=$(make_msg "$1")
	sed -i '1i X-Spam-Score: 0.0' "$m"
	echo "$m"
}

n_case=0
# case_bad NAME TO FILE FORWARDS-ON-RETRY FIX...: break FILE (done by the
# caller), run once: 75 naming FILE, nothing delivered; run FIX, retry
case_bad() {
	name=$1; to=$2; file=$3; nfw=$4; shift 4
	n_case=$((n_case + 1))
	s="secret $n_case $name"
	m=$(make_clean_msg "$s")
	sed -i "s/^To: .*/To: <$to>/" "$m"
	ru=${to%@*}
	mb0=$(maildir_count "$to"); sent0=$(ls "$T"/sent/*.ok 2>/dev/null | wc -l)
	lda "$m" -f paul@partner.example.net -- "$to"
	diag "$(printf '%-26s exit %3s  %s' "$name" "$rc" "$(echo "$err" | head -1 | cut -c1-150)")"
	[ "$rc" -eq 75 ] && echo "$err" | grep -q '^4\.[0-9]\.[0-9] ' &&
	    echo "$err" | grep -qF "$file"
	ok $? "$name: exit $rc, a 4.x.x line naming $file"
	[ "$(maildir_count "$to")" -eq "$mb0" ] || [ "$nfw" -eq 1 ]
	mb_ok=$?
	[ "$(ls "$T"/sent/*.ok 2>/dev/null | wc -l)" -eq "$sent0" ] && [ "$mb_ok" -eq 0 ]
	ok $? "$name: nothing forwarded$( [ "$nfw" -eq 1 ] || echo ', nothing delivered')"
	"$@"
	lda "$m" -f paul@partner.example.net -- "$to"
	c=$(grep -lx "Subject: $s" "$T/mail/example.org/$ru/Maildir/new/"* 2>/dev/null | wc -l)
	f=$(ok_forwards "$s")
	[ "$rc" -eq 0 ] && [ "$c" -eq 1 ] && [ "$f" -eq "$nfw" ]
	ok $? "$name: fixed, retry exit $rc, $c mailbox copy, $f forward (want 1, $nfw)"
}

# baseline: the bind works, the external forward gets an SRS0 sender
m=$(make_clean_msg "secret baseline")
sed -i "s/^To: .*/To: <extra@example.org>/" "$m"
lda "$m" -f paul@partner.example.net -- extra@example.org
fw=$(grep -lx "Subject: secret baseline" "$T"/sent/*.eml 2>/dev/null | head -1)
[ "$rc" -eq 0 ] && [ -n "$fw" ] && grep -q '^SRS0=' "${fw%.eml}.argv"
ok $? "baseline: bound as cn=deputy, external forward with an SRS0 sender (exit $rc)"
grep -q "BIND dn=\"cn=deputy,ou=services,$BASE\" method=128" "$T/slapd/log"
ok $? "slapd saw the simple bind as cn=deputy"

# --- bind_password_file -----------------------------------------------------
chmod 644 "$PW"
case_bad "bind_password_file 0644" alice@example.org "$PW" 1 good "$PW"
chmod 640 "$PW"
case_bad "bind_password_file 0640" alice@example.org "$PW" 1 good "$PW"
chown root: "$PW"
case_bad "bind_password_file root 0600" alice@example.org "$PW" 1 good "$PW"
mv "$PW" "$PW.real"; ln -s "$PW.real" "$PW"
unlink_fix() { rm -f "$PW"; mv "$PW.real" "$PW"; }
case_bad "bind_password_file symlink" alice@example.org "$PW" 1 unlink_fix

# --- srs_key_file -------------------------------------------------------------
chmod 644 "$KEY"
case_bad "srs_key_file 0644" extra@example.org "$KEY" 1 good "$KEY"
chown root: "$KEY"
case_bad "srs_key_file root 0600" extra@example.org "$KEY" 1 good "$KEY"

# a forward inside example.org keeps the envelope sender: no SRS, and a
# bad key must not hold it up
chmod 644 "$KEY"
m=$(make_clean_msg "secret internal")
lda "$m" -f paul@partner.example.net -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(copies "secret internal")" -eq 1 ] &&
    [ "$(ok_forwards "secret internal")" -eq 1 ]
ok $? "srs_key_file 0644, internal forward only: exit $rc, delivered and forwarded"
good "$KEY"

slapd_stop
done_testing
