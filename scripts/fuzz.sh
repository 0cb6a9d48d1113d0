#!/bin/sh
# fuzz.sh - build deputy's libFuzzer targets with clang and run each one
#
#	scripts/fuzz.sh [--time SECONDS] [--long SECONDS] [--cpu SECONDS]
#			[--build DIR] [--jobs N] [--build-only] [--tap] [TARGET...]
#
# Builds tests/fuzz/fuzz-*.c against the library sources (gateway/*.c
# but main.c, directory/*.c, templates/*.c, milter/ but deputy-milter.c
# and milter-supervisor.c)
# with -fsanitize=fuzzer,address,undefined,
# straight from the sources (not through automake), in DIR (default
# /tmp/deputy-fuzz). Seeds each corpus from tests/fuzz/seeds/TARGET/,
# from ../shared/corpus (messages, subjects and senders), tests/data and
# examples (LDIF and configuration) and templates/ (notice templates),
# then runs each target for SECONDS (default 20;
# --long 600 for a long run; --cpu 3600 stops each target after an hour
# of its own CPU time and its children's, whatever else the machine
# runs, and gives it up to four times that in wall-clock time). Inputs kept in tests/fuzz/regress/TARGET/
# (crashes found earlier) are replayed first.
#
# Prints one line per target:
#	fuzz-facts: ok execs=123456 cov=1234 ft=5678 corpus=321 time=20s
# or "FAIL ..." with the artifact path; with --tap, TAP lines instead.
# Exit 0 when every target ran clean, 1 when one crashed, leaked or
# timed out, 77 when clang or libFuzzer is missing.
#
# Environment: FUZZ_ARGS (more libFuzzer options, e.g. -detect_leaks=0),
# FUZZ_SKIP_REGRESS=1 (do not replay tests/fuzz/regress), FUZZ_CC (clang).
#
# Nothing is written into the source tree; the shared corpus is read,
# never copied into the repository.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
budget=20
cpu=0
build=${DEPUTY_FUZZ_BUILD:-/tmp/deputy-fuzz}
jobs=1
build_only=0
tap=0
targets=""
shared=${DEPUTY_SHARED:-$here/../shared}

while [ $# -gt 0 ]; do
	case $1 in
	--time) budget=$2; shift 2 ;;
	--long) budget=${2:-600}; shift 2 ;;
	--cpu) cpu=$2; budget=$(($2 * 4)); shift 2 ;;
	--build) build=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	--tap) tap=1; shift ;;
	-h|--help) sed -n '2,27p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) targets="$targets $1"; shift ;;
	esac
done
if [ -z "$targets" ]; then
	for f in "$here"/tests/fuzz/fuzz-*.c; do
		t=$(basename "$f" .c)
		targets="$targets $t"
	done
fi

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz.sh: $CC not found (install clang)" >&2
	exit 77
fi
mkdir -p "$build/obj" "$build/bin" "$build/corpus" "$build/artifacts" \
    "$build/logs" "$build/tmp" || exit 1

# libFuzzer present? (Debian: libclang-rt-NN-dev or the clang package)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)'\
'{(void)d;(void)n;return 0;}\n' >"$build/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$build/probe" \
    "$build/probe.c" >"$build/probe.log" 2>&1; then
	echo "fuzz.sh: $CC cannot link -fsanitize=fuzzer:" >&2
	head -5 "$build/probe.log" >&2
	exit 77
fi

PKGS="gmime-3.0 libconfuse libical glib-2.0 json-glib-1.0 libpsl"
for p in ldap lber lmdb hiredis; do
	pkg-config --exists "$p" 2>/dev/null && PKGS="$PKGS $p"
done
PC_CFLAGS=$(pkg-config --cflags $PKGS) || exit 1
PC_LIBS=$(pkg-config --libs $PKGS) || exit 1
pkg-config --exists ldap 2>/dev/null || PC_LIBS="$PC_LIBS -lldap -llber"
pkg-config --exists lmdb 2>/dev/null || PC_LIBS="$PC_LIBS -llmdb"
PC_LIBS="$PC_LIBS -lsieve"

