#!/bin/sh
# run.sh - the test command: install what is needed, build from scratch,
# run every test (the full tier), and end with "N passed, N failed".
#
# Stages: the quick tier and the full tier's FULL_TESTS in one parallel
# "make check" (the whole corpus in two shards, integration with real
# services, the fault suites, short fuzzing); the quick tier again under
# ASan and UBSan; the unit tests and a sample through valgrind; make
# distcheck with the unit tests only.
#
#	sh tests/run.sh			(as root on a fresh Debian 12)
#
# Tests that need ../shared/corpus skip with a visible count when it is
# absent. Services needed by later suites are started and stopped by
# those suites themselves, by pid.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)

sh scripts/install-deps.sh build integration fuzz || exit 1

# From scratch: a clean clone has no configure; a dirty tree is cleaned.
if [ -f Makefile ]; then make -s distclean >/dev/null 2>&1 || true; fi
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed" >&2; exit 1; }
./configure -q --enable-werror || { echo "configure failed" >&2; exit 1; }
make -s -j"$(nproc)" || { echo "build failed" >&2; exit 1; }

# deputy-lda runs as "nobody" under test: it must reach the build tree.
chmod o+rx "$top" 2>/dev/null || true

t0=$(date +%s)
DEPUTY_FULL=1 make -s -j4 check \
    TESTS='$(UNIT_TESTS) $(QUICK_TESTS) $(FULL_TESTS)' >/dev/null 2>&1
check_rc=$?
echo "make check (full tier): $(( $(date +%s) - t0 )) s"

passed=0; failed=0; skipped=0
for trs in $(find tests -name '*.trs' | sort); do
	log=${trs%.trs}.log
	p=$(grep -c '^:test-result: PASS' "$trs")
	x=$(grep -c '^:test-result: XPASS' "$trs")
	f=$(grep -c '^:test-result: FAIL' "$trs")
	e=$(grep -c '^:test-result: ERROR' "$trs")
	s=$(grep -c '^:test-result: SKIP' "$trs")
	passed=$((passed + p)); failed=$((failed + f + e + x)); skipped=$((skipped + s))
	printf '%-40s %4d passed %3d failed %3d skipped\n' "${trs%.trs}" "$p" \
	    $((f + e + x)) "$s"
	if [ $((f + e + x)) -gt 0 ]; then
		grep -E '^(not ok|# )' "$log" | head -40 | sed 's/^/    /'
	fi
done
if [ "$check_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "make check failed outside the test programs:" >&2
	tail -30 test-suite.log >&2 2>/dev/null
	failed=$((failed + 1))
fi

# The whole suite again, built with AddressSanitizer and UBSan (in a copy
# of the tree, see scripts/sanitize.sh); a sanitizer report fails it.
if [ "${DEPUTY_SKIP_SANITIZE:-}" = "" ]; then
	t0=$(date +%s)
	sh scripts/sanitize.sh --asan >sanitize.log 2>&1
	san_rc=$?
	echo "asan+ubsan stage: $(( $(date +%s) - t0 )) s"
	line=$(grep '^sanitize: asan [0-9]* passed' sanitize.log | tail -1)
	sp=$(echo "$line" | sed -n 's/^sanitize: asan \([0-9]*\) passed.*/\1/p')
	sf=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	sr=$(echo "$line" | sed -n 's/.* \([0-9]*\) reports.*/\1/p')
	echo "asan+ubsan: ${sp:-0} passed, ${sf:-?} failed, ${sr:-?} sanitizer reports"
	if [ "$san_rc" -ne 0 ] || [ -z "$sp" ]; then
		grep -E '^ *tests/.* [1-9][0-9]* failed|^not ok|ERROR|SUMMARY' \
		    sanitize.log | head -20
		failed=$((failed + ${sf:-1} + ${sr:-0}))
		[ "${sf:-1}" -eq 0 ] && [ "${sr:-0}" -eq 0 ] && failed=$((failed + 1))
	fi
	passed=$((passed + ${sp:-0}))
fi

# The unit and black-box tests (and a corpus sample) once more, with the
# unit tests and deputy-lda under valgrind memcheck, on the build above
# (scripts/sanitize.sh --valgrind --in-place): a memcheck error fails it.
if [ "${DEPUTY_SKIP_VALGRIND:-}" = "" ]; then
	t0=$(date +%s)
	sh scripts/sanitize.sh --valgrind --in-place >valgrind.log 2>&1
	vg_rc=$?
	echo "valgrind stage: $(( $(date +%s) - t0 )) s"
	line=$(grep '^sanitize: valgrind: [0-9]* passed' valgrind.log | tail -1)
	vp=$(echo "$line" | sed -n 's/^sanitize: valgrind: \([0-9]*\) passed.*/\1/p')
	vf=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	ve=$(echo "$line" | sed -n 's/.* \([0-9]*\) memcheck errors.*/\1/p')
	echo "valgrind: ${vp:-0} passed, ${vf:-?} failed, ${ve:-?} memcheck errors"
	if [ "$vg_rc" -ne 0 ] || [ -z "$vp" ]; then
		grep -E '^ *tests/.* [1-9][0-9]* failed|^ *not ok|^--- |definitely|Invalid|uninitialised' \
		    valgrind.log | head -20
		failed=$((failed + ${vf:-1} + ${ve:-0}))
		[ "${vf:-1}" -eq 0 ] && [ "${ve:-0}" -eq 0 ] && failed=$((failed + 1))
	fi
	passed=$((passed + ${vp:-0}))
fi

# make distcheck: the tarball builds and passes its own tests.
if [ "${DEPUTY_SKIP_DISTCHECK:-}" = "" ]; then
	# The tarball's own check runs the unit tests: the black-box
	# suites, daemons, fuzzers and fault suites ran above already.
	if make -s distcheck TESTS='$(UNIT_TESTS)' \
	    >distcheck.log 2>&1; then
		echo "distcheck: ok"; passed=$((passed + 1))
	else
		echo "distcheck: FAILED"; tail -30 distcheck.log; failed=$((failed + 1))
	fi
fi

echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
