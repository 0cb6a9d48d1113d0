#!/bin/sh
# fuzz-short - a short run of every libFuzzer target (scripts/fuzz.sh),
# one TAP line per target: ok when it ran its budget with no crash, no
# leak, no UBSan report. Skips visibly without clang and libFuzzer.
#
#	DEPUTY_FUZZ_TIME=10 (seconds per target)
#	DEPUTY_FUZZ_SEED=1 (libFuzzer's -seed: the same inputs on every run,
#	so that a CI run fails on a change, not on a random draw; the long
#	runs of scripts/fuzz.sh draw at random)

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if [ -n "${DEPUTY_SKIP_FUZZ:-}" ]; then
	echo "1..0 # SKIP DEPUTY_SKIP_FUZZ is set"
	exit 0
fi
build=${DEPUTY_FUZZ_BUILD:-${TMPDIR:-/tmp}/deputy-fuzz-check.$$}
sh "$srcdir/scripts/fuzz.sh" --build "$build" --build-only >"$build.out" 2>&1
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "1..0 # SKIP $(tail -1 "$build.out")"
	rm -rf "$build" "$build.out"
	exit 0
fi
if [ "$rc" -ne 0 ]; then
	echo "not ok 1 - build the fuzz targets"
	sed 's/^/# /' "$build.out" | head -40
	echo "1..1"
	exit 1
fi
FUZZ_ARGS="-seed=${DEPUTY_FUZZ_SEED:-1} ${FUZZ_ARGS:-}"
export FUZZ_ARGS
sh "$srcdir/scripts/fuzz.sh" --build "$build" --time "${DEPUTY_FUZZ_TIME:-10}" --tap
rc=$?
[ "$rc" -ne 0 ] && for l in "$build"/logs/fuzz-*.log; do
	grep -q 'ERROR\|runtime error' "$l" || continue
	echo "# $l:"; grep -m1 -A15 'ERROR\|runtime error' "$l" | sed 's/^/#   /'
done
rm -rf "$build" "$build.out"
exit $rc
