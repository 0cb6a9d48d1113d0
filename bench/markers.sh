#!/bin/sh
# markers.sh - what facts marks, per category of the shared corpus
#
#	sh bench/markers.sh [-b BUILDDIR] [-c CORPUSDIR]
#
# Builds bench/markers.c against the built tree (BUILDDIR, default the
# top of the tree: run `make` first), runs it over every message of
# labels.tsv and prints a table: per category, how many messages carry
# each marker, and in particular the challenge/response marker found in
# the first text part alone (facts' text_challenge, counted even where
# a header or the sender's domain named the challenge first). The lines
# below the table name every personal message the text marked (there
# should be none) and every challenge it missed.
#
# A measurement, not a test: nothing here fails a build. Needs cc,
# pkg-config and the corpus (../shared/corpus, or $DEPUTY_SHARED/corpus).
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here
corpus=${DEPUTY_SHARED:-$here/../shared}/corpus
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$2; shift 2 ;;
	-c) corpus=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "markers.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ ! -f "$corpus/labels.tsv" ]; then
	echo "markers.sh: no corpus at $corpus" >&2
	exit 77
fi
for a in libdeputy.a libdirectory.a libtemplates.a config.h; do
	if [ ! -f "$build/$a" ]; then
		echo "markers.sh: $build/$a missing: build the tree first" >&2
		exit 2
	fi
done

T=$(mktemp -d /tmp/deputy-markers.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2046 # pkg-config's words
if ! cc -O2 -std=gnu11 -I"$build" -I"$here/gateway" -I"$here/directory" \
    $(pkg-config --cflags gmime-3.0 glib-2.0) -o "$T/markers" \
    "$here/bench/markers.c" "$build/libdeputy.a" "$build/libdirectory.a" \
    "$build/libtemplates.a" \
    $(pkg-config --libs gmime-3.0 glib-2.0) 2>"$T/cc.log"; then
	echo "markers.sh: cannot build bench/markers.c:" >&2
	head -20 "$T/cc.log" >&2
	exit 1
fi

tab=$(printf '\t')
# label of each file, then the markers of each, joined on the file name
sed 1d "$corpus/labels.tsv" | cut -f1,2 | sort >"$T/labels"
cut -f1 "$T/labels" | sed "s|^|$corpus/|" | xargs "$T/markers" |
    sed "s|^$corpus/||" | sort >"$T/marks"
join -t "$tab" "$T/labels" "$T/marks" >"$T/joined"

echo "# facts markers on $(wc -l <"$T/joined") messages of $corpus"
echo "# commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| category | messages | challenge (any) | challenge (text alone) | bounce | auto-reply | report | not parsed |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
# fields: 1 file, 2 category, 3 parsed, 4 challenge, 5 text challenge,
# 6 bounce, 7 auto-reply, 8 report, 9 unparsed reason
awk -F "$tab" '
{
	c = $2; n[c]++; all++
	if ($4 != "-") ch[c]++
	if ($5 != "-") tx[c]++
	if ($6 != "-") bo[c]++
	if ($7 != "-") ar[c]++
	if ($8 != "-") re[c]++
	if ($3 == 0) un[c]++
}
END {
	for (c in n)
		printf "| %s | %d | %d | %d | %d | %d | %d | %d |\n", c, n[c],
		    ch[c], tx[c], bo[c], ar[c], re[c], un[c] | "sort"
}' "$T/joined"
echo
awk -F "$tab" '$2 == "personal" && $5 != "-" {
	print "personal marked by its text: " $1 ": " $5; bad++ }
END { if (!bad) print "personal marked by its text: none" }' "$T/joined"
awk -F "$tab" '$2 == "challenge" {
	if ($5 != "-") print "challenge caught by its text: " $1 ": " $5
	else print "challenge missed by its text: " $1 " (other marker: " $4 ")" }' \
    "$T/joined"
awk -F "$tab" '$5 != "-" && $2 != "challenge" && $2 != "personal" {
	print "other category marked by its text: " $1 " (" $2 "): " $5 }' \
    "$T/joined"
