# trust-variants.sh - the forged trust-field variants of trust-strip.sh
# and milter.sh, sourced by both (one place for what each variant is)
#
# variant_fields ID: the header lines of variant ID (LF line ends); every
# Authentication-Results variant carries the marker policy.v=ID

AR_REST='spf=pass smtp.mailfrom=bob@example.com'

variant_fields() {
	m="policy.v=$1"
	case $1 in
	plain)		printf 'Authentication-Results: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	nospace)	printf 'Authentication-Results:mx.example.org;%s %s\n' "$AR_REST" "$m" ;;
	tab)		printf 'Authentication-Results:\tmx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	fold-colon)	printf 'Authentication-Results:\n\tmx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	fold-id)	printf 'Authentication-Results: mx.example.org\n\t; %s %s\n' "$AR_REST" "$m" ;;
	lower)		printf 'authentication-results: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	upper)		printf 'AUTHENTICATION-RESULTS: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	id-upper)	printf 'Authentication-Results: MX.EXAMPLE.ORG; %s %s\n' "$AR_REST" "$m" ;;
	version)	printf 'Authentication-Results: mx.example.org 1; %s %s\n' "$AR_REST" "$m" ;;
	comment-later)	printf 'Authentication-Results: mx.example.org (filter); %s %s\n' "$AR_REST" "$m" ;;
	comment-before)	printf 'Authentication-Results: (x) mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	quoted)		printf 'Authentication-Results: "mx.example.org"; %s %s\n' "$AR_REST" "$m" ;;
	comment-after)	printf 'Authentication-Results: mx.example.org(x); %s %s\n' "$AR_REST" "$m" ;;
	space-colon)	printf 'Authentication-Results : mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	tab-colon)	printf 'Authentication-Results\t: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	double-colon)	printf 'Authentication-Results:: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	trailing-dot)	printf 'Authentication-Results: mx.example.org.; %s %s\n' "$AR_REST" "$m" ;;
	longer-id)	printf 'Authentication-Results: mx.example.org.evil.example; %s %s\n' "$AR_REST" "$m" ;;
	id-prefix)	printf 'Authentication-Results: mx.example.orgx; %s %s\n' "$AR_REST" "$m" ;;
	after-junk-line)
		printf 'this line is no header field\n'
		printf 'Authentication-Results: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	after-bad-name)
		printf 'Bad Name: x\n'
		printf 'Authentication-Results: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	blank-cont)
		printf 'X-Filler: a\n \n'
		printf 'Authentication-Results: mx.example.org; %s %s\n' "$AR_REST" "$m" ;;
	spam-plain)	printf 'X-Spam-Score: -5.1\n' ;;
	spam-lower)	printf 'x-spam-score:-5.2\n' ;;
	spam-status)	printf 'X-Spam-Status: No, score=-5.3 required=5.0\n' ;;
	spam-space-colon) printf 'X-Spam-Score : -5.4\n' ;;
	esac
}
