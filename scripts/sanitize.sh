#!/bin/sh
# sanitize.sh - the whole test suite under ASan+UBSan, the black-box
# tests under valgrind memcheck
#
#	scripts/sanitize.sh [--asan] [--valgrind] [--build DIR] [--keep]
#
# --asan (default): copies the source tree (tracked and untracked files,
#   not build products) to DIR/asan (default DIR: /tmp/deputy-san),
#   configures it there with -fsanitize=address,undefined
#   -fno-sanitize-recover=all, builds, and runs "make check" with
#   ASAN_OPTIONS=detect_leaks=1 and UBSAN_OPTIONS=halt_on_error=1.
#   The tree is copied because automake refuses a VPATH build from a
#   source tree that is configured in place.
# --valgrind: a plain -O1 -g build in DIR/valgrind; then every
#   tests/blackbox/*.sh runs with DEPUTY_LDA set to a wrapper that runs
#   valgrind --error-exitcode=99 --leak-check=full
#   --errors-for-leak-kinds=definite on the real deputy-lda, passing argv
#   and stdin through and keeping its exit status unless valgrind found
#   an error.
#
# deputy-lda runs as "nobody" under test, through setpriv --reset-env,
# which drops the environment: so deputy-lda is always started through a
# wrapper (DIR/*/lda-wrapper) that puts ASAN_OPTIONS/UBSAN_OPTIONS back
# and sends the sanitizer reports to DIR/*/reports/, and UBSan is built
# not to recover, so a report also changes the exit status.
#
# Prints the TAP summary of each test and a last line
#	sanitize: asan N passed, N failed, N reports; valgrind ...
# Exit 0 when every test passed and no report was written.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${DEPUTY_SAN_BUILD:-/tmp/deputy-san}
do_asan=0
do_vg=0
jobs=$(nproc 2>/dev/null || echo 2)

while [ $# -gt 0 ]; do
	case $1 in
	--asan) do_asan=1; shift ;;
	--valgrind) do_vg=1; shift ;;
	--all) do_asan=1; do_vg=1; shift ;;
	--build) build=$2; shift 2 ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "sanitize.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $do_asan -eq 0 ] && [ $do_vg -eq 0 ] && do_asan=1
summary=""
fail=0

# copy_tree DEST - the source files of the work tree, without products
copy_tree() {
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$top" && git ls-files -co --exclude-standard -z |
	    grep -zv '^\(confdefs.h\|conftest\..*\)$' |
	    tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$1" || return 1
	chmod -R a+rX "$1"
	chmod 755 "$build"
}

# configure_tree DEST CFLAGS LDFLAGS
configure_tree() {
	(cd "$1" && autoreconf -fi >autoreconf.out 2>&1 &&
	    ./configure -q CFLAGS="$2" LDFLAGS="$3" >configure.out 2>&1 &&
	    make -s -j"$jobs" >make.out 2>&1)
}

