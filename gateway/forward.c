/*
 * NAME
 *	forward - a leaf node: forwards to delegates, bounces passed back
 * SUMMARY
 *	A forward is a redirect: the message unchanged (so that its DKIM
 *	signature still verifies), with our loop marker and a Resent-*
 *	block prepended, handed to sendmail. Internal delegates get the
 *	original envelope sender, outside ones an SRS0 sender when the
 *	record says so. Each forward group is recorded in the state store
 *	once sendmail took it, so that a retry after a later failure does
 *	not send it again; a copy of one of our forwards is recognised on
 *	arrival by its Resent-Message-ID, which is the same on every
 *	attempt.
 * DIAGNOSTICS
 *	-1 with *error_r when sendmail fails (the caller retries later) or
 *	the SRS key cannot be read. A state store that fails is logged and
 *	ignored: the forward goes out, at worst once more on a retry.
 * SECURITY
 *	Every address was checked by addr_is_safe() before it got
 *	into the record; sendmail gets them after "--".
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "addr.h"
#include "engine-private.h"
#include "log.h"
#include "submit.h"

/*
 * engine_copy_id - the Resent-Message-ID of a forward made by deputy on
 * this host (deputy.HEX.HEX@hostname, with our loop marker), or NULL
 */
char *
engine_copy_id(const struct engine_run *run)
{
	const char *id = run->facts->resent_message_id;
	char *bare, *suffix;
	size_t n;

	if (id == NULL || run->facts->loop_markers.count == 0)
		return NULL;
	bare = g_strstrip(g_strdup(id));
	n = strlen(bare);
	if (n >= 2 && bare[0] == '<' && bare[n - 1] == '>') {
		memmove(bare, bare + 1, n - 2);
		bare[n - 2] = '\0';
	}
	suffix = g_strdup_printf("@%s", run->conf->hostname);
	if (!g_str_has_prefix(bare, "deputy.") ||
	    !g_str_has_suffix(bare, suffix) || strlen(bare) > 200) {
		g_free(bare);
		bare = NULL;
	}
	g_free(suffix);
	return bare;
}

/*
 * engine_copy_seen - whether RCPT already has this forward copy. A
 * store that fails answers "no": the copy is delivered (the Maildir
 * name still keeps it single in new/).
 */
int
engine_copy_seen(struct engine_run *run, const char *rcpt)
{
	struct state *st;
	char *err = NULL;
	int rc;

	if (run->copy_id == NULL || (st = engine_state(run)) == NULL)
		return 0;
	rc = state_progress_get(st, run->copy_id, rcpt, STATE_DELIVERED,
	    run->now, &err);
	if (rc < 0) {
		log_warn("to=<%s>: %s: a duplicate forward copy cannot be "
		    "recognised", rcpt, err);
		g_free(err);
		return 0;
	}
	return rc;
}

/* engine_copy_record - remember that RCPT got this forward copy */
void
engine_copy_record(struct engine_run *run, const char *rcpt)
{
	struct state *st;
	char *err = NULL;

	if (run->copy_id == NULL || (st = engine_state(run)) == NULL)
		return;
	if (state_progress_put(st, run->copy_id, rcpt, STATE_DELIVERED,
	    run->now, &err) != 0) {
		log_warn("to=<%s>: forward copy not recorded: %s", rcpt, err);
		g_free(err);
	}
}

/*
 * engine_submit - hand a message to the MTA: over SMTP to its
 * reinjection port when submission.smtp is set (the connection stays
 * open for the next one), else to sendmail. PREFIX goes first; with
 * WITH_BODY the spooled message follows. A recipient the MTA refuses
 * for good (5xx) is logged and dropped: retrying would not help, and a
 * bounce is what deputy must not cause. Any 4xx is a retry.
 */
int
engine_submit(struct engine_run *run, const char *sender,
	      const char *const *rcpts, const char *prefix, int with_body,
	      char **error_r)
{
	struct submit_request req;
	struct relay_reply *replies;
	size_t n = 0;
	int rc = 0;

	if (run->e->smtp == NULL) {
		memset(&req, 0, sizeof(req));
		req.sendmail = run->conf->sendmail;
		req.sender = sender;
		req.recipients = rcpts;
		req.prefix = prefix;
		req.fd = with_body ? run->spool->fd : -1;
		req.body_offset = run->body_offset;
		req.timeout = run->conf->submit_timeout;
		return submit_run(&req, error_r);
	}
	while (rcpts[n] != NULL)
		n++;
	replies = g_new0(struct relay_reply, n);
	if (relay_send(run->e->smtp, sender, rcpts, prefix,
	    with_body ? run->spool->fd : -1, run->body_offset, replies,
	    error_r) != 0) {
		g_free(replies);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (replies[i].code / 100 == 5)
			log_warn("to=<%s>: the MTA refused it for good: %s",
			    rcpts[i], replies[i].text ? replies[i].text : "");
		else if (replies[i].code / 100 != 2) {
			*error_r = g_strdup_printf("%s: <%s>: %s",
			    run->conf->smtp, rcpts[i], replies[i].text ?
			    replies[i].text : "no reply");
			rc = -1;
		}
	}
	relay_replies_clear(replies, n);
	g_free(replies);
	return rc;
}

/* forward_done - whether an earlier attempt sent this group already */
static int
forward_done(struct engine_run *run, const char *rcpt,
	     enum state_action action)
{
	struct state *st = engine_state(run);
	char *err = NULL;
	int rc;

