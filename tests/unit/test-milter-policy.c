/*
 * test-milter-policy - deputy-milter's answers, table-driven, no MTA
 *
 * An LDIF directory, a BATV key and an SRS key in a private directory;
 * every rejection class and the cases next to it that must pass.
 */

#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "batv.h"
#include "conf.h"
#include "facts.h"
#include "policy.h"
#include "spool.h"
#include "srs.h"
#include "tap.h"

static char *dir;

/* put - write TEXT to DIR/NAME with MODE */
static char *
put(const char *name, const char *text, int mode)
{
	char   *path = g_build_filename(dir, name, NULL);
	char   *tmp = g_strdup_printf("%s.tmp", path);

	if (!g_file_set_contents(tmp, text, -1, NULL) || chmod(tmp, mode) != 0
	    || rename(tmp, path) != 0)
		abort();
	g_free(tmp);
	return path;
}

static const char ldif[] =
    "dn: uid=alice,ou=people,dc=example,dc=org\n"
    "mail: alice@example.org\n"
    "mailAlternateAddress: a.smith@example.org\n\n"
    "dn: uid=dis,ou=people,dc=example,dc=org\n"
    "mail: dis@example.org\n"
    "deputyAccountStatus: disabled\n\n"
    "dn: uid=gone,ou=people,dc=example,dc=org\n"
    "mail: gone@example.org\n"
    "deputyAccountStatus: Abandoned\n\n"
    "dn: uid=act,ou=people,dc=example,dc=org\n"
    "mail: act@example.org\n"
    "deputyAccountStatus: active\n\n"
    "dn: uid=bob,ou=people,dc=example,dc=org\n"
    "mail: bob@example.org\n"
    "deputyRefusedSender: spammer@spam.example\n"
    "deputyRefusedSender: @junk.example\n"
    "deputyRefusedSender: old@spam.example;until=20200101\n"
    "deputyRefusedSender: garbage value\n\n";

/* open_policy - conf (the base plus EXTRA) and its policy */
static struct mpol *
open_policy(const char *extra, struct deputy_conf **conf_r)
{
	char   *text, *path, *err = NULL;
	struct mpol *p = NULL;

	text = g_strdup_printf(
	    "directory { ldif_file = \"%s/dir.ldif\" }\n"
	    "delivery { recipient_delimiter = \"+\" }\n"
	    "submission { srs_domain = \"example.org\" "
	    "srs_key_file = \"%s/srs.key\" }\n"
	    "log { file = \"%s/log\" }\n"
	    "%s\n", dir, dir, dir, extra);
	path = put("deputy.conf", text, 0600);
	if (conf_load(path, conf_r, &err) != 0) {
		tap_diag("conf: %s", err);
		abort();
	}
	if (mpol_open(*conf_r, &p, &err) != 0) {
		tap_diag("mpol_open: %s", err);
		abort();
	}
	g_free(text);
	g_free(path);
	return p;
}

#define MILTER_BASE \
	"milter {\n recipient_domains = {\"example.org\"}\n" \
	" batv_key_file = \"%s/batv.key\"\n batv_domains = {\"Example.org\"}\n" \
	" batv_users = {\"carol@other.example\"}\n %s\n}\n"

struct rcase {
	const char *sender;
	int submission;
	const char *rcpt;
	enum mpol_action action;
	const char *dsn;		/* NULL: accepted */
	const char *reason;
	const char *what;
};

/* check - one RCPT through P; returns whether it went as wanted */
static void
check(struct mpol *p, const struct rcase *c, time_t now)
{
	struct mpol_envelope env = { c->sender, c->submission, "192.0.2.1",
	    now };
	struct mpol_reply r;
	struct mpol_rcpt_info info;

	mpol_rcpt(p, &env, c->rcpt, &r, &info);
	tap_ok(r.action == c->action && (c->dsn == NULL ? r.dsn == NULL :
	    r.dsn != NULL && strcmp(r.dsn, c->dsn) == 0
	    && strcmp(r.reason, c->reason) == 0), "%s: <%s> -> <%s>: %s %s%s%s",
	    c->what, c->sender, c->rcpt, r.code != NULL ? r.code : "250",
	    r.dsn != NULL ? r.dsn : "", r.text != NULL ? " " : "",
	    r.text != NULL ? r.text : "");
	mpol_reply_clear(&r);
	mpol_rcpt_info_clear(&info);
}