# A minimal config.h of our own: the build must not depend on whether
# (or how) the source tree was configured.
cat >"$build/config.h" <<'EOF'
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#define HAVE_CONFIG_H 1
#define PACKAGE "deputy"
#define PACKAGE_NAME "deputy"
#define PACKAGE_VERSION "fuzz"
#define PACKAGE_STRING "deputy fuzz"
#define PACKAGE_BUGREPORT "deputy@example.org"
#define PACKAGE_TARNAME "deputy"
#define PACKAGE_URL ""
#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"
EOF

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer $SAN \
    -I$build -I$here/gateway -I$here/directory -I$here/templates -I$here/lib -I$here/lmtp \
    -I$here/sieve -I$here/milter -I$here/tests/fuzz \
    -DHAVE_CONFIG_H -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\" -DRUNSTATEDIR=\"/run\" \
    -DPKGDATADIR=\"/usr/share/deputy\" $PC_CFLAGS"

# Library objects: instrumented for coverage, not linked with libFuzzer.
lib_objs=""
build_failed=0
# (sieve/: only the libsieve runner; the Pigeonhole plugin needs Dovecot)
for src in "$here"/gateway/*.c "$here"/directory/*.c "$here"/templates/*.c "$here"/lib/*.c "$here"/lmtp/proto.c \
    "$here"/sieve/script.c "$here"/sieve/isolate.c "$here"/sieve/vacation.c \
    "$here"/milter/batv.c "$here"/milter/strip.c "$here"/milter/policy.c; do
	[ -f "$src" ] || continue
	case $(basename "$src") in main.c) continue ;; esac
	obj=$build/obj/$(basename "$(dirname "$src")")-$(basename "$src" .c).o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
	    [ -n "$(find "$here/gateway" "$here/directory" "$here/sieve" "$here/lib" "$here/milter" -name '*.h' \
	    -newer "$obj" 2>/dev/null | head -1)" ]; then
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" \
		    "$src" 2>"$build/logs/cc-$(basename "$obj").log"; then
			echo "fuzz.sh: cannot compile $src:" >&2
			head -20 "$build/logs/cc-$(basename "$obj").log" >&2
			build_failed=1
			continue
		fi
	fi
	lib_objs="$lib_objs $obj"
done
[ "$build_failed" -eq 0 ] || exit 1

for t in $targets; do
	src=$here/tests/fuzz/$t.c
	[ -f "$src" ] || { echo "fuzz.sh: no $src" >&2; exit 2; }
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -fsanitize=fuzzer -o "$build/bin/$t" "$src" \
	    $lib_objs $PC_LIBS 2>"$build/logs/link-$t.log"; then
		echo "fuzz.sh: cannot build $t:" >&2
		head -20 "$build/logs/link-$t.log" >&2
		exit 1
	fi
done
[ "$build_only" -eq 1 ] && { echo "fuzz.sh: built in $build/bin"; exit 0; }

# seed_target T DIR - fill the corpus DIR of target T
seed_target() {
	t=$1; c=$2
	mkdir -p "$c"
	[ -d "$here/tests/fuzz/seeds/${t#fuzz-}" ] &&
	    cp "$here/tests/fuzz/seeds/${t#fuzz-}"/* "$c"/ 2>/dev/null
	case $t in
	fuzz-facts)
		if [ -d "$shared/corpus" ]; then
			# every message under 64 KiB, named by content
			find "$shared/corpus" -type f -name '*.eml' -size -64k |
			while read -r m; do
				cp "$m" "$c/$(sha1sum <"$m" | cut -c1-16)"
			done
		fi
		[ -d "$here/examples/messages" ] &&
		    cp "$here"/examples/messages/* "$c"/ 2>/dev/null ;;
	fuzz-ldif)
		cp "$here"/tests/data/*.ldif "$here"/examples/*.ldif "$c"/ \
		    2>/dev/null ;;
	fuzz-conf)
		cp "$here"/examples/*.conf "$c"/ 2>/dev/null ;;
	fuzz-absence)
		# deputyAbsence values of the LDIF files, decoded
		for l in "$here"/tests/data/*.ldif "$here"/examples/*.ldif; do
			[ -f "$l" ] || continue
			awk '/^deputyAbsence::/ { v = $2; inv = 1; next }
			    inv && /^ / { v = v substr($0, 2); next }
			    inv { print v; inv = 0 }
			    END { if (inv) print v }' "$l"
		done | sort -u | while read -r b; do
			printf '%s' "$b" | base64 -d >"$c/ldif-$(printf '%s' "$b" |
			    sha1sum | cut -c1-12)" 2>/dev/null
		done ;;
	fuzz-srs)
		# envelope senders of the corpus, as "\001DOMAIN\0SENDER"
		# (forward and back), and any SRS address in it (reverse)
		if [ -d "$shared/corpus" ]; then
			find "$shared/corpus" -type f -name '*.eml' | head -400 |
			while read -r m; do
				sed -n '/^$/q; s/^\(Return-Path\|From\):.*<\([^<>]*@[^<>]*\)>.*/\2/Ip' "$m"
			done | sort -u | head -150 | while IFS= read -r a; do
				printf '\001srs.example.org\000%s' "$a" \
				    >"$c/fwd-$(printf '%s' "$a" | sha1sum | cut -c1-12)"
			done
			grep -rhaoi 'SRS0=[^] "<>,;]*' "$shared/corpus" | sort -u |
			    head -20 | while IFS= read -r a; do
				printf '\000%s' "$a" >"$c/rev-$(printf '%s' "$a" |
				    sha1sum | cut -c1-12)"
			done
		fi ;;
	fuzz-notice)
		# each shipped template with the Subject values of the corpus
		# (raw, encoded words and all) as hostile variables
		if [ -d "$shared/corpus" ]; then
			find "$shared/corpus" -type f -name '*.eml' | head -400 |
			while read -r m; do
				sed -n '/^$/q; s/^[Ss]ubject: *//p' "$m"
			done | sort -u | head -60 >"$c.subjects"
			for tm in "$here"/templates/notice.*; do
				[ -f "$tm" ] || continue
				lang=${tm##*.}
				while IFS= read -r v; do
					# name address until delegates
					# subject to in-reply-to refs lang
					{ cat "$tm"; printf '\000%s' "$v" \
					    alice@example.org 2027-01-04 "$v" \
					    "$v" bob@example.com "$v" "" "$lang"
					} >"$c/$lang-$(printf '%s' "$v" |
					    sha1sum | cut -c1-12)"
				done <"$c.subjects"
			done
			rm -f "$c.subjects"
		fi ;;
	fuzz-sieve)
		# Pigeonhole's own vacation scripts, each alone (the fixed
		# message) and with a few messages of the corpus after a NUL
		if [ -d "$shared/corpus/pigeonhole-vacation" ]; then
			find "$shared/corpus" -type f -name '*.eml' -size -16k |
			    sort | awk 'NR % 97 == 1' | head -6 >"$c.messages"
			find "$shared/corpus/pigeonhole-vacation" -type f \
			    -name '*.sieve' | while read -r s; do
				n=$(sha1sum <"$s" | cut -c1-12)
				cp "$s" "$c/pv-$n"
				while read -r m; do
					{ cat "$s"; printf '\000'; cat "$m"; } \
					    >"$c/pv-$n-$(sha1sum <"$m" | cut -c1-8)"
				done <"$c.messages"
			done
			rm -f "$c.messages"
		fi ;;
	fuzz-authres)
		if [ -d "$shared/corpus" ]; then
			find "$shared/corpus" -type f -name '*.eml' | head -400 |
			while read -r m; do
				sed -n '/^$/q; /^[Aa]uthentication-[Rr]esults:/{
				    s/^[^:]*: *//; p; }' "$m"
			done | sort -u | head -200 | while IFS= read -r v; do
				printf '%s' "$v" >"$c/$(printf '%s' "$v" |
				    sha1sum | cut -c1-16)"
			done
		fi ;;
	esac
}