# report_tap LOG... - print the TAP lines and count them
tap_counts() {
	p=0; f=0; s=0
	for trs in $(find "$1" -name '*.trs' | sort); do
		tp=$(grep -c '^:test-result: PASS' "$trs")
		tf=$(grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs")
		ts=$(grep -c '^:test-result: SKIP' "$trs")
		p=$((p + tp)); f=$((f + tf)); s=$((s + ts))
		printf '  %-38s %4d passed %3d failed %3d skipped\n' \
		    "${trs#"$1"/}" "$tp" "$tf" "$ts"
		[ "$tf" -gt 0 ] && grep '^not ok' "${trs%.trs}.log" | head -10 |
		    sed 's/^/      /'
	done
}

if [ $do_asan -eq 1 ]; then
	d=$build/asan
	echo "sanitize: ASan+UBSan build in $d"
	san="-fsanitize=address,undefined -fno-sanitize-recover=all"
	if ! copy_tree "$d" || ! configure_tree "$d" \
	    "$san -fno-omit-frame-pointer -g -O1" "$san"; then
		echo "sanitize: asan build failed; see $d/*.out" >&2
		tail -20 "$d/make.out" "$d/configure.out" 2>/dev/null >&2
		exit 1
	fi
	mkdir -p "$d/reports" && chmod 1777 "$d/reports"
	opts="detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0:log_path=$d/reports/asan"
	uopts="halt_on_error=1:print_stacktrace=1:log_path=$d/reports/ubsan"
	cat >"$d/lda-wrapper" <<EOF
#!/bin/sh
# deputy-lda under ASan: setpriv --reset-env dropped the options
ASAN_OPTIONS='$opts'; export ASAN_OPTIONS
UBSAN_OPTIONS='$uopts'; export UBSAN_OPTIONS
exec '$d/deputy-lda' "\$@"
EOF
	chmod 755 "$d/lda-wrapper"
	# The fuzz smoke test would build a second sanitized copy: skip it.
	(cd "$d" && ASAN_OPTIONS=$opts UBSAN_OPTIONS=$uopts \
	    DEPUTY_SKIP_FUZZ=1 make -s -j"$jobs" check \
	    TESTS_ENVIRONMENT="DEPUTY_LDA='$d/lda-wrapper'; export DEPUTY_LDA; DEPUTY_SANITIZED=asan; export DEPUTY_SANITIZED;" \
	    >check.out 2>&1)
	check_rc=$?
	tap_counts "$d"
	# LSan cannot run under ptrace (a test that uses strace): not ours
	tool=$(grep -l 'LeakSanitizer has encountered a fatal error' \
	    "$d"/reports/* 2>/dev/null | wc -l)
	[ "$tool" -gt 0 ] && echo "sanitize: $tool runs under ptrace, where LSan cannot work (ignored)" &&
	    grep -l 'LeakSanitizer has encountered a fatal error' "$d"/reports/* |
	    xargs rm -f
	nrep=$(ls "$d/reports" | wc -l)
	if [ "$nrep" -gt 0 ]; then
		echo "sanitize: $nrep sanitizer reports:"
		for r in "$d"/reports/*; do
			echo "--- $r"; head -30 "$r"
		done
	fi
	echo "sanitize: asan: $p passed, $f failed, $s skipped, $nrep reports (make check exit $check_rc)"
	summary="asan $p passed, $f failed, $nrep reports"
	[ "$f" -eq 0 ] && [ "$nrep" -eq 0 ] && [ "$check_rc" -eq 0 ] || fail=1
fi

if [ $do_vg -eq 1 ]; then
	d=$build/valgrind
	vg=$(command -v valgrind)
	if [ -z "$vg" ]; then
		echo "sanitize: valgrind not installed" >&2
		exit 77
	fi
	echo "sanitize: valgrind build in $d"
	if ! copy_tree "$d" || ! configure_tree "$d" "-g -O1" ""; then
		echo "sanitize: valgrind build failed; see $d/*.out" >&2
		exit 1
	fi
	mkdir -p "$d/reports" && chmod 1777 "$d/reports"
	cat >"$d/lda-wrapper" <<EOF
#!/bin/sh
# deputy-lda under memcheck: same argv, stdin and exit status; 99 when
# valgrind found an error (its report goes to reports/, not stderr)
exec '$vg' --error-exitcode=99 --leak-check=full --child-silent-after-fork=yes \\
    --errors-for-leak-kinds=definite --quiet \\
    --log-file='$d/reports/vg.%p' '$d/deputy-lda' "\$@"
EOF
	chmod 755 "$d/lda-wrapper"
	p=0; f=0; s=0
	# corpus.sh (900 messages) takes half an hour under memcheck: only
	# with SANITIZE_VG_ALL=1
	for t in "$d"/tests/blackbox/*.sh; do
		case $(basename "$t") in lib.sh) continue ;; esac
		if [ "$(basename "$t")" = corpus.sh ] &&
		    [ -z "${SANITIZE_VG_ALL:-}" ]; then
			echo "  tests/blackbox/corpus.sh: skipped (SANITIZE_VG_ALL=1 runs it)"
			continue
		fi
		log=${t%.sh}.vg.log
		srcdir=$d top_builddir=$d DEPUTY_LDA=$d/lda-wrapper DEPUTY_SANITIZED=valgrind \
		    DEPUTY_SHARED=${DEPUTY_SHARED:-$top/../shared} \
		    sh "$t" >"$log" 2>&1
		tp=$(grep -c '^ok ' "$log"); tf=$(grep -c '^not ok' "$log")
		ts=$(grep -c '^ok .*# SKIP' "$log")
		tp=$((tp - ts))
		p=$((p + tp)); f=$((f + tf)); s=$((s + ts))
		printf '  %-38s %4d passed %3d failed %3d skipped\n' \
		    "tests/blackbox/$(basename "$t")" "$tp" "$tf" "$ts"
		grep '^not ok' "$log" | head -10 | sed 's/^/      /'
	done
	# reports with content are errors; --quiet leaves empty files
	nrep=0
	for r in "$d"/reports/vg.*; do
		[ -s "$r" ] || continue
		nrep=$((nrep + 1))
		[ $nrep -le 5 ] && { echo "--- $r"; head -40 "$r"; }
	done
	echo "sanitize: valgrind: $p passed, $f failed, $s skipped, $nrep reports"
	summary="$summary${summary:+; }valgrind $p passed, $f failed, $nrep reports"
	[ "$f" -eq 0 ] && [ "$nrep" -eq 0 ] || fail=1
fi

echo "sanitize: $summary"
exit $fail
