/*
 * NAME
 *	engine - the path of one message, for every front end
 * SUMMARY
 *	parse (bounded) -> trust -> for each recipient: who it is, its
 *	entry, absence and script -> the spam verdict, when somebody is
 *	away -> decide() once per recipient -> act: mailbox copies, the
 *	forwards, the notice (claimed in the state store first).
 *
 *	The state store is opened when first needed; if it cannot be used
 *	(full, corrupt, foreign, unreadable, unreachable) the run goes on
 *	without it: every copy is delivered, forwards go out, no notice is
 *	sent, and one log line says why.
 * DIAGNOSTICS
 *	See engine.h.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "engine-private.h"
#include "envelope.h"
#include "log.h"
#include "spamc.h"
#include "submit.h"
#include "trust.h"

/* engine_open - load CONFIG_PATH and the directory */
int
engine_open(const char *config_path, unsigned int flags,
	    struct engine **engine_r, enum fail_class *class_r,
	    char **error_r)
{
	struct engine *e = g_new0(struct engine, 1);
	struct dir_settings dset;

	*engine_r = NULL;
	e->flags = flags;
	facts_init();
	if (conf_load(config_path, &e->conf, error_r) != 0) {
		*class_r = FAIL_CONFIG;
		g_free(e);
		return -1;
	}
	log_close();
	/* --explain changes nothing, not even the log file's owner. */
	log_open(e->conf->log_ident, e->conf->log_facility,
	    (flags & ENGINE_EXPLAIN) ? NULL : e->conf->log_file);
	conf_dir_settings(e->conf, &dset);
	if (strcmp(e->conf->dir_backend, "ldif") == 0 &&
	    stat(e->conf->dir_ldif_file, &e->ldif_st) != 0)
		memset(&e->ldif_st, 0, sizeof(e->ldif_st));
	if (dir_open(&dset, &e->dir, error_r) != 0) {
		*class_r = FAIL_DIRECTORY;
		engine_close(&e);
		return -1;
	}
	if (e->conf->lmtp != NULL) {
		struct relay_settings rs = { e->conf->lmtp, 1,
		    e->conf->hostname, e->conf->lmtp_timeout, 0 };

		e->store = relay_new(&rs);
	}
	if (e->conf->smtp != NULL) {
		struct relay_settings rs = { e->conf->smtp, 0,
		    e->conf->hostname, e->conf->submit_timeout, 0 };

		e->smtp = relay_new(&rs);
	}
	*engine_r = e;
	return 0;
}

/* engine_refresh - reload the LDIF directory when its file changed */
void
engine_refresh(struct engine *e)
{
	struct dir_settings dset;
	struct dir *fresh = NULL;
	struct stat st;
	char *err = NULL;

	if (strcmp(e->conf->dir_backend, "ldif") != 0 ||
	    stat(e->conf->dir_ldif_file, &st) != 0)
		return;
	if (st.st_ino == e->ldif_st.st_ino && st.st_size ==
	    e->ldif_st.st_size && st.st_mtim.tv_sec ==
	    e->ldif_st.st_mtim.tv_sec && st.st_mtim.tv_nsec ==
	    e->ldif_st.st_mtim.tv_nsec)
		return;
	conf_dir_settings(e->conf, &dset);
	if (dir_open(&dset, &fresh, &err) != 0) {
		log_warn("directory %s changed but cannot be read, the "
		    "previous one stays: %s", e->conf->dir_ldif_file, err);
		g_free(err);
		e->ldif_st = st;	/* said once per change */
		return;
	}
	dir_close(&e->dir);
	e->dir = fresh;
	e->ldif_st = st;
	log_info("directory %s reloaded", e->conf->dir_ldif_file);
}

/* engine_conf - the configuration in use */
const struct deputy_conf *
engine_conf(const struct engine *e)
{
	return e->conf;
}

/* engine_close - release everything */
void
engine_close(struct engine **ep)
{
	struct engine *e = *ep;

	if (e == NULL)
		return;
	srs_key_free(&e->srs_key);
	relay_free(&e->store);
	relay_free(&e->smtp);
	dir_close(&e->dir);
	conf_free(&e->conf);
	g_free(e);
	*ep = NULL;
}

