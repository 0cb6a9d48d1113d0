/*
 * NAME
 *	mailbox - a leaf node: the mailbox copies of one recipient
 * SUMMARY
 *	Writes the message into every Maildir folder the record names,
 *	each with a name that is the same on every attempt of this
 *	delivery (and on every copy of one of our forwards): a copy an
 *	earlier, killed attempt left behind is found, not repeated. That
 *	name is what makes a retry idempotent; no state record is needed.
 *
 *	With a downstream LMTP server (delivery.lmtp, Dovecot's), every
 *	recipient's copy goes there instead, in one transaction per
 *	message, and the server's reply is the recipient's outcome: it
 *	runs quotas, indexes and users' Sieve scripts.
 * DIAGNOSTICS
 *	-1 with *error_r when a copy cannot be made durable: a fault of
 *	this host (disk full, EIO, permissions); the caller retries later.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "engine-private.h"
#include "log.h"
#include "maildir.h"

/*
 * mailbox_key - the Maildir file name part of one copy: the same for
 * every attempt of one delivery, and for every copy of one of our
 * forwards (whose bytes differ by the Received lines of the way)
 */
static char *
mailbox_key(const struct engine_run *run, const char *key)
{
	char *text = g_strdup_printf("%s\n%s", run->copy_id != NULL ?
	    run->copy_id : run->spool->digest, key);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);

	g_free(text);
	return sum;
}

/* engine_mailbox - write every target of R's record */
int
engine_mailbox(struct engine_run *run, struct engine_rcpt *r, char **error_r)
{
	struct record *rec = r->rec;
	const struct dir_strings *targets = &rec->d.targets;

	for (size_t i = 0; i < targets->count; i++) {
		const char *path = targets->values[i];
		/* INBOX keeps the plain key of earlier versions */
		char *key = strcmp(path, r->mailbox) == 0 ?
		    g_strdup(rec->recipient) :
		    g_strdup_printf("%s\n%s", rec->recipient, path);
		char *mkey = mailbox_key(run, key);
		char *file = NULL;
		int rc;

		rc = maildir_deliver(path, run->spool->fd, run->conf->hostname,
		    mkey, &file, error_r);
		g_free(mkey);
		g_free(key);
		g_free(file);
		if (rc < 0) {
			rec->mailbox = RECORD_MB_FAILED;
			return -1;
		}
		if (rc == 1)
			log_info("to=<%s>: mailbox copy found in new/ or cur/, "
			    "made by an earlier attempt", rec->recipient);
		rec->copies++;
	}
	rec->mailbox = targets->count > 0 ? RECORD_MB_DELIVERED :
	    RECORD_MB_NONE;
	return 0;
}

/*
 * engine_store_lmtp - the copies of every recipient that has one, in one
 * transaction with the downstream LMTP server: 2xx delivered, 5xx
 * refused (its reply is the recipient's), anything else a retry
 */
void
engine_store_lmtp(struct engine_run *run)
{
	struct engine_rcpt **who = g_new0(struct engine_rcpt *, run->nrcpt);
	const char **rcpts = g_new0(const char *, run->nrcpt + 1);
	struct relay_reply *replies;
	size_t n = 0;
	char *err = NULL;

	for (size_t i = 0; i < run->nrcpt; i++) {
		struct engine_rcpt *r = &run->rcpts[i];

		if (r->rec->fail == FAIL_NONE && r->rec->d.mailbox == DM_DELIVER) {
			who[n] = r;
			rcpts[n++] = r->rec->recipient;
		}
	}
	if (n == 0)
		goto out;
	replies = g_new0(struct relay_reply, n);
	if (relay_send(run->e->store, run->sender, rcpts, NULL, run->spool->fd,
	    run->body_offset, replies, &err) != 0) {
		for (size_t i = 0; i < n; i++) {
			who[i]->rec->mailbox = RECORD_MB_FAILED;
			who[i]->rec->fail = FAIL_MAILBOX;
			who[i]->rec->fail_error = g_strdup(err);
		}
		g_free(err);
		g_free(replies);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct record *rec = who[i]->rec;

		rec->store_code = replies[i].code;
		rec->store_text = replies[i].text;
		replies[i].text = NULL;
		if (rec->store_code / 100 == 2) {
			rec->mailbox = RECORD_MB_DELIVERED;
			rec->copies = 1;
		} else if (rec->store_code / 100 == 5) {
			rec->mailbox = RECORD_MB_REFUSED;
		} else {
			rec->mailbox = RECORD_MB_FAILED;
			rec->fail = FAIL_MAILBOX;
			rec->fail_error = g_strdup_printf("%s: %s",
			    run->conf->lmtp, rec->store_text != NULL ?
			    rec->store_text : "no reply");
		}
	}
	g_free(replies);
out:
	g_free(who);
	g_free(rcpts);
}