# Options per target: message and LDIF inputs may be large.
max_len() {
	case $1 in
	fuzz-facts|fuzz-ldif) echo 65536 ;;
	fuzz-maildir-path) echo 1024 ;;
	*) echo 16384 ;;
	esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
# GLib's slice allocator keeps freed GObjects in its magazines, where
# LeakSanitizer sees them reachable: a leaked GMime object went unseen.
export G_SLICE=always-malloc
# Leaks inside libsieve.so are libsieve's own (PLATFORM-NOTES); only
# those are suppressed.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export TMPDIR="$build/tmp"

# cpu_watch PID SECONDS FILE - SIGINT PID once it and its children
# (fuzz-sieve runs each input in one) have used SECONDS of CPU time;
# write the CPU seconds used into FILE as it goes
cpu_watch() {
	hz=$(getconf CLK_TCK)
	while kill -0 "$1" 2>/dev/null; do
		# fields 14 to 17 of /proc/PID/stat: user and system ticks,
		# its own and its reaped children's (the command name in
		# field 2 holds no space here)
		ticks=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" \
		    2>/dev/null) ||
		    break
		[ -n "$ticks" ] || break
		echo $((ticks / hz)) >"$3"
		if [ $((ticks / hz)) -ge "$2" ]; then
			kill -INT "$1" 2>/dev/null
			break
		fi
		sleep 5
	done
}

