#!/bin/sh
# markers-vectors.sh - deputy's decisions on sisimai's set-of-emails
#
#	sh bench/markers-vectors.sh [-b BUILDDIR] SET-OF-EMAILS-DIR
#
# SET-OF-EMAILS-DIR is a checkout of https://github.com/sisimai/set-of-emails
# (measured at commit 18e585c; nothing of it is kept in this tree): every
# message of maildir/bsd (bounces from MTAs and remote hosts, RFC 3464
# reports, ARF feedback reports, RFC 3834 auto-replies) and maildir/not
# (messages that are not bounces) goes through `deputyctl explain` for an
# away user with a delegate, the envelope sender taken from the message's
# Return-Path (<> when it has none), with trusted Authentication-Results
# and spam headers configured so that the gate has to decide on the
# markers. Prints, per class, how many messages deputy neither forwards
# nor answers (bounces, reports, auto-replies) or treats as ordinary
# mail (maildir/not), then each message where it does something else,
# with its forward and notice reasons.
#
# A measurement of real input, not a test: nothing fails a build. Needs
# a built tree (deputyctl) and python3.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$2; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	-*) echo "markers-vectors.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 1 ] || [ ! -d "$1/maildir/bsd" ]; then
	echo "usage: sh bench/markers-vectors.sh [-b BUILDDIR] SET-OF-EMAILS-DIR" >&2
	exit 2
fi
soe=$1
T=$(mktemp -d /tmp/deputy-vectors.XXXXXX)
trap 'rm -rf "$T"' EXIT

from=$(date -u -d yesterday +%Y%m%d)
until=$(date -u -d '+14 days' +%Y%m%d)
absence=$(printf 'BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nEND:VEVENT\r\n' \
    "$from" "$until" | base64 -w0)
cat >"$T/directory.ldif" <<LDIF
dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: deputyUser
uid: alice
mail: alice@example.org
deputyDelegate: uid=bob,ou=people,dc=example,dc=org
deputyAbsence:: $absence

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
mail: bob@example.org
LDIF
cat >"$T/deputy.conf" <<CONF
directory {
	ldif_file = "$T/directory.ldif"
}
state {
	path = "$T/state.lmdb"
}
auth {
	trusted_authserv_ids = {"mx.example.org"}
}
spam {
	trusted_headers = {"X-Spam-Score"}
}
CONF

# return_path FILE: the envelope sender the message names, or <>
return_path() {
	awk 'BEGIN { IGNORECASE = 1 } /^\r?$/ { exit }
	    tolower($0) ~ /^return-path:/ { s = $0; sub(/^[^:]*:[ \t]*/, "", s)
	    gsub(/[<> \t\r]/, "", s); print s; exit }' "$1"
}

tab=$(printf '\t')
for f in "$soe"/maildir/bsd/*.eml "$soe"/maildir/not/*.eml; do
	s=$(return_path "$f")
	[ -n "$s" ] || s="<>"
	r=$("$build/deputyctl" -c "$T/deputy.conf" explain alice --from "$s" \
	    --json <"$f" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["forward_reason"] + "\t" + d["notice_reason"])' 2>/dev/null)
	printf '%s\t%s\t%s\n' "${f#"$soe"/maildir/}" "$s" "${r:-error${tab}error}"
done >"$T/decisions"

echo "# deputy on sisimai set-of-emails ($(git -C "$soe" rev-parse --short HEAD 2>/dev/null || echo '?')), deputy $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| class | messages | as deputy should | otherwise |"
echo "| --- | ---: | ---: | ---: |"
# fields: 1 file, 2 sender, 3 forward reason, 4 notice reason. A bounce,
# report or auto-reply is right when it is not forwarded and gets no
# notice; a message of maildir/not when it is forwarded.
awk -F "$tab" '
function class(f) {
	if (f ~ /^not\//) return "not a bounce (maildir/not)"
	sub(/^bsd\//, "", f)
	if (f ~ /^arf-/) return "ARF feedback report"
	if (f ~ /^rfc3834-/) return "RFC 3834 auto-reply"
	if (f ~ /^rfc3464-/) return "RFC 3464 report"
	return "bounce (lhost, rhost)"
}
{
	c = class($1); n[c]++
	if (c ~ /^not/) right = $3 == "none"
	else right = $3 != "none" && $4 != "none"
	if (right) ok[c]++
	else wrong[c] = wrong[c] sprintf("\n  %s (envelope sender %s): forward_reason=%s notice_reason=%s", $1, $2, $3, $4)
}
END {
	for (c in n)
		printf "| %s | %d | %d | %d |\n", c, n[c], ok[c], n[c] - ok[c]
	for (c in wrong)
		printf "\n%s, otherwise:%s\n", c, wrong[c]
}' "$T/decisions"
