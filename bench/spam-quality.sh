#!/bin/sh
# spam-quality.sh - the shared corpus through a real spamd and a real
# rspamd, then through deputy's spam policy: what would reach a delegate
# inside our domains, one outside, and which messages pass the spam rule
# of the notice gate, per scanner, on each scanner's own scale.
#
#   sh bench/spam-quality.sh                 # spam, phish, personal
#   sh bench/spam-quality.sh -a              # every category
#   sh bench/spam-quality.sh -V FILE         # no scanning: re-read the
#                                            # verdicts a run kept (-k)
#   sh bench/spam-quality.sh -k FILE         # keep the verdicts in FILE
#   sh bench/spam-quality.sh -s 1,2,5 -r 2,4,15   # other thresholds
#                                            # (notice,clean,forward)
#
# Both scanners run offline, as deputy's integration tests run them
# (tests/integration/scanners.sh, PLATFORM-NOTES 4a/4b): spamd --local
# (no DNSBL, URIBL, Razor, Pyzor, no Bayes), rspamd with its network
# modules off and no Redis (no Bayes, no fuzzy hashes, no reputation).
# Networked scanners score spam higher; the rates here are a floor for
# catching spam and a ceiling for losing personal mail.
#
# Messages are sent by deputy's own client (bench/spam-policy scan, which
# calls spam_from_scanner()); the counts come from spam_notice_ok() and
# spam_forward_ok() (bench/spam-policy table and sweep). The corpus has
# no trusted Authentication-Results, so "authenticated" is a what-if.
#
# Needs a configured build tree (make bench/spam-policy is run here),
# spamd/spamc, rspamd, curl, and the corpus at $DEPUTY_SHARED/corpus.
# Time, on 2 busy cores: spamd 90-220 s and rspamd 30 s for the 812
# messages of -a (a third of that without -a); rspamd's first start adds
# ~15 s to compile its Hyperscan cache (set RSPAMD_DBDIR to a kept
# directory to reuse it). The scanners are stopped by pid on exit.
# bench/SPAM-QUALITY.md holds a run and why the defaults are what they
# are.

set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)
: "${top_builddir:=$srcdir}"
: "${DEPUTY_SHARED:=$srcdir/../shared}"
C=$DEPUTY_SHARED/corpus
all=0
verdicts=""
keep=""
sa_th=""
rs_th=""

while getopts aV:k:s:r:h opt; do
	case $opt in
	a) all=1 ;;
	V) verdicts=$OPTARG ;;
	k) keep=$OPTARG ;;
	s) sa_th=$OPTARG ;;
	r) rs_th=$OPTARG ;;
	*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done

if [ ! -f "$C/labels.tsv" ]; then
	echo "spam-quality: no corpus at $C (set DEPUTY_SHARED)" >&2
	exit 2
fi
(cd "$top_builddir" && make -s bench/spam-policy) || exit 2
P=$top_builddir/bench/spam-policy

. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/integration/scanners.sh"

W=$(mktemp -d /tmp/spam-quality.XXXXXX)
chmod 755 "$W"
quality_cleanup() {
	spamd_stop
	rspamd_stop
	rm -rf "$W"
}
trap quality_cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -z "$verdicts" ]; then
	for x in "$SPAMD" "$SPAMC" "$RSPAMD"; do
		[ -x "$x" ] || { echo "spam-quality: $x not installed" >&2
			exit 2; }
	done
	tab=$(printf '\t')
	awk -F"$tab" -v all="$all" 'NR > 1 && (all || $2 == "spam" ||
	    $2 == "phish" || $2 == "personal") { print $1 "\t" $2 }' \
	    "$C/labels.tsv" | while IFS="$tab" read -r file category; do
		[ -f "$C/$file" ] || continue
		printf '%s\t%s\t%s\n' "$C/$file" "$category" \
		    "$(envelope_sender "$C/$file")"
	done >"$W/list"
	awk 'NR % 2 == 1' "$W/list" >"$W/list.1"
	awk 'NR % 2 == 0' "$W/list" >"$W/list.2"
	echo "# $(wc -l <"$W/list") messages from $C"

	t0=$(date +%s)
	if ! spamd_start "$W/sa"; then
		echo "spam-quality: spamd did not start" >&2
		tail -5 "$W/sa/spamd.log" >&2
		exit 1
	fi
	echo "# spamd up in $(( $(date +%s) - t0 )) s (127.0.0.1:$SPAMD_PORT)"
	t0=$(date +%s)
	if ! rspamd_start "$W/rs"; then
		echo "spam-quality: rspamd did not start" >&2
		tail -5 "$W/rs/log/rspamd.log" >&2
		exit 1
	fi
	echo "# rspamd up in $(( $(date +%s) - t0 )) s (127.0.0.1:$RSPAMD_PORT)"

	for s in spamd rspamd; do
		port=$SPAMD_PORT
		[ "$s" = rspamd ] && port=$RSPAMD_PORT
		t0=$(date +%s)
		"$P" scan -k "$s" -a "127.0.0.1:$port" <"$W/list.1" \
		    >"$W/v.$s.1" &
		j1=$!
		"$P" scan -k "$s" -a "127.0.0.1:$port" <"$W/list.2" \
		    >"$W/v.$s.2" &
		j2=$!
		wait "$j1"; wait "$j2"
		echo "# $s scored $(cat "$W/v.$s.1" "$W/v.$s.2" | wc -l) in" \
		    "$(( $(date +%s) - t0 )) s (2 at a time);" \
		    "without a verdict: $(cat "$W/v.$s.1" "$W/v.$s.2" |
		    awk -F"$tab" '$4 == 0' | wc -l)"
	done
	spamd_stop
	rspamd_stop
	verdicts=$W/verdicts
	cat "$W"/v.spamd.* "$W"/v.rspamd.* | sed "s,^$C/,," >"$verdicts"
	[ -z "$keep" ] || cp "$verdicts" "$keep"
fi

set -- 
[ -z "$sa_th" ] || set -- "$@" -s "$sa_th"
[ -z "$rs_th" ] || set -- "$@" -r "$rs_th"
echo
echo "## Deputy's spam policy on the scanners' verdicts"
"$P" table "$@" <"$verdicts"

echo
echo "## One threshold at a time (the others as above)"
for k in spamd rspamd; do
	case $k in
	spamd) n=0,0.5,1,1.5,2; c=1,2,3,4,5; f=3,4,5,6,8,10 ;;
	rspamd) n=0,0.5,1,1.5,2,2.5,3,4; c=1,1.5,2,2.5,3,4; f=4,6,8,10,15 ;;
	esac
	"$P" sweep -k "$k" -p notice -v "$n" "$@" <"$verdicts"
	"$P" sweep -k "$k" -p clean -v "$c" "$@" <"$verdicts"
	"$P" sweep -k "$k" -p forward -v "$f" "$@" <"$verdicts"
done