	if (st == NULL)
		return 0;
	rc = state_progress_get(st, run->spool->digest, rcpt, action,
	    run->now, &err);
	if (rc < 0) {
		log_warn("to=<%s>: %s: an earlier forward cannot be "
		    "recognised", rcpt, err);
		g_free(err);
		return 0;
	}
	return rc;
}

/* forward_record - remember that this group was sent */
static void
forward_record(struct engine_run *run, const char *rcpt,
	       enum state_action action)
{
	struct state *st = engine_state(run);
	char *err = NULL;

	if (st == NULL)
		return;
	if (state_progress_put(st, run->spool->digest, rcpt, action, run->now,
	    &err) != 0) {
		log_warn("to=<%s>: forward sent but not recorded (a retry "
		    "would send it again): %s", rcpt, err);
		g_free(err);
	}
}

/* forward_prefix - loop marker and Resent-* block for a redirect */
static char *
forward_prefix(struct engine_run *run, const char *rcpt,
	       const struct dir_strings *group)
{
	GDateTime *now = g_date_time_new_from_unix_local(run->now);
	char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");
	char *to = g_strjoinv(", ", group->values);
	/* The same on every retry, so a repeat is recognisable downstream. */
	char *rid = g_compute_checksum_for_string(G_CHECKSUM_SHA256, rcpt, -1);
	char *prefix = g_strdup_printf(
	    "%s: %s\r\n"
	    "Resent-From: <%s>\r\n"
	    "Resent-To: %s\r\n"
	    "Resent-Date: %s\r\n"
	    "Resent-Message-ID: <deputy.%.16s.%.16s@%s>\r\n",
	    run->conf->loop_header, rcpt, rcpt, to, date,
	    run->spool->digest, rid, run->conf->hostname);

	g_date_time_unref(now);
	g_free(date);
	g_free(to);
	g_free(rid);
	return prefix;
}

/* forward_fix_newlines - use the message's own line ending in PREFIX */
static void
forward_fix_newlines(struct engine_run *run, char *prefix)
{
	char buf[1024];
	ssize_t n = pread(run->spool->fd, buf, sizeof(buf), run->body_offset);
	char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	char *w = prefix;

	if (nl != NULL && nl > buf && nl[-1] == '\r')
		return;
	/* LF message: drop the CRs (in place, the string only shrinks). */
	for (char *p = prefix; *p != '\0'; p++)
		if (*p != '\r')
			*w++ = *p;
	*w = '\0';
}

/* forward_group - one forward group, unless an earlier attempt sent it */
static int
forward_group(struct engine_run *run, struct engine_rcpt *r,
	      const struct dir_strings *to, enum state_action action,
	      int srs, enum fail_class *class_r, char **error_r)
{
	const char *rcpt = r->rec->recipient;
	char *prefix, *sender = NULL;
	int rc;

	if (forward_done(run, rcpt, action)) {
		log_info("to=<%s>: forward made by an earlier attempt", rcpt);
		return 0;
	}
	*class_r = FAIL_SUBMIT;
	if (srs) {
		if (engine_srs_key(run, error_r) != 0) {
			*class_r = FAIL_SECRET;
			return -1;
		}
		if (srs_forward(run->e->srs_key, run->conf->srs_domain,
		    run->sender, run->now, &sender, error_r) != 0) {
			log_warn("to=<%s>: SRS: %s; original sender kept",
			    rcpt, *error_r);
			g_free(*error_r);
			*error_r = NULL;
			sender = NULL;
		}
	}
	prefix = forward_prefix(run, rcpt, to);
	forward_fix_newlines(run, prefix);
	rc = engine_submit(run, sender != NULL ? sender :
	    r->rec->d.fwd_sender_null ? "" : run->sender,
	    (const char *const *)to->values, prefix, 1, error_r);
	g_free(prefix);
	g_free(sender);
	if (rc != 0)
		return -1;
	forward_record(run, rcpt, action);
	return 0;
}

/* engine_forward - both forward groups of R's record */
int
engine_forward(struct engine_run *run, struct engine_rcpt *r,
	       enum fail_class *class_r, char **error_r)
{
	const struct decision *d = &r->rec->d;

	if (d->fwd_internal.count > 0 && forward_group(run, r,
	    &d->fwd_internal, STATE_FORWARDED, 0, class_r, error_r) != 0)
		return -1;
	if (d->fwd_external.count > 0 && forward_group(run, r,
	    &d->fwd_external, STATE_FORWARDED_EXT, d->fwd_external_srs,
	    class_r, error_r) != 0)
		return -1;
	r->rec->forwarded = d->fwd_internal.count + d->fwd_external.count > 0;
	return 0;
}

/* engine_return_bounce - pass a bounce to an SRS address back, from <> */
int
engine_return_bounce(struct engine_run *run, struct engine_rcpt *r,
		     char **error_r)
{
	const char *rcpts[2] = { r->rec->srs_original, NULL };

	if (forward_done(run, r->rec->recipient, STATE_BOUNCE_RETURNED)) {
		r->rec->mailbox = RECORD_MB_RETURNED;
		return 0;
	}
	if (engine_submit(run, "", rcpts, NULL, 1, error_r) != 0)
		return -1;
	forward_record(run, r->rec->recipient, STATE_BOUNCE_RETURNED);
	r->rec->mailbox = RECORD_MB_RETURNED;
	return 0;
}
