#!/bin/sh
# trust-strip.sh - the README's Postfix recipe against what deputy trusts
#
# deputy trusts a field it finds above the trust boundary; with
# auth.boundary_received = 1 that is directly below our MTA's Received
# line, where a sender's own forged field lands too. So the MTA must
# strip every incoming copy deputy would trust, and README.md ("Allowing
# notices") gives the header_checks file that does it. This test takes
# that file out of README.md as it is, gives it to a private real
# Postfix (lib.sh's postfix_setup, PLATFORM-NOTES 3) whose transport for
# example.org saves each message, and sends every variant of a forged
# field through smtpd and cleanup with swaks, one message per variant.
#
# For each variant three facts are measured and all three are pinned in
# the table below, so that the test fails when either side changes:
#   deputy    deputy-lda --explain on the message as the client wrote
#             it, with our Received line on top: does deputy by itself
#             trust the field (envelope sender authenticated for
#             Authentication-Results, spam score known for spam
#             headers)? That is what an MTA that changes nothing hands
#             on.
#   lands     the same verdict on what Postfix delivers when its
#             header_checks is empty: Postfix rewrites some forms (it
#             drops the white space before a colon, it ends the header
#             block with an empty line before a line that is no header
#             field), so this is what the recipe has to catch.
#   stripped  is the field gone from what Postfix delivers with the
#             recipe?
# and the rule of the README is checked for each variant: what deputy
# would trust where it lands is stripped, and what Postfix leaves in is
# not trusted (deputy-lda --explain on the delivered message).
#
# Needs root (a private Postfix), postfix, postqueue and swaks; skips
# visibly otherwise. Postfix is stopped by its master's pid (EXIT trap).

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/integration/lib.sh"

for need in "$POSTFIX" /usr/sbin/postqueue; do
	if [ ! -x "$need" ]; then
		skip "$need not installed (scripts/packages/integration.txt)"
		done_testing
		exit 0
	fi
done
if ! command -v swaks >/dev/null; then
	skip "swaks not installed (scripts/packages/integration.txt)"
	done_testing
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	skip "a private Postfix needs root (CI runs as root)"
	done_testing
	exit 0
fi

setup_env
trap integration_cleanup EXIT
trap 'exit 1' INT TERM
cat >>"$T/deputy.conf" <<CONF
auth {
	trusted_authserv_ids = {"mx.example.org"}
	boundary_received = 1
}
spam {
	trusted_headers = {"X-Spam-Score", "X-Spam-Status"}
}
CONF
chown nobody: "$T/deputy.conf"

# --- the recipe, exactly as README.md has it --------------------------

sed -n '/^ *# \/etc\/postfix\/header_checks$/,/^$/p' "$srcdir/README.md" |
    sed '1d; /^$/d; s/^ *//' >"$T/header_checks"
grep -q '^/^Authentication-Results' "$T/header_checks" &&
    ! grep -qv '^/.*/ IGNORE$' "$T/header_checks"
ok $? "README.md's header_checks file extracted ($(wc -l <"$T/header_checks") rules)"
sed 's/^/#   /' "$T/header_checks"

postfix_setup "example.org=savefile:"
P=$T/pf
mkdir -p "$P/out"
chown nobody: "$P/out"
cat >"$P/save.sh" <<'SAVE'
#!/bin/sh
f=$(mktemp "$1/msg.XXXXXX") || exit 75
cat >"$f" || exit 75
SAVE
chmod 755 "$P/save.sh"
cat >>"$P/etc/master.cf" <<CF
savefile  unix  -       n       n       -       -       pipe
  flags=R user=nobody argv=$P/save.sh $P/out
CF
cp "$T/header_checks" "$P/etc/header_checks"
cat >>"$P/etc/main.cf" <<CF
header_checks =
CF
script -qec "$POSTFIX -c $P/etc check" /dev/null >>"$P/check.log" 2>&1
ok $? "postfix check passes with the recipe"
postfix_start
ok $? "postfix listens on 127.0.0.1:$SMTP_PORT"

# --- the variants -------------------------------------------------------
#
# One line each: ID, DEPUTY, LANDS, STRIPPED (1: trusted by deputy as
# written, trusted as Postfix delivers it without the recipe, removed by
# the recipe), KIND (ar or spam), a description. The header lines are
# written by variant_fields below; every one carries a marker
# (policy.v=ID, or a score -5.N) to find it again.