# run_target T - replay regressions, fuzz, print the summary line
run_target() {
	t=$1
	c=$build/corpus/${t#fuzz-}
	log=$build/logs/$t.log
	seed_target "$t" "$c"
	reg=$here/tests/fuzz/regress/${t#fuzz-}
	if [ -z "${FUZZ_SKIP_REGRESS:-}" ] && [ -d "$reg" ] && [ -n "$(ls "$reg" 2>/dev/null)" ]; then
		if ! "$build/bin/$t" -runs=1 "$reg"/* >"$build/logs/$t.regress.log" 2>&1; then
			echo "FAIL $t regression inputs: $build/logs/$t.regress.log"
			return 1
		fi
	fi
	start=$(date +%s)
	"$build/bin/$t" -max_total_time="$budget" -max_len="$(max_len "$t")" \
	    -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$t-" ${FUZZ_ARGS:-} "$c" \
	    >"$log" 2>&1 &
	pid=$!
	[ "$cpu" -gt 0 ] && cpu_watch "$pid" "$cpu" "$build/logs/$t.cpu" &
	wait "$pid"
	rc=$?
	secs=$(( $(date +%s) - start ))
	used=""
	if [ "$cpu" -gt 0 ]; then
		used=$(cat "$build/logs/$t.cpu" 2>/dev/null)
		# libFuzzer exits 72 on SIGINT, after its final statistics:
		# the budget ran out, not the target.
		[ "$rc" -eq 72 ] && [ -n "$used" ] &&
		    grep -q 'run interrupted' "$log" && rc=0
		used=" cpu=${used:-?}s"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(LC_ALL=C grep -aE '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | LC_ALL=C sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | LC_ALL=C sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | LC_ALL=C sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	sum="execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} time=${secs}s$used"
	if [ "$rc" -eq 0 ] && ! grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:' "$log"; then
		echo "ok $t: $sum"
		return 0
	fi
	art=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -1)
	why=$(grep -m1 -E 'ERROR: |runtime error:' "$log" | cut -c1-160)
	echo "FAIL $t: rc=$rc $sum artifact=${art:-none} log=$log: $why"
	return 1
}

results=$build/results.txt
: >"$results"
set -- $targets
running=0
for t in "$@"; do
	( run_target "$t" >"$build/logs/$t.result" ) &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then wait; running=0; fi
done
wait

fail=0; n=0
for t in "$@"; do
	n=$((n + 1))
	line=$(cat "$build/logs/$t.result" 2>/dev/null)
	[ -n "$line" ] || line="FAIL $t: no result"
	echo "$line" >>"$results"
	case $line in ok*) st=ok ;; *) st=fail; fail=1 ;; esac
	if [ "$tap" -eq 1 ]; then
		if [ "$st" = ok ]; then echo "ok $n - ${line#ok }"
		else echo "not ok $n - ${line#FAIL }"; fi
	else
		echo "$line"
	fi
done
[ "$tap" -eq 1 ] && echo "1..$n"
exit $fail
