#!/bin/sh
# install-deps.sh - the Debian 12 packages deputy needs to build and test.
# Run as root. Installs nothing that is already there; starts no service.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libconfuse-dev libgmime-3.0-dev libical-dev libldap2-dev liblmdb-dev
libsieve2-dev util-linux strace"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
