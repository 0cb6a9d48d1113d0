/*
 * NAME
 *	policy - what deputy-milter answers, without libmilter
 * SUMMARY
 *	See policy.h. libmilter runs one thread per SMTP connection, so
 *	everything here is safe to call from several threads: the
 *	configuration and the keys are only read, and directory handles
 *	come from a pool (a backend handle is used by one thread at a
 *	time). An LDIF directory is one handle, read again when deputyctl
 *	has replaced the file; LDAP gets up to
 *	milter.directory_connections handles, each with its own
 *	connection, opened when first needed and kept.
 * DIAGNOSTICS
 *	See policy.h.
 */

#include "config.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "addr.h"
#include "batv.h"
#include "directory.h"
#include "envelope.h"
#include "facts.h"
#include "log.h"
#include "policy.h"
#include "refused.h"
#include "spam.h"
#include "srs.h"

#define MPOL_TEXT_MAX	240		/* bytes of a reply text */
#define MPOL_DAY	86400

struct mpol {
	const struct deputy_conf *conf;
	struct strip_settings strip;
	struct batv_keys *batv;		/* NULL: no BATV */
	struct srs_key *srs;		/* NULL: no SRS */

	/* the directory pool */
	GMutex lock;
	GCond free_cond;
	GPtrArray *idle;		/* struct mpol_dir *, ready */
	unsigned int open;		/* handles in use or idle */
	unsigned int max;
	unsigned int generation;	/* bumped when the LDIF file changes */
	int ldif;			/* the backend is an LDIF file */
	struct stat ldif_st;
};

struct mpol_dir {
	struct dir *dir;
	unsigned int generation;
};

