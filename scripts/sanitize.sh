#!/bin/sh
# sanitize.sh - the whole test suite under ASan+UBSan, the black-box
# tests under valgrind memcheck
#
#	scripts/sanitize.sh [--asan] [--valgrind [--in-place]] [--build DIR]
#			    [--keep]
#
# DIR (--build or DEPUTY_SAN_BUILD) holds the builds, wrappers, logs and
# reports; by default a new /tmp/deputy-san.XXXXXX, removed when all
# passed (unless --keep) and kept, with its name printed, otherwise.
#
# --asan (default): copies the source tree (tracked and untracked files,
#   not build products) to DIR/asan,
#   configures it there with -fsanitize=address,undefined
#   -fno-sanitize-recover=all, builds, and runs "make check" with
#   ASAN_OPTIONS=detect_leaks=1 and UBSAN_OPTIONS=halt_on_error=1.
#   The tree is copied because automake refuses a VPATH build from a
#   source tree that is configured in place.
# --valgrind: a plain -O1 -g build in DIR/valgrind (with --in-place:
#   the tree's own build, as run.sh made it); then every
#   tests/blackbox/*.sh runs with DEPUTY_LDA set to a wrapper that runs
#   valgrind --error-exitcode=99 --leak-check=full
#   --errors-for-leak-kinds=definite on the real deputy-lda, passing argv
#   and stdin through and keeping its exit status unless valgrind found
#   an error; every unit test program runs under the same options, and
#   a sample of SANITIZE_VG_CORPUS (40) messages of ../shared/corpus
#   goes through deputy-lda as corpus.sh replays them (SANITIZE_VG_ALL=1
#   runs corpus.sh itself instead, all 800 and more: ~30 min). Two
#   lanes run side by side. Suppressions: tests/valgrind.supp (third-
#   party code only). Each valgrind log is DIR/valgrind/reports/*.PID;
#   the memcheck error count is the sum of their ERROR SUMMARY lines.
#
# deputy-lda runs as "nobody" under test, through setpriv --reset-env,
# which drops the environment: so deputy-lda is always started through a
# wrapper (DIR/*/lda-wrapper) that puts ASAN_OPTIONS/UBSAN_OPTIONS back
# and sends the sanitizer reports to DIR/*/reports/, and UBSan is built
# not to recover, so a report also changes the exit status.
#
# Prints the TAP summary of each test, the line
#	sanitize: valgrind: N passed, N failed, N skipped, N memcheck errors
# and a last line
#	sanitize: asan N passed, N failed, N reports; valgrind ...
# Exit 0 when every test passed and no report (no memcheck error) was
# written.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${DEPUTY_SAN_BUILD:-}
keep=0
do_asan=0
do_vg=0
vg_in_place=0
jobs=$(nproc 2>/dev/null || echo 2)

while [ $# -gt 0 ]; do
	case $1 in
	--asan) do_asan=1; shift ;;
	--valgrind) do_vg=1; shift ;;
	--in-place) vg_in_place=1; shift ;;
	--all) do_asan=1; do_vg=1; shift ;;
	--build) build=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) sed -n '2,44p' "$0"; exit 0 ;;
	*) echo "sanitize.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $do_asan -eq 0 ] && [ $do_vg -eq 0 ] && do_asan=1
# A private directory unless one is named: two runs at once (two work
# trees on one machine) must not share wrappers, reports and counts.
own_build=0
if [ -z "$build" ]; then
	build=$(mktemp -d /tmp/deputy-san.XXXXXX) || exit 1
	chmod 755 "$build"
	own_build=1
fi
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
	# third-party leaks only (libsieve); readable by nobody
	cp "$top/tests/lsan.supp" "$d/lsan.supp" && chmod 644 "$d/lsan.supp"
	lopts="suppressions=$d/lsan.supp:print_suppressions=0"
	cat >"$d/lda-wrapper" <<EOF