/* engine_abort - stop a running child; async-signal-safe */
void
engine_abort(void)
{
	submit_abort();
}

/*
 * engine_state - the state store, opened when first needed. NULL when
 * it cannot be used: said once per run, loudly; the caller goes on
 * without it (no notice; deliveries and forwards as usual).
 */
struct state *
engine_state(struct engine_run *run)
{
	const struct deputy_conf *c = run->conf;
	time_t keep;
	char *err = NULL;

	if (run->state != NULL || run->state_failed)
		return run->state;
	/* --explain creates nothing: no file yet, nothing recorded yet */
	if (run->req->explain && access(c->state_path, F_OK) != 0) {
		run->state_failed = 1;
		return NULL;
	}
	/* a notice record lives as long as any notice may be held back */
	keep = MAX((time_t)c->notice_period_days * 86400,
	    (time_t)c->sieve_max_period);
	if (state_open(c->state_path, c->state_map_size, keep,
	    run->req->explain, &run->state, &err) != 0) {
		log_warn("state store unusable, delivering without it (no "
		    "notices until it is fixed): %s", err);
		g_free(err);
		run->state_failed = 1;
		run->state = NULL;
	}
	return run->state;
}

/* engine_trust - whether the envelope sender is authenticated */
static void
engine_trust(struct engine_run *run)
{
	const struct deputy_conf *c = run->conf;
	struct trust_settings tset = {
		(const char *const *)c->trusted_authserv_ids,
		c->boundary_received,
		c->public_suffix_list
	};

	trust_authenticate(run->facts, run->sender, &tset, &run->auth);
}

/* engine_spam - the spam verdict, from trusted headers or the scanner */
static void
engine_spam(struct engine_run *run, const char *recipient)
{
	const struct deputy_conf *c = run->conf;
	struct spam_header_settings hs;
	struct spamc_request req;
	int ask;
	char *err = NULL;

	if (run->spam_done)
		return;
	run->spam_done = 1;
	hs.boundary_received = c->boundary_received;
	hs.generic = strcmp(c->spam_headers_from, "rspamd") == 0 ?
	    SPAM_SCANNER_RSPAMD : SPAM_SCANNER_SPAMASSASSIN;
	ask = strcmp(c->spam_scanner, "none") != 0 && run->facts->parsed;
	memset(&req, 0, sizeof(req));
	req.kind = strcmp(c->spam_scanner, "rspamd") == 0 ? SPAMC_RSPAMD :
	    SPAMC_SPAMD;
	req.address = c->spam_address;
	req.fd = run->spool->fd;
	req.offset = run->body_offset;
	req.size = run->spool->size - run->body_offset;
	req.timeout = c->spam_timeout;
	req.max_size = (off_t)c->spam_max_size_kb * 1024;
	req.sender = run->sender;
	req.recipient = recipient;
	req.client = run->req->client;
	if (spam_verdict_get(run->facts, &hs, ask ? &req : NULL, &run->spam,
	    &err) != 0) {
		log_warn("spam scanner: %s: no score, so no notice", err);
		g_free(err);
	}
}

/* engine_input - what decide() reads for R */
static void
engine_input(struct engine_run *run, struct engine_rcpt *r,
	     struct decide_input *in)
{
	const struct deputy_conf *c = run->conf;

	memset(in, 0, sizeof(*in));
	in->facts = run->facts;
	in->sender = run->sender;
	in->recipient = r->rec->address;
	in->detail = r->rec->detail;
	in->delimiters = c->recipient_delimiter;
	in->entry = r->entry;
	in->away = r->away;
	in->away_until = r->absence.end;
	in->delegates = &r->delegates;
	in->redirects = &r->redirects;
	in->own_addresses = (const char *const *)r->own;
	in->now = run->now;
	in->mailbox = r->mailbox;
	in->detail_mailbox = c->detail_mailbox;
	in->script = r->rec->scripted ? &r->script : NULL;
	in->reject_discards = c->sieve_reject_discards;
	in->srs_original = r->rec->srs_original;
	in->copy_seen = r->copy_seen;
	in->vacation_from = r->vac_from;
	in->auth = &run->auth;
	in->spam = &run->spam;
	in->spam_policy = &run->spam_policy;
	in->default_notice = c->default_notice;
	in->internal_domains = (const char *const *)c->internal_domains;
	in->system_senders = (const char *const *)c->system_senders;
	in->max_received = c->max_received;
	in->forward_bulk = c->forward_bulk;
	in->srs_enabled = engine_srs_enabled(c);
}