/* mpol_reply_set - fill R (TEXT printf-style, made safe) */
void
mpol_reply_set(struct mpol_reply *r, enum mpol_action action,
	       const char *code, const char *dsn, const char *reason,
	       const char *fmt, ...)
{
	va_list	ap;
	char   *t;

	g_free(r->text);
	va_start(ap, fmt);
	t = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* one line, printable, no '%' (libmilter's reply is a format) */
	for (char *p = t; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f
		    || *p == '%')
			*p = '?';
	if (strlen(t) > MPOL_TEXT_MAX)
		strcpy(t + MPOL_TEXT_MAX - 3, "...");
	r->action = action;
	r->code = code;
	r->dsn = dsn;
	r->reason = reason;
	r->text = t;
}

/* mpol_reply_clear - release R's text, reset it */
void
mpol_reply_clear(struct mpol_reply *r)
{
	g_free(r->text);
	memset(r, 0, sizeof(*r));
}

/* mpol_rcpt_info_clear - release I's strings, reset it */
void
mpol_rcpt_info_clear(struct mpol_rcpt_info *i)
{
	g_free(i->untagged);
	memset(i, 0, sizeof(*i));
}

/* mpol_ldif_stat - the LDIF file's identity now; 0 or -1 */
static int
mpol_ldif_stat(const struct mpol *p, struct stat *st)
{
	return stat(p->conf->dir_ldif_file, st);
}

/* mpol_same_file - whether A and B are the same version of one file */
static int
mpol_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino
	    && a->st_size == b->st_size
	    && a->st_mtim.tv_sec == b->st_mtim.tv_sec
	    && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
	    && a->st_ctim.tv_sec == b->st_ctim.tv_sec
	    && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* mpol_dir_free - close one handle */
static void
mpol_dir_free(struct mpol_dir *d)
{
	if (d == NULL)
		return;
	dir_close(&d->dir);
	g_free(d);
}

/*
 * mpol_dir_take - a directory handle for this thread; -1 with *error_r
 * when none can be opened. Waits while every handle is in use.
 */
static int
mpol_dir_take(struct mpol *p, struct mpol_dir **d_r, char **error_r)
{
	struct dir_settings set;
	struct mpol_dir *d;
	struct stat st;
	unsigned int gen;

	*d_r = NULL;
	g_mutex_lock(&p->lock);
	if (p->ldif && mpol_ldif_stat(p, &st) == 0
	    && !mpol_same_file(&st, &p->ldif_st)) {
		p->ldif_st = st;
		p->generation++;
		while (p->idle->len > 0) {
			mpol_dir_free(g_ptr_array_steal_index(p->idle,
			    p->idle->len - 1));
			p->open--;
		}
	}
	while (p->idle->len == 0 && p->open >= p->max)
		g_cond_wait(&p->free_cond, &p->lock);
	if (p->idle->len > 0) {
		*d_r = g_ptr_array_steal_index(p->idle, p->idle->len - 1);
		g_mutex_unlock(&p->lock);
		return 0;
	}
	p->open++;
	gen = p->generation;
	g_mutex_unlock(&p->lock);

	conf_dir_settings(p->conf, &set);
	d = g_new0(struct mpol_dir, 1);
	d->generation = gen;
	if (dir_open(&set, &d->dir, error_r) < 0) {
		g_free(d);
		g_mutex_lock(&p->lock);
		p->open--;
		g_cond_signal(&p->free_cond);
		g_mutex_unlock(&p->lock);
		return -1;
	}
	*d_r = d;
	return 0;
}

/* mpol_dir_give - hand a handle back (closed when it is out of date) */
static void
mpol_dir_give(struct mpol *p, struct mpol_dir *d)
{
	if (d == NULL)
		return;
	g_mutex_lock(&p->lock);
	if (d->generation != p->generation) {
		p->open--;
		g_mutex_unlock(&p->lock);
		mpol_dir_free(d);
		g_mutex_lock(&p->lock);
	} else {
		g_ptr_array_add(p->idle, d);
	}
	g_cond_signal(&p->free_cond);
	g_mutex_unlock(&p->lock);
}

/* mpol_open - the policy of CONF, keys loaded */
int
mpol_open(const struct deputy_conf *conf, struct mpol **p_r, char **error_r)
{
	struct mpol *p = g_new0(struct mpol, 1);

	*p_r = NULL;
	p->conf = conf;
	p->strip.authserv_ids = (const char *const *)conf->trusted_authserv_ids;
	p->strip.headers = (const char *const *)conf->spam_headers;
	if (conf->milter_batv_key_file != NULL
	    && batv_keys_load(conf->milter_batv_key_file, &p->batv,
			      error_r) < 0) {
		g_free(p);
		return -1;
	}
	if (conf->srs_domain != NULL && *conf->srs_domain != '\0'
	    && conf->srs_key_file != NULL && *conf->srs_key_file != '\0'
	    && srs_key_load(conf->srs_key_file, &p->srs, error_r) < 0) {
		batv_keys_free(&p->batv);
		g_free(p);
		return -1;
	}
	g_mutex_init(&p->lock);
	g_cond_init(&p->free_cond);
	p->idle = g_ptr_array_new();
	p->ldif = g_ascii_strcasecmp(conf->dir_backend, "ldif") == 0;
	p->max = p->ldif ? 1 : conf->milter_directory_connections;
	if (p->ldif && mpol_ldif_stat(p, &p->ldif_st) != 0)
		memset(&p->ldif_st, 0, sizeof(p->ldif_st));
	*p_r = p;
	return 0;
}

/* mpol_close - release; sets *p to NULL */
void
mpol_close(struct mpol **pp)
{
	struct mpol *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	for (guint i = 0; i < p->idle->len; i++)
		mpol_dir_free(g_ptr_array_index(p->idle, i));
	g_ptr_array_free(p->idle, TRUE);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->free_cond);
	batv_keys_free(&p->batv);
	srs_key_free(&p->srs);
	g_free(p);
	*pp = NULL;
}

/* mpol_strip - the header strip settings (NULL when strip is off) */
const struct strip_settings *
mpol_strip(const struct mpol *p)
{
	return p->conf->milter_strip_headers ? &p->strip : NULL;
}

/* mpol_in - whether S (any case) is in LIST */
static int
mpol_in(char *const *list, const char *s)
{
	for (; list != NULL && *list != NULL; list++)
		if (g_ascii_strcasecmp(*list, s) == 0)
			return 1;
	return 0;
}

/* mpol_submission - whether the macros make it the submission path */
int
mpol_submission(const struct mpol *p, const char *auth_authen,
		const char *daemon_name)
{
	if (auth_authen != NULL && *auth_authen != '\0')
		return 1;
	return daemon_name != NULL
	    && mpol_in(p->conf->milter_submission_daemons, daemon_name);
}

/* mpol_protected - whether BASE (lowercased, no detail) is BATV-protected */
static int
mpol_protected(const struct mpol *p, const char *base)
{
	if (p->batv == NULL)
		return 0;
	return mpol_in(p->conf->milter_batv_domains, envelope_domain(base))
	    || mpol_in(p->conf->milter_batv_users, base);
}