#!/bin/sh
# deputy-lda under ASan: setpriv --reset-env dropped the options
ASAN_OPTIONS='$opts'; export ASAN_OPTIONS
UBSAN_OPTIONS='$uopts'; export UBSAN_OPTIONS
LSAN_OPTIONS='$lopts'; export LSAN_OPTIONS
exec '$d/deputy-lda' "\$@"
EOF
	chmod 755 "$d/lda-wrapper"
	# The fuzz smoke test would build a second sanitized copy: skip it.
	(cd "$d" && ASAN_OPTIONS=$opts UBSAN_OPTIONS=$uopts LSAN_OPTIONS=$lopts \
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

# vg_run_tap NAME LOG COMMAND... - run a TAP producer; its counts and
# seconds go to $d/counts/NAME as "passed failed skipped seconds"
vg_run_tap() {
	name=$1; log=$2; shift 2
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	tp=$(grep -c '^ok ' "$log"); tf=$(grep -c '^not ok' "$log")
	ts=$(grep -c '^ok .*# SKIP' "$log")
	tp=$((tp - ts))
	# a producer that failed without a failed line (memcheck's 99) fails
	if [ "$rc" -ne 0 ] && [ "$tf" -eq 0 ]; then
		tf=1
		echo "not ok - $name exited $rc" >>"$log"
	fi
	echo "$tp $tf $ts $(($(date +%s) - start))" \
	    >"$d/counts/$(echo "$name" | tr '/ ' '%_')"
}

# vg_unit - every unit test program (check_PROGRAMS) under memcheck
# vg_unit [--only NAMES | --except NAMES]: NAMES space-separated, e.g.
# "test-state test-ical-agree"
vg_unit() {
	for t in "$src"/tests/unit/test-*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		b=$(basename "$t")
		case "$1 $2 " in
		"--only "*" $b "*|"--except "*) ;;
		"--only "*) continue ;;
		esac
		case "$1 $2 " in
		"--except "*" $b "*) continue ;;
		esac
		# A test that forks children which _exit() mid-run: memcheck
		# would leak-check each child, whose parent's blocks are
		# only in registers. Memory errors are still checked; its
		# leaks are LSan's (the asan stage), which skips _exit().
		o=$vg_opts
		case $b in
		test-state|test-spamc|test-decide) o="$vg_opts --leak-check=no" ;;
		esac
		(cd "$d/tmp" && srcdir=$src top_builddir=$src \
		    DEPUTY_SHARED=$shared && export srcdir top_builddir \
		    DEPUTY_SHARED && vg_run_tap "tests/unit/$b" \
		    "$d/logs/$b.log" "$vg" $o \
		    --log-file="$d/reports/$b.%p" "$t")
	done
}

# vg_blackbox T - one tests/blackbox script, deputy-lda under memcheck
vg_blackbox() {
	(srcdir=$src top_builddir=$src DEPUTY_LDA=$d/lda-wrapper \
	    DEPUTY_SANITIZED=valgrind DEPUTY_SHARED=$shared &&
	    export srcdir top_builddir DEPUTY_LDA DEPUTY_SANITIZED \
	    DEPUTY_SHARED &&
	    vg_run_tap "tests/blackbox/$(basename "$1")" \
	    "$d/logs/$(basename "$1" .sh).log" sh "$1")
}