VARIANTS="
plain            1 1 1 ar   Authentication-Results: mx.example.org; ...
nospace          1 1 1 ar   no space after the colon
tab              1 1 1 ar   a tab after the colon
fold-colon       1 1 1 ar   folded right after the colon
fold-id          1 1 1 ar   folded between the authserv-id and ';'
lower            1 1 1 ar   authentication-results: (name in lower case)
upper            1 1 1 ar   AUTHENTICATION-RESULTS: (name in capitals)
id-upper         1 1 1 ar   MX.EXAMPLE.ORG (authserv-id in capitals)
version          1 1 1 ar   mx.example.org 1; (an authres-version)
comment-later    1 1 1 ar   mx.example.org (filter); (white space, a comment)
blank-cont       1 1 1 ar   after a continuation line of white space only
comment-before   0 0 1 ar   (x) mx.example.org; (a comment before the id)
quoted           0 0 1 ar   \"mx.example.org\"; (the id quoted)
comment-after    0 0 1 ar   mx.example.org(x); (a comment right after the id)
space-colon      0 1 1 ar   Authentication-Results : (Postfix drops the space)
tab-colon        0 1 1 ar   Authentication-Results<TAB>: (Postfix drops the tab)
double-colon     0 0 0 ar   Authentication-Results:: mx.example.org;
trailing-dot     0 0 0 ar   mx.example.org.; (another name)
longer-id        0 0 0 ar   mx.example.org.evil.example; (another name)
id-prefix        0 0 0 ar   mx.example.orgx; (another name)
after-junk-line  0 0 0 ar   after a line that is no header field (Postfix: body)
after-bad-name   0 0 0 ar   after a field name with a space (Postfix: body)
nested           0 0 1 ar   in an attached message/rfc822 (not top level)
spam-plain       1 1 1 spam X-Spam-Score: -5
spam-lower       1 1 1 spam x-spam-score:-5
spam-status      1 1 1 spam X-Spam-Status: No, score=-5
spam-space-colon 0 1 1 spam X-Spam-Score : -5 (Postfix drops the space)
"

. "$srcdir/tests/integration/trust-variants.sh"


# variant_marker ID: a string found in the message iff the field is there
variant_marker() {
	case $1 in
	spam-plain) echo 'X-Spam-Score: -5.1' ;;
	spam-lower) echo 'x-spam-score:-5.2' ;;
	spam-status) echo 'score=-5.3' ;;
	spam-space-colon) echo 'X-Spam-Score : -5.4' ;;
	*) echo "policy.v=$1" ;;
	esac
}

# variant_message ID: the DATA of variant ID (LF line ends)
variant_message() {
	printf 'From: Bob <bob@example.com>\n'
	printf 'To: Alice <alice@example.org>\n'
	printf 'Subject: variant %s\n' "$1"
	printf 'Message-ID: <%s@example.com>\n' "$1"
	printf 'Date: %s\n' "$(date -R)"
	printf 'MIME-Version: 1.0\n'
	if [ "$1" = nested ]; then
		printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n'
		printf 'Content-Type: text/plain\n\nsee attached\n--b\n'
		printf 'Content-Type: message/rfc822\n\n'
		printf 'Authentication-Results: mx.example.org; %s policy.v=nested\n' "$AR_REST"
		printf 'From: bob@example.com\nSubject: inner\n\ninner\n--b--\n'
		return
	fi
	variant_fields "$1"
	printf 'Content-Type: text/plain\n\nHello Alice.\n'
}

# verdict FILE KIND: "trusted" or "untrusted" per deputy-lda --explain
verdict() {
	chmod 644 "$1"
	lda "$1" --explain -f bob@example.com -- alice@example.org
	if [ "$rc" -ne 0 ]; then
		echo "error-$rc"
	elif [ "$2" = spam ]; then
		case $out in
		*"spam score known"*) echo trusted ;;
		*"spam score unknown"*) echo untrusted ;;
		*) echo unclear ;;
		esac
	elif printf '%s\n' "$out" | grep -Eq '^ +unauthenticated +pass'; then
		echo trusted
	elif printf '%s\n' "$out" | grep -Eq '^ +unauthenticated +FAIL'; then
		echo untrusted
	else
		echo unclear
	fi
}

