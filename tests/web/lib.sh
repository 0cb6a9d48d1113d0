# lib.sh - helpers for deputy-web's tests (TAP)
#
# Sources tests/integration/lib.sh (slapd, free_port, TAP helpers,
# setup_env) and tests/ctl/lib.sh (ctl, msg_to, day). Adds:
#   web_users NAME:PASSWORD...  $T/web-users, one crypt(3) hash a name,
#                      made by deputy-web --hash-password, mode 0600
#                      and owned by the user deputy-web runs as
#   web_conf [LINE...] append a web section to $T/deputy.conf: a free
#                      port on 127.0.0.1, the source tree's page files,
#                      the users file, plain-HTTP cookies, and LINEs
#   web_start          run deputy-web (as nobody when root) in the
#                      background, $web_pid its own pid; wait until it
#                      answers at $WEB_URL
#   web_stop           stop it by its pid, wait for it; $web_rc
#   web_stopped_ok     TAP: it stopped with exit 0 and wrote nothing to
#                      stderr (a sanitizer's report would be there)
#   web_cleanup        web_stop, then integration_cleanup (EXIT trap)

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/ctl/lib.sh"
: "${DEPUTY_WEB:=$top_builddir/deputy-web}"

web_pid=""
WEB_URL=""

web_users() {
	: >"$T/web-users"
	for pair in "$@"; do
		name=${pair%%:*}
		hash=$(printf '%s\n' "${pair#*:}" | "$DEPUTY_WEB" --hash-password) ||
		    return 1
		printf '%s:%s\n' "$name" "$hash" >>"$T/web-users"
	done
	chmod 600 "$T/web-users"
	[ "$(id -u)" -eq 0 ] && chown nobody: "$T/web-users"
	return 0
}

web_conf() {
	WEB_PORT=$(free_port)
	WEB_URL="http://127.0.0.1:$WEB_PORT"
	{
		echo 'web {'
		echo "	listen = \"127.0.0.1:$WEB_PORT\""
		echo "	static_dir = \"$srcdir/web/static\""
		[ -f "$T/web-users" ] && echo "	users_file = \"$T/web-users\""
		echo '	secure_cookies = false'
		for l in "$@"; do echo "	$l"; done
		echo '}'
	} >>"$T/deputy.conf"
}

# web_bg PROGRAM ARGS...: start PROGRAM in the background (as nobody
# when root) so that $! is its own pid: no shell function in between
web_bg() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --reset-env -- "$@" &
	else
		"$@" &
	fi
}

web_start() {
	web_bg "$DEPUTY_WEB" -c "$T/deputy.conf" >>"$T/web.out" 2>&1
	web_pid=$!
	n=100
	while [ "$n" -gt 0 ]; do
		if python3 -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1)' "$WEB_URL/" >/dev/null 2>&1; then
			sleep 0.2	# the one answering must be ours
			kill -0 "$web_pid" 2>/dev/null && return 0
			break
		fi
		kill -0 "$web_pid" 2>/dev/null || break
		sleep 0.1
		n=$((n - 1))
	done
	echo "# deputy-web did not answer on $WEB_URL:"
	sed 's/^/#   /' "$T/web.out"
	return 1
}

web_stop() {
	[ -n "$web_pid" ] || return 0
	kill "$web_pid" 2>/dev/null
	wait "$web_pid" 2>/dev/null
	web_rc=$?
	web_pid=""
	# the port must be free again: the next web_start may use it
	n=50
	while [ -n "${WEB_PORT:-}" ] && [ "$n" -gt 0 ] &&
	    ss -Htln "sport = :$WEB_PORT" 2>/dev/null | grep -q .; do
		sleep 0.1
		n=$((n - 1))
	done
}

web_stopped_ok() {
	web_stop
	[ "$web_rc" -eq 0 ] && [ ! -s "$T/web.out" ]
	ok $? "deputy-web stops on SIGTERM with exit 0, nothing on stderr (exit $web_rc$(head -c 300 "$T/web.out" | tr '\n' ' '))"
}

web_cleanup() {
	web_stop
	if [ -n "${dpid:-}" ]; then
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	integration_cleanup
}

# web_skip_unbuilt: skip the whole test when deputy-web was not built
web_skip_unbuilt() {
	if [ ! -x "$DEPUTY_WEB" ]; then
		skip "deputy-web is not built (configure found no libmicrohttpd-dev or libcrypt-dev)"
		done_testing
		exit 0
	fi
}