# vg_corpus_sample - every Nth message of the shared corpus through
# deputy-lda under memcheck, replayed as corpus.sh does (an away user
# with a delegate, fresh retry records for each message): exit 0,
# silent, one mailbox copy. (corpus.sh itself wants all 800 and more.)
vg_corpus_sample() {
	(
	srcdir=$src; top_builddir=$src; DEPUTY_LDA=$d/lda-wrapper
	DEPUTY_SHARED=$shared
	. "$src/tests/blackbox/lib.sh"
	C=$shared/corpus
	if [ ! -f "$C/labels.tsv" ]; then
		skip "corpus not found at $C"
		done_testing
		exit $?
	fi
	setup_env
	echo "templates { dir = \"$src/templates\" }" >>"$T/deputy.conf"
	box=$T/mail/example.org/alice/Maildir/new
	total=$(($(wc -l <"$C/labels.tsv") - 1))
	step=$((total / vg_sample))
	[ "$step" -ge 1 ] || step=1
	awk -F '\t' -v step="$step" \
	    'NR > 1 && (NR - 2) % step == 0 { print $1 }' "$C/labels.tsv" |
	    head -n "$vg_sample" >"$T/sample"
	while read -r file; do
		f=$C/$file
		[ -f "$f" ] || continue
		rm -f "$box"/* "$T/state.lmdb" "$T/state.lmdb-lock"
		lda "$f" -f "$(envelope_sender "$f")" -- alice@example.org
		[ "$rc" -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] &&
		    [ "$(ls "$box" | wc -l)" -eq 1 ]
		ok $? "$file: exit 0, silent, one mailbox copy (exit $rc${err:+: $err})"
	done <"$T/sample"
	cleanup
	done_testing
	)
}

if [ $do_vg -eq 1 ]; then
	d=$build/valgrind
	vg=$(command -v valgrind)
	if [ -z "$vg" ]; then
		echo "sanitize: valgrind not installed" >&2
		exit 77
	fi
	if [ $vg_in_place -eq 1 ]; then
		# the tree as configured and built by the caller (run.sh)
		src=$top
		rm -rf "$d"
		mkdir -p "$d"
		echo "sanitize: valgrind on the build in $src"
		if [ ! -x "$src/deputy-lda" ] ||
		    [ ! -x "$src/tests/unit/test-decide" ]; then
			echo "sanitize: --in-place: $src is not built" \
			    "(make check builds the unit tests)" >&2
			exit 1
		fi
	else
		src=$d
		echo "sanitize: valgrind build in $d"
		if ! copy_tree "$d" || ! configure_tree "$d" "-g -O1" "" ||
		    ! (cd "$d" && make -s -j"$jobs" check TESTS= \
		    >>make.out 2>&1); then
			echo "sanitize: valgrind build failed; see $d/*.out" >&2
			exit 1
		fi
	fi
	chmod 755 "$build" "$d"
	mkdir -p "$d/reports" "$d/logs" "$d/counts" "$d/tmp" &&
	    chmod 1777 "$d/reports"
	shared=${DEPUTY_SHARED:-$top/../shared}
	vg_sample=${SANITIZE_VG_CORPUS:-40}
	# deputy-lda runs as nobody: the suppressions must be readable
	cp "$top/tests/valgrind.supp" "$d/valgrind.supp" &&
	    chmod 644 "$d/valgrind.supp"
	# A leak is an error when definite (nothing points to the block);
	# "possibly lost" and "still reachable" blocks are GLib's, GMime's
	# and LMDB's tables at exit and are not shown. A child between fork
	# and execve is checked too (its exit status becomes 99) but silent.
	vg_opts="--error-exitcode=99 --leak-check=full"
	vg_opts="$vg_opts --errors-for-leak-kinds=definite"
	vg_opts="$vg_opts --show-leak-kinds=definite --num-callers=30"
	vg_opts="$vg_opts --child-silent-after-fork=yes"
	vg_opts="$vg_opts --suppressions=$d/valgrind.supp"
	cat >"$d/lda-wrapper" <<WRAPPER
#!/bin/sh
# deputy-lda under memcheck: same argv, stdin and exit status; 99 when
# valgrind found an error (its report goes to reports/, not stderr).
# The engine itself: deputy-lda would exec it out of valgrind's sight.
exec '$vg' $vg_opts --log-file='$d/reports/lda.%p' '$src/deputy-deliver' "\$@"
WRAPPER
	chmod 755 "$d/lda-wrapper"
	vg_start=$(date +%s)
	# Two lanes, one for each core: memcheck runs one thread at a time.
	# Balanced by their last times (s): pigeonhole 190, sieve 194 and
	# test-state 91 in one; the other black-box scripts, the corpus
	# sample and the other unit tests (test-ical-agree 159) in the other.
	heavy_units="test-state"
	(
		for t in pigeonhole.sh sieve.sh; do
			[ -f "$src/tests/blackbox/$t" ] &&
			    vg_blackbox "$src/tests/blackbox/$t"
		done
		vg_unit --only " $heavy_units"
		if [ -n "${SANITIZE_VG_ALL:-}" ]; then
			vg_blackbox "$src/tests/blackbox/corpus.sh"
		fi
	) &
	(
		for t in "$src"/tests/blackbox/*.sh; do
			case $(basename "$t") in
			lib.sh|corpus.sh|corpus-*.sh|pigeonhole.sh|sieve.sh)
				continue ;;
			esac
			vg_blackbox "$t"
		done
		if [ -z "${SANITIZE_VG_ALL:-}" ] && [ "$vg_sample" -gt 0 ]; then
			vg_run_tap "corpus sample of $vg_sample" \
			    "$d/logs/corpus-sample.log" vg_corpus_sample
		fi
		vg_unit --except " $heavy_units"
	) &
	wait
	vg_secs=$(($(date +%s) - vg_start))
	p=0; f=0; s=0
	for c in "$d"/counts/*; do
		[ -f "$c" ] || continue
		read -r tp tf ts secs <"$c"
		p=$((p + tp)); f=$((f + tf)); s=$((s + ts))
		printf '  %-38s %4d passed %3d failed %3d skipped %4ds\n' \
		    "$(basename "$c" | tr '%_' '/ ')" "$tp" "$tf" "$ts" "$secs"
	done
	cat "$d"/logs/*.log | grep '^not ok' | head -20 | sed 's/^/      /'
	# memcheck errors: the sum of every process's ERROR SUMMARY
	nerr=0; nproc=0; shown=0
	for r in "$d"/reports/*; do
		[ -s "$r" ] || continue		# a silenced child
		e=$(sed -n 's/.*ERROR SUMMARY: \([0-9][0-9]*\) error.*/\1/p' \
		    "$r" | tail -1)
		# killed before its summary (SIGKILL): count the reports
		[ -n "$e" ] || e=$(grep -c '^==[0-9]*== \(Invalid\|Conditional\|Use of uninit\|Syscall param\|Mismatched\|Source and dest\)' "$r")
		nproc=$((nproc + 1))
		[ "$e" -gt 0 ] || continue
		nerr=$((nerr + e))
		shown=$((shown + 1))
		[ "$shown" -le 5 ] || continue
		echo "--- $r ($e errors)"
		grep -v '^==[0-9]*== *$' "$r" |
		    sed -n '/Command:/p; /Parent PID/,/LEAK SUMMARY/p' |
		    grep -v 'Parent PID\|HEAP SUMMARY\|in use at exit\|total heap usage\|LEAK SUMMARY' |
		    head -40
	done
	echo "sanitize: valgrind: $nproc processes under memcheck, ${vg_secs}s"
	echo "sanitize: valgrind: $p passed, $f failed, $s skipped, $nerr memcheck errors"
	summary="$summary${summary:+; }valgrind $p passed, $f failed, $nerr memcheck errors"
	[ "$f" -eq 0 ] && [ "$nerr" -eq 0 ] || fail=1
fi

echo "sanitize: $summary"
if [ $own_build -eq 1 ] && [ $fail -eq 0 ] && [ $keep -eq 0 ]; then
	rm -rf "$build"
else
	echo "sanitize: builds, logs and reports kept in $build"
fi
exit $fail