# send_all DIR: every variant through Postfix, saved into DIR
send_all() {
	mkdir -p "$1"
	chown nobody: "$1"
	sed -i "s,^  flags=R user=nobody argv=$P/save.sh .*,  flags=R user=nobody argv=$P/save.sh $1," \
	    "$P/etc/master.cf"
	script -qec "$POSTFIX -c $P/etc reload" /dev/null >>"$P/check.log" 2>&1
	sleep 1
	while read -r id deputy lands stripped kind desc; do
		[ -n "$id" ] || continue
		swaks --server 127.0.0.1 --port "$SMTP_PORT" \
		    --helo client.example.com --from bob@example.com \
		    --to alice@example.org --data "@$D/$id.data" \
		    >"$D/$id.swaks" 2>&1 ||
		    echo "# swaks failed for $id: $(tail -3 "$D/$id.swaks" | tr '\n' ' ')"
	done <<EOF
$VARIANTS
EOF
	wait_for 30 sh -c "[ \$(ls $1 | wc -l) -ge $nv ]"
	wait_for 10 pf_queue_empty
	[ "$(ls "$1" | wc -l)" -eq "$nv" ]
}

# saved DIR ID: the message of variant ID that Postfix saved into DIR
saved() {
	grep -l "^Subject: variant $2\$" "$1"/msg.* 2>/dev/null | head -1
}

D=$T/direct
mkdir -p "$D"
chmod 755 "$D"
nv=$(echo "$VARIANTS" | grep -c '^[a-z]')
while read -r id deputy lands stripped kind desc; do
	[ -n "$id" ] || continue
	variant_message "$id" >"$D/$id.data"
	# as the client wrote it, our Received line on top
	{
		printf 'Received: from client.example.com (client.example.com [192.0.2.1])\n'
		printf '\tby mx.example.org (Postfix) with ESMTP id 4TEST\n'
		printf '\tfor <alice@example.org>; %s\n' "$(date -R)"
		cat "$D/$id.data"
	} >"$D/$id.eml"
done <<EOF
$VARIANTS
EOF

send_all "$P/lands"
ok $? "without the recipe: Postfix delivered all $nv variants"
sed -i "s,^header_checks =.*,header_checks = regexp:$P/etc/header_checks," "$P/etc/main.cf"
send_all "$P/out"
ok $? "with README.md's recipe: Postfix delivered all $nv variants"

# --- the checks ---------------------------------------------------------

# yes BOOL: "trusted" for 1, "untrusted" for 0
yes() { [ "$1" -eq 1 ] && echo trusted || echo untrusted; }

holes=0
table=""
while read -r id deputy lands stripped kind desc; do
	[ -n "$id" ] || continue
	raw=$(saved "$P/lands" "$id")
	out_msg=$(saved "$P/out" "$id")
	if [ -z "$raw" ] || [ -z "$out_msg" ]; then
		ok 1 "$id: delivered in both passes"
		continue
	fi
	marker=$(variant_marker "$id")
	v_deputy=$(verdict "$D/$id.eml" "$kind")
	v_lands=$(verdict "$raw" "$kind")
	v_after=$(verdict "$out_msg" "$kind")
	if grep -qF -- "$marker" "$out_msg"; then gone=0; else gone=1; fi
	[ "$v_deputy" = "$(yes "$deputy")" ]
	ok $? "$id: deputy alone: $v_deputy (pinned $(yes "$deputy")) -- $desc"
	[ "$v_lands" = "$(yes "$lands")" ]
	ok $? "$id: as Postfix delivers it unstripped: $v_lands (pinned $(yes "$lands"))"
	[ "$gone" -eq "$stripped" ]
	ok $? "$id: the recipe $( [ "$gone" -eq 1 ] && echo strips || echo leaves) it (pinned $( [ "$stripped" -eq 1 ] && echo strips || echo leaves))"
	[ "$v_after" = untrusted ]
	ok $? "$id: $( [ "$gone" -eq 1 ] && echo stripped || echo left in), and deputy on the delivered message: $v_after"
	if [ "$v_lands" = trusted ] && [ "$gone" -eq 0 ]; then
		holes=$((holes + 1))
	fi
	table="$table
#   $(printf '%-17s %-9s %-9s %-8s %s' "$id" "$v_deputy" "$v_lands" "$( [ "$gone" -eq 1 ] && echo yes || echo no)" "$v_after")"
done <<EOF
$VARIANTS
EOF
[ "$holes" -eq 0 ]
ok $? "no field deputy would trust where it lands survives the recipe ($holes holes)"
echo "#   variant           deputy    lands     stripped after"
echo "$table" | sed '/^$/d'

postfix_stop
done_testing
