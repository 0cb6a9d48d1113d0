#!/bin/sh
# ldif-owner.sh - deputyctl run by a helpdesk user on the LDIF file that
# deputy-lda reads as its own user (TAP)
#
# The usual setup of a shared LDIF file: owned by the deputy user, group
# helpdesk, mode 0660, in a setgid folder of that group. A helpdesk user
# (not root) cannot give the rewritten file back to the deputy user;
# the file keeps its group and mode, and when the deputy user could not
# read the result deputyctl refuses (exit 2, one line) and leaves the
# file as it was. Either way deputy-lda, as the deputy user, still
# reads the directory (exit 0), and sees the change when it was made.
#
# Needs root (useradd, groupadd, setpriv); the users and the group have
# names of this test's own and are removed at the end.

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/blackbox/lib.sh"
. "$srcdir/tests/ctl/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (creates users and a group)"
	done_testing
	exit 0
fi
for c in useradd userdel groupadd groupdel usermod setpriv; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skip "$c not installed"
		done_testing
		exit 0
	fi
done

setup_env
dep=dtdep$$; hd=dthd$$; grp=dthdg$$
owner_cleanup() {
	userdel "$dep" 2>/dev/null
	userdel "$hd" 2>/dev/null
	groupdel "$grp" 2>/dev/null
	cleanup
}
trap owner_cleanup EXIT
trap 'exit 1' INT TERM
groupadd "$grp" &&
    useradd -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin "$dep" &&
    useradd -M -N -g nogroup -G "$grp" -d /nonexistent -s /usr/sbin/nologin "$hd"
ok $? "users $dep (deputy) and $hd (helpdesk, in group $grp)"

# deputy-lda's own files belong to the deputy user; the directory lives
# in a folder the helpdesk group may write
chown -R "$dep:" "$T"
D=$T/dir
mkdir "$D"
mv "$T/directory.ldif" "$D/directory.ldif"
sed -i "s|ldif_file = .*|ldif_file = \"$D/directory.ldif\"|" "$T/deputy.conf"
chmod 644 "$T/deputy.conf"

# as_who USER CMD...: run CMD as USER with USER's groups
as_who() {
	u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
	    --reset-env -- "$@"
}
# ctl_as USER ARGS...: deputyctl as USER; sets rc, out, err
ctl_as() {
	u=$1; shift
	as_who "$u" "$DEPUTYCTL" -c "$T/deputy.conf" "$@" >"$T/ctl.out" \
	    2>"$T/ctl.err" </dev/null
	rc=$?
	out=$(cat "$T/ctl.out")
	err=$(cat "$T/ctl.err")
}
# lda_dep MESSAGE ARGS...: deputy-lda as the deputy user
lda_dep() {
	msg=$1; shift
	as_who "$dep" "$DEPUTY_LDA" -c "$T/deputy.conf" "$@" <"$msg" \
	    >"$T/stdout" 2>"$T/stderr"
	rc=$?
	err=$(cat "$T/stderr")
}
# setup_dir SETGID: the folder and the file, as an administrator leaves them
setup_dir() {
	chown "$dep:$grp" "$D" "$D/directory.ldif"
	chmod 0775 "$D"
	if [ "$1" = setgid ]; then chmod g+s "$D"; else chmod g-s "$D"; fi
	chmod 0660 "$D/directory.ldif"
}
perms() { stat -c "%U:%G %a" "$D/directory.ldif"; }
dirmode() { stat -c %A "$D"; }
no_temp() { ! ls "$D"/directory.ldif.deputyctl.* >/dev/null 2>&1; }

# --- the deputy user is not in the helpdesk group: refused ---------------

setup_dir setgid
before=$(sum "$D/directory.ldif")
ctl_as "$hd" away bob --from today --until "$(day 7)" --delegate erin
[ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
    printf '%s\n' "$err" | grep -q "^deputyctl: .*$D/directory.ldif.*$dep.*could no longer read it"
ok $? "helpdesk user, deputy user not in the group: exit 2, one line naming the file and the owner ($rc: $err)"
[ "$(sum "$D/directory.ldif")" = "$before" ] &&
    [ "$(perms)" = "$dep:$grp 660" ] && no_temp
ok $? "... the file is unchanged, still $dep:$grp 660 ($(perms)), no temporary file left"
msg_to "$T/m1.eml" alice@example.org
chown "$dep:" "$T/m1.eml"
lda_dep "$T/m1.eml" -f sender@example.com -- alice@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq 1 ]
ok $? "deputy-lda as $dep still reads the directory: exit 0 ($rc $err)"

# --- the deputy user is in the group: written, readable -----------------

usermod -a -G "$grp" "$dep"
ctl_as "$hd" away bob --from today --until "$(day 7)" --delegate erin
[ "$rc" -eq 0 ] && [ -z "$err" ] && [ "$(perms)" = "$hd:$grp 660" ] &&
    no_temp
ok $? "deputy user in the group: written, group and mode kept, owner $hd ($rc $err; $(perms))"
msg_to "$T/m2.eml" bob@example.org
chown "$dep:" "$T/m2.eml"
n=$(sent_count)
lda_dep "$T/m2.eml" -f sender@example.com -- bob@example.org
[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq $((n + 1)) ] &&
    cat "$T"/sent/*.argv | grep -qx erin@example.org
ok $? "deputy-lda as $dep reads the new file: exit 0, bob's mail forwarded to erin ($rc $err)"

# --- a folder without setgid: the group is set back all the same --------

setup_dir plain
ctl_as "$hd" back bob
[ "$rc" -eq 0 ] && [ "$(perms)" = "$hd:$grp 660" ] && no_temp
ok $? "folder $(dirmode) (no setgid): the new file still gets group $grp and mode 660 ($rc $err; $(perms))"
msg_to "$T/m3.eml" bob@example.org
chown "$dep:" "$T/m3.eml"
n=$(sent_count)
lda_dep "$T/m3.eml" -f sender@example.com -- bob@example.org
[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq "$n" ]
ok $? "deputy-lda as $dep reads it: exit 0, bob back, nothing forwarded ($rc $err)"

# --- root keeps the owner -------------------------------------------------

setup_dir setgid
"$DEPUTYCTL" -c "$T/deputy.conf" away bob --from today --until "$(day 3)" \
    >"$T/ctl.out" 2>"$T/ctl.err" </dev/null
rc=$?
[ "$rc" -eq 0 ] && [ "$(perms)" = "$dep:$grp 660" ]
ok $? "deputyctl as root: owner, group and mode kept ($rc; $(perms))"

done_testing
