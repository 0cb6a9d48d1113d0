#!/bin/sh
# envelope - the envelope as the MTA spells it (issue 13, items 4 and 7):
# subaddresses are the user's (the directory, the Maildir, forwards, the
# self and addressing rules), and every spelling of the null sender is
# the null sender, with a source route reduced to its mailbox.

. "$(dirname "$0")/lib.sh"

setup_env
M=$T/m
mkdir -p "$M"; chmod 755 "$M"

# msg NAME TO: a plain personal message to TO
msg() {
	{
		printf 'From: Paul Partner <paul@partner.example.net>\n'
		printf 'To: %s\n' "$2"
		printf 'Subject: envelope %s\n' "$1"
		printf 'Message-ID: <%s@partner.example.net>\n\n' "$1"
		printf 'Hello.\n'
	} >"$M/$1.eml"
	chmod 644 "$M/$1.eml"
}

last_line() { grep ' msgid=' "$T/log" | tail -1; }
last_argv() { ls -t "$T/sent/"*.argv 2>/dev/null | head -1; }

# --- subaddresses -------------------------------------------------------
msg sub1 'Alice <alice+news@example.org>'
lda "$M/sub1.eml" -f paul@partner.example.net -- alice+news@example.org
[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq 1 ] &&
    [ ! -d "$T/mail/example.org/alice+news" ]
ok $? "alice+news@: delivered into alice's Maildir, no Maildir named alice+news (rc=$rc)"
last_line | grep -q 'to=<alice+news@example.org> .* away=yes .*forward=bob@example.org '
ok $? "alice+news@: away, forwarded to her delegate ($(last_line | sed 's/.*away=/away=/'))"

msg sub2 'Alice <alice@example.org>'
lda "$M/sub2.eml" -f alice+lists@example.org -- alice@example.org
last_line | grep -q 'notice_reason=self$'
ok $? "a sender alice+lists@ is alice herself: notice_reason=self ($(last_line | sed 's/.*notice_reason=//'))"

msg sub3 'Alice <alice+work@example.org>'
lda "$M/sub3.eml" --explain -f paul@partner.example.net -- alice@example.org
echo "$out" | grep -q '^    not-addressed  *pass'
ok $? "To: alice+work@ addresses alice (not-addressed passes)"

printf 'delivery {\n\tdetail_mailbox = yes\n}\n' >>"$T/deputy.conf"
msg sub4 'Alice <alice+news@example.org>'
lda "$M/sub4.eml" -f paul@partner.example.net -- alice+news@example.org
[ "$rc" -eq 0 ] && [ "$(ls "$T/mail/example.org/alice/Maildir/.news/new" 2>/dev/null | wc -l)" -eq 1 ]
ok $? "detail_mailbox = yes: alice+news@ goes into her folder .news (rc=$rc)"
msg sub5 'Alice <alice+x/../y@example.org>'
n=$(maildir_count alice@example.org)
lda "$M/sub5.eml" -f paul@partner.example.net -- 'alice+a..b@example.org'
[ "$rc" -eq 0 ] && [ "$(maildir_count alice@example.org)" -eq $((n + 1)) ] &&
    grep -q 'detail folder "a..b": not a usable folder name; INBOX instead' "$T/log"
ok $? "a detail that is no usable folder name: INBOX instead (rc=$rc, $(maildir_count alice@example.org) in INBOX, $(grep -c "detail folder" "$T/log") notes)"
sed -i '/^delivery {$/{N;/detail_mailbox/{N;d}}' "$T/deputy.conf"

# --- null-sender spellings ----------------------------------------------
for s in 'MAILER-DAEMON' '<<>>' '<>' ''; do
	n=$(sent_count)
	msg "null$(echo "$s" | tr -cd 'A-Z<>' | tr '<>' 'lg')" 'Alice <alice@example.org>'
	lda "$M/null$(echo "$s" | tr -cd 'A-Z<>' | tr '<>' 'lg').eml" -f "$s" -- alice@example.org
	[ "$rc" -eq 0 ] && [ "$(sent_count)" -eq "$n" ] &&
	    last_line | grep -q 'from=<> .*forward=- forward_reason=bounce .*notice_reason=null-sender$'
	ok $? "-f '$s' is the null sender: no forward, no notice ($(last_line | sed 's/.*from=/from=/; s/ to=.*forward_reason/ forward_reason/'))"
done

msg route 'Alice <alice@example.org>'
lda "$M/route.eml" -f '<@relay1.example,@relay2.example:paul@partner.example.net>' -- alice@example.org
a=$(last_argv)
[ "$rc" -eq 0 ] && [ "$(sed -n 2p "$a")" = "-f" ] &&
    [ "$(sed -n 3p "$a")" = "paul@partner.example.net" ]
ok $? "a source route is reduced to its mailbox: forwarded with -f paul@partner.example.net ($(sed -n 3p "$a" 2>/dev/null))"

cleanup
done_testing