/* engine_decide - delegates when they matter, then decide() once */
static int
engine_decide(struct engine_run *run, struct engine_rcpt *r, char **error_r)
{
	struct decide_input in;

	engine_input(run, r, &in);
	if (decide_wants_delegates(&in)) {
		if (engine_rcpt_delegates(run, r, error_r) != 0)
			return -1;
		engine_input(run, r, &in);
	}
	decide(&in, &r->rec->d);
	for (size_t i = 0; i < r->rec->d.notes.count; i++)
		if (!run->req->explain)
			log_warn("to=<%s>: %s", r->rec->recipient,
			    r->rec->d.notes.values[i]);
	return 0;
}

/* engine_fail - mark R as to be retried */
static void
engine_fail(struct engine_rcpt *r, enum fail_class class, char *error)
{
	r->rec->fail = class;
	r->rec->fail_error = error != NULL ? error :
	    g_strdup("temporary failure");
}

/*
 * engine_store - the mailbox copy of R (Maildir; the downstream LMTP
 * server takes every recipient's copy at once, in engine_run)
 */
static void
engine_store(struct engine_run *run, struct engine_rcpt *r)
{
	struct record *rec = r->rec;
	char *err = NULL;

	switch (rec->d.mailbox) {
	case DM_RETURN:
		if (engine_return_bounce(run, r, &err) != 0)
			engine_fail(r, FAIL_SUBMIT, err);
		break;
	case DM_DUPLICATE:
		log_info("to=<%s>: a copy of forward <%s> it already has: not "
		    "delivered again", rec->recipient, run->copy_id);
		rec->mailbox = RECORD_MB_DUPLICATE;
		break;
	case DM_CALLER:
		rec->mailbox = RECORD_MB_CALLER;
		break;
	case DM_NONE:
		rec->mailbox = RECORD_MB_NONE;
		break;
	case DM_DELIVER:
		if (run->e->store == NULL && engine_mailbox(run, r, &err) != 0)
			engine_fail(r, FAIL_MAILBOX, err);
		break;
	}
}

/*
 * engine_act - after the mailbox copy: the forwards, then the notice.
 * The notice is claimed in the state store only once the copies and
 * forwards are done: a retry after a failure before it still gets its
 * chance.
 */
static void
engine_act(struct engine_run *run, struct engine_rcpt *r)
{
	struct record *rec = r->rec;
	enum fail_class class = FAIL_NONE;
	char *err = NULL;

	if (rec->fail != FAIL_NONE || rec->mailbox == RECORD_MB_RETURNED ||
	    rec->mailbox == RECORD_MB_DUPLICATE ||
	    rec->mailbox == RECORD_MB_REFUSED)
		return;
	if (engine_forward(run, r, &class, &err) != 0) {
		engine_fail(r, class, err);
		return;
	}
	engine_copy_record(run, rec->recipient);
	engine_notice_claim(run, r, 0);
	if (rec->d.notice_reason == DR_NONE)
		(void)engine_notice_send(run, r);
}

/* engine_run_free - release what the run owns (the result stays) */
static void
engine_run_free(struct engine_run *run)
{
	for (size_t i = 0; i < run->nrcpt; i++)
		engine_rcpt_clear(&run->rcpts[i]);
	g_free(run->rcpts);
	state_close(&run->state);
}

/* engine_run - decide and act on MSG for every recipient of REQ */
int
engine_run(struct engine *e, const struct spool *msg,
	   const struct engine_request *req, struct engine_result *res,
	   enum fail_class *class_r, char **error_r)
{
	struct engine_run *run = g_new0(struct engine_run, 1);
	struct facts_settings fset;
	size_t n = 0;
	int any_away = 0;