/* mpol_grace - whether untagged bounces are still accepted at NOW */
static int
mpol_grace(const struct mpol *p, time_t now)
{
	const struct deputy_conf *c = p->conf;

	return c->milter_batv_since != 0 && now < c->milter_batv_since
	    + (time_t)c->milter_batv_grace_days * MPOL_DAY;
}

/* mpol_ours - whether DOMAIN is one of ours (or the sender's own) */
static int
mpol_ours(const struct mpol *p, const struct mpol_envelope *env,
	  const char *domain)
{
	const struct deputy_conf *c = p->conf;

	return mpol_in(c->milter_batv_domains, domain)
	    || mpol_in(c->milter_recipient_domains, domain)
	    || mpol_in(c->internal_domains, domain)
	    || g_ascii_strcasecmp(envelope_domain(env->sender), domain) == 0;
}

/* mpol_srs_ok - whether ADDRESS is one of our SRS0 addresses, verified */
static int
mpol_srs_ok(struct mpol *p, const char *address, time_t now)
{
	const char *srs_domain = p->conf->srs_domain;
	char   *orig = NULL, *err = NULL, *lower;
	int	ok;

	if (p->srs == NULL || !srs_is_srs0(address)
	    || g_ascii_strcasecmp(envelope_domain(address), srs_domain) != 0)
		return 0;
	lower = g_ascii_strdown(address, -1);
	ok = srs_reverse(p->srs, lower, now, &orig, &err) == 0;
	if (!ok)
		log_info("milter: to=<%s>: not a valid SRS address of ours "
		    "(%s): an ordinary recipient", address, err);
	g_free(lower);
	g_free(orig);
	g_free(err);
	return ok;
}

/* mpol_log_reply - one log line for a refusal or a deferral */
static void
mpol_log_reply(const struct mpol_envelope *env, const char *rcpt,
	       const struct mpol_reply *r)
{
	char   *to = rcpt != NULL ? envelope_sender(rcpt) : NULL;

	log_info("milter: %s from=<%s>%s%s%s client=%s: %s %s %s (%s)",
	    r->action == MPOL_REJECT ? "reject" : "tempfail", env->sender,
	    to != NULL ? " to=<" : "", to != NULL ? to : "",
	    to != NULL ? ">" : "", env->client != NULL ? env->client : "-",
	    r->code, r->dsn, r->reason, r->text);
	g_free(to);
}

/* mpol_directory - the directory's answer for a recipient in our domains */
static void
mpol_directory(struct mpol *p, const struct mpol_envelope *env,
	       const char *full, const char *base, const char *detail,
	       struct mpol_reply *reply)
{
	const struct deputy_conf *c = p->conf;
	struct mpol_dir *d = NULL;
	struct dir_entry *entry = NULL;
	const char *hit;
	char   *err = NULL, *sender;
	size_t	bad = 0;
	int	rc;

	if (mpol_dir_take(p, &d, &err) < 0)
		rc = -1;
	else {
		rc = dir_lookup(d->dir, full, &entry, &err);
		if (rc == 0 && detail != NULL)
			rc = dir_lookup(d->dir, base, &entry, &err);
		mpol_dir_give(p, d);
	}
	if (rc < 0) {
		log_warn("milter: to=<%s>: directory: %s", full,
		    err != NULL ? err : "failed");
		g_free(err);
		mpol_reply_set(reply, MPOL_TEMPFAIL, "451", "4.3.0",
		    "directory-failed", "<%s>: the directory does not "
		    "answer; try again later", full);
		return;
	}
	g_free(err);
	if (rc == 0) {
		/* RFC 5321 4.5.1: postmaster is always accepted */
		if (c->milter_reject_unknown && g_ascii_strncasecmp(base,
		    "postmaster@", 11) != 0)
			mpol_reply_set(reply, MPOL_REJECT, "550", "5.1.1",
			    "unknown-recipient", "<%s>: no such user here",
			    full);
		return;
	}
	if (entry->account == DIR_ACCOUNT_DISABLED
	    || entry->account == DIR_ACCOUNT_ABANDONED) {
		int	abandoned = entry->account == DIR_ACCOUNT_ABANDONED;

		mpol_reply_set(reply, MPOL_REJECT, "550", "5.2.1",
		    abandoned ? "account-abandoned" : "account-disabled",
		    "<%s>: mailbox %s", full, abandoned ? "abandoned, nobody "
		    "reads it" : "disabled");
		dir_entry_free(&entry);
		return;
	}
	sender = batv_untag(env->sender);
	hit = refused_find((const char *const *)entry->refused_senders.values,
	    entry->refused_senders.count, sender != NULL ? sender
	    : env->sender, env->now, &bad);
	if (bad > 0)
		log_warn("milter: %s: %zu deputyRefusedSender value(s) cannot "
		    "be read and are ignored", entry->dn, bad);
	if (hit != NULL)
		mpol_reply_set(reply, MPOL_REJECT, "550", "5.7.1",
		    "refused-sender", "<%s> does not accept mail from <%s>",
		    full, sender != NULL ? sender : env->sender);
	g_free(sender);
	dir_entry_free(&entry);
}

