#!/bin/sh
# state-full - the 20,000-delivery run of tests/faults/state-fill.c: a
# 1 MiB state map filled by ordinary traffic never stops delivery.
# STATE_FULL_N sets the count (default 20000).

. "$(dirname "$0")/lib.sh"

bin=$top_builddir/tests/faults/state-fill
[ -x "$bin" ] || { echo "1..0 # SKIP state-fill not built"; exit 0; }
# tmpfs when there is one: this is about the state map, not the disk
T=$(mktemp -d /dev/shm/deputy-test.XXXXXX 2>/dev/null || mktemp -d /tmp/deputy-test.XXXXXX)
mkdir -p "$T/sent" "$T/mail"
from=$(date -u -d yesterday +%Y%m%d)
until=$(date -u -d '+14 days' +%Y%m%d)
cat >"$T/directory.ldif" <<LDIF
dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
mail: alice@example.org
deputyDelegate: bob@example.org
deputyAbsence:: $(absence_b64 "$from" "$until")

dn: uid=carol,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: carol
mail: carol@example.org
LDIF
"$bin" "$T" "${STATE_FULL_N:-20000}"
rc=$?
grep -c 'not recorded' "$T/log" | sed 's/^/# log lines about records not kept: /'
ls -l "$T/state.lmdb" | awk '{ print "# state file: " $5 " bytes" }'
rm -rf "$T"
exit $rc