	memset(res, 0, sizeof(*res));
	res->priv = run;
	run->e = e;
	run->conf = e->conf;
	run->req = req;
	run->spool = msg;
	run->res = res;
	run->now = req->now != 0 ? req->now : time(NULL);
	run->sender = envelope_sender(req->sender);
	run->body_offset = facts_mbox_line_end(msg->fd);
	conf_spam_policy(e->conf, &run->spam_policy);

	memset(&fset, 0, sizeof(fset));
	fset.loop_header = e->conf->loop_header;
	fset.spam_headers = (const char *const *)e->conf->spam_headers;
	if (facts_parse(msg->fd, &fset, &run->facts, error_r) != 0) {
		*class_r = FAIL_INPUT;
		return -1;
	}
	engine_trust(run);
	run->copy_id = engine_copy_id(run);

	while (req->recipients[n] != NULL)
		n++;
	run->nrcpt = n;
	run->rcpts = g_new0(struct engine_rcpt, n);
	res->records = g_new0(struct record, n);
	res->count = n;
	for (size_t i = 0; i < n; i++) {
		struct engine_rcpt *r = &run->rcpts[i];
		enum fail_class class = FAIL_NONE;
		char *err = NULL;

		r->rec = &res->records[i];
		if (engine_rcpt_prepare(run, r, req->recipients[i], &class,
		    &err) != 0) {
			engine_fail(r, class, err);
			continue;
		}
		r->copy_seen = engine_copy_seen(run, r->rec->recipient);
		any_away |= r->away;
	}
	/* Only away recipients need a score (notice, forward). */
	if (any_away)
		engine_spam(run, run->rcpts[0].rec->recipient);
	for (size_t i = 0; i < n; i++) {
		struct engine_rcpt *r = &run->rcpts[i];
		char *err = NULL;

		if (r->rec->fail != FAIL_NONE)
			continue;
		if (engine_decide(run, r, &err) != 0) {
			engine_fail(r, FAIL_DIRECTORY, err);
			continue;
		}
		if (req->explain)
			engine_notice_claim(run, r, 1);
		else
			engine_store(run, r);
	}
	/* every mailbox copy first; then the forwards and notices */
	if (!req->explain && e->store != NULL)
		engine_store_lmtp(run);
	for (size_t i = 0; i < n && !req->explain; i++)
		engine_act(run, &run->rcpts[i]);

	res->message.sender = run->sender;
	res->message.message_id = run->facts->message_id;
	res->message.authenticated = run->auth.authenticated;
	res->message.auth_detail = run->auth.detail;
	res->message.spam_known = run->spam.known;
	res->message.spam_score = run->spam.score;
	res->message.spam = run->spam_text =
	    spam_verdict_describe(&run->spam, &run->spam_policy);
	if (!req->explain)
		for (size_t i = 0; i < n; i++) {
			struct record *rec = &res->records[i];
			char *line;

			if (rec->fail != FAIL_NONE) {
				log_warn("from=<%s> to=<%s>: deferred (%s): %s",
				    run->sender, rec->recipient ?
				    rec->recipient : "", fail_info(rec->fail)->dsn,
				    rec->fail_error);
				continue;
			}
			line = record_log_line(&res->message, rec);
			log_info("%s", line);
			g_free(line);
		}
	engine_run_free(run);
	return 0;
}

/* engine_result_fail - the first failed record's class, or FAIL_NONE */
enum fail_class
engine_result_fail(const struct engine_result *res, const char **error_r)
{
	for (size_t i = 0; i < res->count; i++)
		if (res->records[i].fail != FAIL_NONE) {
			if (error_r != NULL)
				*error_r = res->records[i].fail_error;
			return res->records[i].fail;
		}
	return FAIL_NONE;
}

/* engine_result_clear - release RES */
void
engine_result_clear(struct engine_result *res)
{
	struct engine_run *run = res->priv;

	for (size_t i = 0; i < res->count; i++)
		record_clear(&res->records[i]);
	g_free(res->records);
	if (run != NULL) {
		facts_free(&run->facts);
		g_free(run->sender);
		trust_verdict_clear(&run->auth);
		g_free(run->copy_id);
		g_free(run->spam_text);
		spam_verdict_clear(&run->spam);
		g_free(run);
	}
	memset(res, 0, sizeof(*res));
}