/* mpol_rcpt - the answer to RCPT TO:<GIVEN> */
void
mpol_rcpt(struct mpol *p, const struct mpol_envelope *env, const char *given,
	  struct mpol_reply *reply, struct mpol_rcpt_info *info)
{
	const struct deputy_conf *c = p->conf;
	enum batv_status st = BATV_UNTAGGED;
	char   *addr, *orig = NULL, *full, *base, *detail;
	const char *work;
	int	protected;

	memset(reply, 0, sizeof(*reply));
	memset(info, 0, sizeof(*info));
	addr = envelope_sender(given);		/* <> and a route off */
	if (strlen(addr) > BATV_ADDRESS_MAX || strchr(addr, '@') == NULL) {
		g_free(addr);			/* the MTA's question */
		return;
	}
	if (mpol_srs_ok(p, addr, env->now)) {
		g_free(addr);			/* deputy-lda passes it back */
		return;
	}
	if (p->batv != NULL)
		st = batv_check(p->batv, addr, env->now, &orig);
	work = st == BATV_VALID ? orig : addr;
	envelope_recipient(work, c->recipient_delimiter, &base, &detail);
	full = g_ascii_strdown(work, -1);
	protected = mpol_protected(p, base);

	if (!env->submission && *env->sender == '\0' && protected) {
		if (st == BATV_BAD || st == BATV_EXPIRED)
			mpol_reply_set(reply, MPOL_REJECT, "550", "5.7.1",
			    st == BATV_BAD ? "batv-bad" : "batv-expired",
			    "<%s>: %s; this bounce answers mail we did not "
			    "send", addr, st == BATV_BAD ? "invalid BATV "
			    "signature" : "BATV signature expired");
		else if (st == BATV_UNTAGGED && !mpol_grace(p, env->now))
			mpol_reply_set(reply, MPOL_REJECT, "550", "5.7.1",
			    "batv-missing", "<%s> sends every message with a "
			    "signed (BATV) envelope sender; this bounce "
			    "answers mail we did not send", addr);
	}
	if (reply->action == MPOL_CONTINUE
	    && mpol_in(c->milter_recipient_domains, envelope_domain(base)))
		mpol_directory(p, env, full, base, detail, reply);
	if (reply->action != MPOL_CONTINUE)
		mpol_log_reply(env, addr, reply);
	else {
		info->batv_untagged = protected && st == BATV_UNTAGGED;
		info->outside = !mpol_ours(p, env, envelope_domain(base));
		if (st == BATV_VALID)
			info->untagged = g_strdup(orig);
	}
	g_free(addr);
	g_free(orig);
	g_free(full);
	g_free(base);
	g_free(detail);
}

/* mpol_sign - the tagged sender when ENV's mail must be signed, or NULL */
char *
mpol_sign(struct mpol *p, const struct mpol_envelope *env, int any_outside)
{
	char   *base, *tagged = NULL, *err = NULL;

	if (p->batv == NULL || !env->submission || *env->sender == '\0'
	    || !any_outside || srs_is_srs0(env->sender)
	    || g_ascii_strncasecmp(env->sender, "prvs=", 5) == 0
	    || !addr_is_safe(env->sender))
		return NULL;
	base = envelope_base(env->sender, p->conf->recipient_delimiter);
	if (mpol_protected(p, base)
	    && batv_sign(p->batv, env->sender, env->now, &tagged, &err) < 0) {
		log_info("milter: from=<%s>: not signed: %s", env->sender,
		    err);
		g_free(err);
		tagged = NULL;
	}
	g_free(base);
	return tagged;
}

/* mpol_word_is - whether VALUE starts (after blanks) with WORD as a token */
static int
mpol_word_is(const char *value, const char *word)
{
	size_t	n = strlen(word);

	while (*value == ' ' || *value == '\t' || *value == '\r'
	       || *value == '\n')
		value++;
	return g_ascii_strncasecmp(value, word, n) == 0
	    && (value[n] == '\0' || strchr(" \t\r\n;(", value[n]) != NULL);
}

