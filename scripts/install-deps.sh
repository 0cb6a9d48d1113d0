#!/bin/sh
# install-deps.sh - the Debian 12 packages deputy needs to build and test.
#
#	sh scripts/install-deps.sh [LIST...]
#
# LIST names files in scripts/packages/ (default: all of them), one
# package a line. Run as root. Installs only what is missing, preseeds
# Postfix as "No configuration", and keeps every service from starting:
# the tests start what they need on loopback and stop it by pid.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

lists=""
if [ $# -eq 0 ]; then lists=$(ls "$here"/packages/*.txt)
else for l in "$@"; do [ -f "$here/packages/$l.txt" ] && lists="$lists $here/packages/$l.txt"; done; fi

missing=""
for p in $(cat $lists | sed 's/#.*//' | tr -s ' \n' '\n' | grep -v '^$' | sort -u); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
# npm for tests/web/browser.sh: Debian's nodejs comes without it, but a
# nodesource nodejs ships its own and conflicts with Debian's "npm"; so
# "npm" only when node is there (or asked for) and npm is not.
case $lists in *integration.txt*)
	command -v npm >/dev/null 2>&1 || missing="$missing npm" ;;
esac
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections 2>/dev/null || true
# No service may start from a package's postinst.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
rc=$?
[ "$made_policy" -eq 1 ] && rm -f "$policy"
# spamassassin's postinst starts a gpg-agent for the sa-update keyring
# and leaves it running; stop exactly that one, by its pid.
for pid in $(pgrep -f 'gpg-agent.*sa-update-keys' 2>/dev/null); do
	kill "$pid" 2>/dev/null || true
done
exit $rc
