# lib.sh - helpers for deputyctl's tests (TAP)
#
# Sources tests/blackbox/lib.sh (ok, skip, setup_env, lda, ...). Adds:
#   ctl ARGS...        run deputyctl -c $T/deputy.conf; sets rc, out, err
#   ctl_templates      point the configuration at the source templates
#   msg_to FILE TO     a small message from sender@example.com
#   log_field NAME     NAME=value of the last log line of deputy-lda
#   explain_field KEY  "KEY: value" of the last explain output
#   sum FILE           a checksum, to prove nothing was written

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$srcdir}"
: "${DEPUTYCTL:=$top_builddir/deputyctl}"

ctl() {
	"$DEPUTYCTL" -c "$T/deputy.conf" "$@" >"$T/ctl.out" 2>"$T/ctl.err" \
	    </dev/null
	rc=$?
	out=$(cat "$T/ctl.out")
	err=$(cat "$T/ctl.err")
}

ctl_stdin() {	# ctl_stdin FILE ARGS...: with FILE on standard input
	f=$1; shift
	"$DEPUTYCTL" -c "$T/deputy.conf" "$@" <"$f" >"$T/ctl.out" \
	    2>"$T/ctl.err"
	rc=$?
	out=$(cat "$T/ctl.out")
	err=$(cat "$T/ctl.err")
}

ctl_templates() {
	printf 'templates {\n\tdir = "%s/templates"\n}\n' "$srcdir" \
	    >>"$T/deputy.conf"
}

msg_to() {
	cat >"$1" <<MSG
From: Sender <sender@example.com>
To: <$2>
Subject: test for $2
Message-ID: <$(date +%s%N).$$@example.com>
Date: $(date -R)

Hello.
MSG
	chmod 644 "$1"
}

log_field() { tail -n 1 "$T/log" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

explain_field() { sed -n "s/^  $1: *//p" "$T/ctl.out" | head -n 1; }

sum() { cksum <"$1"; }

# day N: the date N days from today (UTC), YYYY-MM-DD
day() { date -u -d "$1 days" +%Y-%m-%d; }

# agree: explain and the following delivery decided the same (forward
# list and both reason codes); $1 names the case
agree() {
	e_fwd=$(explain_field forward)
	e_notice=$(explain_field notice)
	l_fwd=$(log_field forward)
	l_freason=$(log_field forward_reason)
	l_nreason=$(log_field notice_reason)
	case $e_fwd in
	"no ("*) e_fwd_to=-; e_freason=${e_fwd#no (}; e_freason=${e_freason%%[:)]*} ;;
	*) e_fwd_to=$(printf '%s' "$e_fwd" | tr -d ' '); e_freason=none ;;
	esac
	case $e_notice in
	"no ("*) e_nreason=${e_notice#no (}; e_nreason=${e_nreason%%[:)]*} ;;
	*) e_nreason=none ;;
	esac
	[ "$e_fwd_to" = "$l_fwd" ] && [ "$e_freason" = "$l_freason" ] &&
	    [ "$e_nreason" = "$l_nreason" ]
	ok $? "$1: explain (forward=$e_fwd_to/$e_freason notice=$e_nreason) agrees with deputy-lda (forward=$l_fwd/$l_freason notice=$l_nreason)"
}