int
main(void)
{
	struct deputy_conf *conf = NULL, *conf2 = NULL;
	struct mpol *p, *p2;
	struct batv_keys *keys = NULL;
	struct srs_key *srs = NULL;
	struct mpol_envelope env;
	struct mpol_reply r;
	struct mpol_rcpt_info info;
	char   *err = NULL, *tagged = NULL, *old = NULL, *bad, *srsaddr = NULL;
	char   *extra, *path, *s;
	time_t	now = time(NULL);
	size_t	i;

	dir = g_dir_make_tmp("test-milter-policy.XXXXXX", NULL);
	g_free(put("dir.ldif", ldif, 0644));
	g_free(put("batv.key", "2 test-batv-secret-0123456789\n", 0600));
	g_free(put("srs.key", "test-srs-secret-0123456789abcdef\n", 0600));
	if (batv_keys_parse("2 test-batv-secret-0123456789\n", 30, &keys,
	    &err) != 0 || batv_sign(keys, "alice@example.org", now, &tagged,
	    &err) != 0 || batv_sign(keys, "alice@example.org", now - 20 * 86400,
	    &old, &err) != 0)
		abort();
	bad = g_strdup(tagged);
	bad[12] = bad[12] == 'a' ? 'b' : 'a';
	path = g_build_filename(dir, "srs.key", NULL);
	if (srs_key_load(path, &srs, &err) != 0 || srs_forward(srs,
	    "example.org", "paul@partner.example", now, &srsaddr, &err) != 0)
		abort();
	g_free(path);

	extra = g_strdup_printf(MILTER_BASE, dir, "");
	p = open_policy(extra, &conf);
	g_free(extra);
	{
		const struct rcase cases[] = {
			{ "x@ext.example", 0, "<alice@example.org>", MPOL_CONTINUE, NULL, NULL, "a user" },
			{ "x@ext.example", 0, "<Alice@Example.ORG>", MPOL_CONTINUE, NULL, NULL, "any case" },
			{ "x@ext.example", 0, "<alice+news@example.org>", MPOL_CONTINUE, NULL, NULL, "a subaddress" },
			{ "x@ext.example", 0, "<a.smith@example.org>", MPOL_CONTINUE, NULL, NULL, "an alias" },
			{ "x@ext.example", 0, "<nobody@example.org>", MPOL_REJECT, "5.1.1", "unknown-recipient", "unknown" },
			{ "x@ext.example", 0, "<nobody+x@example.org>", MPOL_REJECT, "5.1.1", "unknown-recipient", "unknown, with a detail" },
			{ "x@ext.example", 0, "<postmaster@example.org>", MPOL_CONTINUE, NULL, NULL, "postmaster, always" },
			{ "x@ext.example", 0, "<anyone@elsewhere.example>", MPOL_CONTINUE, NULL, NULL, "not one of recipient_domains" },
			{ "x@ext.example", 0, "<dis@example.org>", MPOL_REJECT, "5.2.1", "account-disabled", "disabled" },
			{ "x@ext.example", 0, "<gone@example.org>", MPOL_REJECT, "5.2.1", "account-abandoned", "abandoned" },
			{ "x@ext.example", 0, "<act@example.org>", MPOL_CONTINUE, NULL, NULL, "active, said so" },
			{ "spammer@spam.example", 0, "<bob@example.org>", MPOL_REJECT, "5.7.1", "refused-sender", "a refused sender" },
			{ "Spammer@SPAM.example", 0, "<bob@example.org>", MPOL_REJECT, "5.7.1", "refused-sender", "a refused sender, any case" },
			{ "prvs=1234567890=spammer@spam.example", 0, "<bob@example.org>", MPOL_REJECT, "5.7.1", "refused-sender", "a refused sender with another site's BATV tag" },
			{ "anyone@junk.example", 0, "<bob@example.org>", MPOL_REJECT, "5.7.1", "refused-sender", "a refused domain" },
			{ "old@spam.example", 0, "<bob@example.org>", MPOL_CONTINUE, NULL, NULL, "a refusal that expired" },
			{ "spammer@spam.example", 0, "<alice@example.org>", MPOL_CONTINUE, NULL, NULL, "refused by bob, not by alice" },
			{ "", 0, "<alice@example.org>", MPOL_REJECT, "5.7.1", "batv-missing", "a bounce to an untagged address" },
			{ "", 0, "<alice+x@example.org>", MPOL_REJECT, "5.7.1", "batv-missing", "a bounce to an untagged subaddress" },
			{ "", 0, tagged, MPOL_CONTINUE, NULL, NULL, "a bounce to a valid tag" },
			{ "", 0, bad, MPOL_REJECT, "5.7.1", "batv-bad", "a bounce to a forged tag" },
			{ "", 0, old, MPOL_REJECT, "5.7.1", "batv-expired", "a bounce to an expired tag" },
			{ "", 0, "<someone@ext.example>", MPOL_CONTINUE, NULL, NULL, "a bounce to another domain" },
			{ "", 0, "<carol@other.example>", MPOL_REJECT, "5.7.1", "batv-missing", "a user who opted in alone" },
			{ "", 0, "<dave@other.example>", MPOL_CONTINUE, NULL, NULL, "the user next to her" },
			{ "", 0, srsaddr, MPOL_CONTINUE, NULL, NULL, "a bounce to a valid SRS address" },
			{ "", 0, "<SRS0=xxxx=AB=partner.example=paul@example.org>", MPOL_REJECT, "5.7.1", "batv-missing", "a bounce to a forged SRS address" },
			{ "", 1, "<alice@example.org>", MPOL_CONTINUE, NULL, NULL, "the submission path has no BATV check" },
			{ "", 0, "<nobody@example.org>", MPOL_REJECT, "5.7.1", "batv-missing", "a bounce to an unknown user" },
			{ "x@ext.example", 0, "<>", MPOL_CONTINUE, NULL, NULL, "an empty recipient is the MTA's" },
			{ "x@ext.example", 0, "no-at-sign", MPOL_CONTINUE, NULL, NULL, "a recipient without '@'" },
			{ "x@ext.example", 0, "<a%b@example.org>", MPOL_REJECT, "5.1.1", "unknown-recipient", "'%' in an address" },
		};

		for (i = 0; i < G_N_ELEMENTS(cases); i++)
			check(p, &cases[i], now);
	}

	/* what RCPT tells the end of DATA */
	memset(&env, 0, sizeof(env));
	env.sender = "";
	env.now = now;
	mpol_rcpt(p, &env, tagged, &r, &info);
	tap_ok(r.action == MPOL_CONTINUE && info.untagged != NULL
	    && strcmp(info.untagged, "alice@example.org") == 0
	    && !info.batv_untagged && !info.outside,
	    "a valid tag: delivered to %s", info.untagged);
	mpol_rcpt_info_clear(&info);
	env.sender = "x@ext.example";
	mpol_rcpt(p, &env, "<alice@example.org>", &r, &info);
	tap_ok(info.untagged == NULL && info.batv_untagged && !info.outside,
	    "a plain user: protected, untagged, inside");
	mpol_rcpt_info_clear(&info);
	mpol_rcpt(p, &env, "<y@elsewhere.example>", &r, &info);
	tap_ok(!info.batv_untagged && info.outside, "elsewhere: outside");
	mpol_rcpt_info_clear(&info);
	mpol_rcpt(p, &env, "<a%b@example.org>", &r, &info);
	tap_ok(r.text != NULL && strchr(r.text, '%') == NULL,
	    "no '%%' in a reply text: %s", r.text);
	mpol_reply_clear(&r);

	/* signing */
	env.sender = "alice@example.org";
	env.submission = 1;
	s = mpol_sign(p, &env, 1);
	tap_ok(s != NULL && batv_check(keys, s, now, NULL) == BATV_VALID,
	    "submission to the outside: signed %s", s);
	g_free(s);
	tap_ok(mpol_sign(p, &env, 0) == NULL,
	    "submission to our own domains only: not signed");
	env.submission = 0;
	tap_ok(mpol_sign(p, &env, 1) == NULL, "inbound path: not signed");
	env.submission = 1;
	env.sender = "x@ext.example";
	tap_ok(mpol_sign(p, &env, 1) == NULL, "another domain's sender: not "
	    "signed");
	env.sender = "";
	tap_ok(mpol_sign(p, &env, 1) == NULL, "the null sender: not signed");
	env.sender = tagged;
	tap_ok(mpol_sign(p, &env, 1) == NULL, "a tagged sender: not again");
	env.sender = "SRS0=abcd=AB=partner.example=paul@example.org";
	tap_ok(mpol_sign(p, &env, 1) == NULL, "an SRS sender: not signed");
	env.sender = "carol@other.example";
	s = mpol_sign(p, &env, 1);
	tap_ok(s != NULL, "a user who opted in alone: signed");
	g_free(s);

	/* auto-replies at the end of DATA */
	env.sender = "x@ext.example";
	env.submission = 0;
	mpol_autoreply(p, &env, 1, 2, 2, &r);
	tap_ok(r.action == MPOL_REJECT && strcmp(r.reason, "batv-autoreply")
	    == 0 && strcmp(r.dsn, "5.7.1") == 0,
	    "an auto-reply to protected untagged users only: 550 5.7.1");
	mpol_reply_clear(&r);
	mpol_autoreply(p, &env, 1, 2, 1, &r);
	tap_ok(r.action == MPOL_CONTINUE, "one recipient not protected: "
	    "accepted");
	mpol_autoreply(p, &env, 0, 2, 2, &r);
	tap_ok(r.action == MPOL_CONTINUE, "not an auto-reply: accepted");
	env.submission = 1;
	mpol_autoreply(p, &env, 1, 2, 2, &r);
	tap_ok(r.action == MPOL_CONTINUE, "the submission path: accepted");
	{
		static const struct {
			const char *n, *v;
			int yes;
		} h[] = {
			{ "Auto-Submitted", " auto-replied", 1 },
			{ "auto-submitted", "Auto-Replied (vacation)", 1 },
			{ "Auto-Submitted", " auto-generated", 0 },
			{ "Auto-Submitted", " no", 0 },
			{ "Auto-Submitted", " auto-repliedx", 0 },
			{ "X-Autoreply", " yes", 1 },
			{ "X-Autorespond", " x", 1 },
			{ "X-Autoreply", " no", 0 },
			{ "Precedence", " auto_reply", 1 },
			{ "Precedence", " bulk", 0 },
			{ "Subject", " auto-replied", 0 },
		};

		for (i = 0; i < G_N_ELEMENTS(h); i++)
			tap_ok(mpol_autoreply_header(h[i].n, h[i].v) == h[i].yes,
			    "auto-reply marker %s:%s: %s", h[i].n, h[i].v,
			    h[i].yes ? "yes" : "no");
	}

	/* the LDIF file replaced (deputyctl): read again */
	{
		char   *more = g_strdup_printf("%sdn: uid=new,dc=example,"
		    "dc=org\nmail: new@example.org\n\n", ldif);
		const struct rcase c = { "x@ext.example", 0,
		    "<new@example.org>", MPOL_CONTINUE, NULL, NULL,
		    "a user added to the LDIF file since the last lookup" };
		const struct rcase c2 = { "x@ext.example", 0,
		    "<new@example.org>", MPOL_REJECT, "5.1.1",
		    "unknown-recipient", "before it was added" };

		check(p, &c2, now);
		sleep(1);		/* a new mtime even on coarse clocks */
		g_free(put("dir.ldif", more, 0644));
		check(p, &c, now);
		g_free(more);
	}
	tap_ok(mpol_submission(p, "alice", NULL) && mpol_submission(p, NULL,
	    "ORIGINATING") && mpol_submission(p, "", "msa")
	    && !mpol_submission(p, "", "mx.example.org")
	    && !mpol_submission(p, NULL, NULL),
	    "submission: authenticated, or a submission daemon name");
	mpol_close(&p);
	conf_free(&conf);

	/* grace period, reject_unknown off */
	{
		GDateTime *dt = g_date_time_new_now_utc();
		char   *today = g_date_time_format(dt, "%Y-%m-%d");
		char   *lines = g_strdup_printf("batv_since = \"%s\"\n"
		    " reject_unknown = false", today);
		const struct rcase cases[] = {
			{ "", 0, "<alice@example.org>", MPOL_CONTINUE, NULL, NULL, "grace: an untagged bounce passes" },
			{ "", 0, bad, MPOL_REJECT, "5.7.1", "batv-bad", "grace: a forged tag does not" },
			{ "x@ext.example", 0, "<nobody@example.org>", MPOL_CONTINUE, NULL, NULL, "reject_unknown = false" },
			{ "x@ext.example", 0, "<dis@example.org>", MPOL_REJECT, "5.2.1", "account-disabled", "but a disabled account still is refused" },
		};

		extra = g_strdup_printf(MILTER_BASE, dir, lines);
		p2 = open_policy(extra, &conf2);
		for (i = 0; i < G_N_ELEMENTS(cases); i++)
			check(p2, &cases[i], now);
		check(p2, &(struct rcase){ "", 0, "<alice@example.org>",
		    MPOL_REJECT, "5.7.1", "batv-missing",
		    "after the grace period (7 days)" }, now + 8 * 86400);
		env.sender = "x@ext.example";
		env.submission = 0;
		mpol_autoreply(p2, &env, 1, 1, 1, &r);
		tap_ok(r.action == MPOL_CONTINUE, "grace: auto-replies pass");
		mpol_close(&p2);
		conf_free(&conf2);
		g_free(extra);
		g_free(lines);
		g_free(today);
		g_date_time_unref(dt);
	}

	/* a directory that does not answer: 451, never 5xx */
	{
		const struct rcase c = { "x@ext.example", 0,
		    "<alice@example.org>", MPOL_TEMPFAIL, "4.3.0",
		    "directory-failed", "LDAP on a closed port" };
		const struct rcase c2 = { "", 0, "<alice@example.org>",
		    MPOL_TEMPFAIL, "4.3.0", "directory-failed",
		    "a bounce, no BATV, the directory down" };

		p2 = open_policy("directory { backend = \"ldap\" uri = "
		    "{\"ldap://127.0.0.1:9\"} base = \"dc=example,dc=org\" "
		    "tls = \"none\" network_timeout = 1 timeout = 1 }\n"
		    "milter { recipient_domains = {\"example.org\"} }\n",
		    &conf2);
		check(p2, &c, now);
		check(p2, &c2, now);
		mpol_close(&p2);
		conf_free(&conf2);
	}

	/* spam at the end of DATA: a trusted header above the boundary */
	{
		/* SCORE: an X-Spam-Score value, or a whole rspamd field as
		 * an earlier rspamd milter writes it */
		static const struct {
			const char *score;
			unsigned int boundary;
			enum mpol_action want;
			const char *what;
		} sc[] = {
			{ "12.5", 1, MPOL_REJECT, "score 12.5, threshold 10" },
			{ "3.0", 1, MPOL_CONTINUE, "score 3.0" },
			{ "12.5", 0, MPOL_CONTINUE, "score 12.5 below the trust boundary: unknown" },
			{ "X-Spamd-Result: default: True [16.10 / 15.00]", 1,
			  MPOL_REJECT, "rspamd milter: reject, 16.1 on its scale" },
			{ "X-Spamd-Result: default: False [12.50 / 15.00]", 1,
			  MPOL_CONTINUE, "rspamd milter: 12.5 is under rspamd_reject_threshold 15 (its own scale, not SpamAssassin's 10)" },
			{ "X-Rspamd-Action: reject\r\nX-Rspamd-Score: 9.0", 1,
			  MPOL_REJECT, "rspamd milter: action reject at 9.0" },
			{ "X-Rspamd-Action: add header\r\nX-Rspamd-Score: 9.0", 1,
			  MPOL_CONTINUE, "rspamd milter: add header at 9.0" },
		};

		facts_init();
		for (i = 0; i < G_N_ELEMENTS(sc); i++) {
			struct spool sp;
			char   *msg, *cf;

			cf = g_strdup_printf("spam { trusted_headers = "
			    "{\"X-Spam-Score\", \"X-Spamd-Result\", "
			    "\"X-Rspamd-Action\", \"X-Rspamd-Score\"} }\n"
			    "auth { boundary_received = "
			    "%u }\nmilter { spam_reject = true "
			    "spamassassin_reject_threshold = 10 }\n",
			    sc[i].boundary);
			p2 = open_policy(cf, &conf2);
			msg = g_strdup_printf("Received: by deputy-milter\r\n"
			    "From: <x@ext.example>\r\n%s%s\r\n"
			    "Subject: s\r\n\r\nbody\r\n",
			    strchr(sc[i].score, ':') != NULL ? ""
			    : "X-Spam-Score: ", sc[i].score);
			if (spool_open(NULL, &sp, &err) != 0 || spool_write(&sp,
			    msg, strlen(msg), &err) != 0 || spool_finish(&sp,
			    &err) != 0)
				abort();
			env.sender = "x@ext.example";
			mpol_spam(p2, &env, sp.fd, sp.size, "alice@example.org",
			    &r);
			tap_ok(r.action == sc[i].want && (sc[i].want ==
			    MPOL_CONTINUE || strcmp(r.dsn, "5.7.1") == 0),
			    "spam: %s: %s %s", sc[i].what, r.code ? r.code
			    : "250", r.text ? r.text : "");
			mpol_reply_clear(&r);
			spool_close(&sp);
			mpol_close(&p2);
			conf_free(&conf2);
			g_free(msg);
			g_free(cf);
		}
	}

	g_free(tagged);
	g_free(old);
	g_free(bad);
	g_free(srsaddr);
	batv_keys_free(&keys);
	srs_key_free(&srs);
	{
		static const char *const files[] = { "dir.ldif", "batv.key",
		    "srs.key", "deputy.conf", "log" };

		for (i = 0; i < G_N_ELEMENTS(files); i++) {
			char   *f = g_build_filename(dir, files[i], NULL);

			(void)g_remove(f);
			g_free(f);
		}
		(void)g_rmdir(dir);
	}
	g_free(dir);
	return tap_done();
}