/* mpol_autoreply_header - whether NAME: VALUE marks an auto-reply */
int
mpol_autoreply_header(const char *name, const char *value)
{
	if (name == NULL || value == NULL)
		return 0;
	if (strip_name_is(name, "Auto-Submitted"))
		return mpol_word_is(value, "auto-replied");
	if (strip_name_is(name, "X-Autoreply")
	    || strip_name_is(name, "X-Autorespond"))
		return !mpol_word_is(value, "no");
	if (strip_name_is(name, "Precedence"))
		return mpol_word_is(value, "auto_reply");
	return 0;
}

/* mpol_autoreply - the answer at the end of DATA to an auto-reply */
void
mpol_autoreply(struct mpol *p, const struct mpol_envelope *env, int autoreply,
	       size_t nrcpt, size_t nprotected, struct mpol_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	if (!autoreply || p->batv == NULL || env->submission || nrcpt == 0
	    || nprotected < nrcpt || mpol_grace(p, env->now))
		return;
	mpol_reply_set(reply, MPOL_REJECT, "550", "5.7.1", "batv-autoreply",
	    "an auto-reply to an address that signs its mail (BATV) must "
	    "go to the signed envelope sender; this one answers mail we "
	    "did not send");
	mpol_log_reply(env, NULL, reply);
}

/* mpol_spam_enabled - whether the end of DATA asks for a spam verdict */
int
mpol_spam_enabled(const struct mpol *p)
{
	return p->conf->milter_spam_reject;
}

/* mpol_spam - the answer at the end of DATA to the message at FD */
void
mpol_spam(struct mpol *p, const struct mpol_envelope *env, int fd,
	  off_t size, const char *rcpt, struct mpol_reply *reply)
{
	const struct deputy_conf *c = p->conf;
	struct facts_settings fset;
	struct spam_header_settings hs;
	struct spamc_request req;
	struct spam_verdict v;
	struct facts *f = NULL;
	char   *err = NULL;
	int	ask, refuse = 0;

	memset(reply, 0, sizeof(*reply));
	if (!c->milter_spam_reject)
		return;
	memset(&fset, 0, sizeof(fset));
	fset.loop_header = c->loop_header;
	fset.spam_headers = (const char *const *)c->spam_headers;
	if (facts_parse(fd, &fset, &f, &err) < 0) {
		log_warn("milter: spam check skipped: %s", err);
		g_free(err);
		return;
	}
	hs.boundary_received = c->boundary_received;
	hs.generic = strcmp(c->spam_headers_from, "rspamd") == 0 ?
	    SPAM_SCANNER_RSPAMD : SPAM_SCANNER_SPAMASSASSIN;
	ask = strcmp(c->spam_scanner, "none") != 0;
	memset(&req, 0, sizeof(req));
	req.kind = strcmp(c->spam_scanner, "rspamd") == 0 ? SPAMC_RSPAMD :
	    SPAMC_SPAMD;
	req.address = c->spam_address;
	req.fd = fd;
	req.offset = 0;
	req.size = size;
	req.timeout = c->spam_timeout;
	req.max_size = (off_t)c->spam_max_size_kb * 1024;
	req.sender = env->sender;
	req.recipient = rcpt;
	req.client = env->client;
	memset(&v, 0, sizeof(v));
	if (spam_verdict_get(f, &hs, ask ? &req : NULL, &v, &err) != 0) {
		/* our scanner's fault: never a 5xx, so accept */
		log_warn("milter: spam scanner: %s: no verdict, accepted", err);
		g_free(err);
	}
	if (v.known && v.scanner == SPAM_SCANNER_RSPAMD)
		refuse = (v.action != NULL && strcmp(v.action, "reject") == 0)
		    || v.score >= c->milter_rspamd_reject;
	else if (v.known)
		refuse = v.score >= c->milter_sa_reject;
	if (refuse) {
		mpol_reply_set(reply, MPOL_REJECT, "550", "5.7.1", "spam",
		    "message refused as spam (%s score %.1f%s%s)",
		    spam_scanner_name(v.scanner), v.score,
		    v.action != NULL ? ", " : "",
		    v.action != NULL ? v.action : "");
		mpol_log_reply(env, rcpt, reply);
	}
	spam_verdict_clear(&v);
	facts_free(&f);
}
