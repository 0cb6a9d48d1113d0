/*
 * NAME
 *	deputy-milter - refuse at SMTP time what deputy would otherwise bounce
 * SYNOPSIS
 *	deputy-milter [-c deputy.conf] [-t]
 * DESCRIPTION
 *	A libmilter filter for Postfix (smtpd_milters, non_smtpd_milters)
 *	and Sendmail (INPUT_MAIL_FILTER). It translates the milter events
 *	into calls to policy.c and the answers back into replies and
 *	message changes; it decides nothing itself:
 *
 *	  MAIL    the sender, and whether this is the submission path
 *	          ({auth_authen}, {daemon_name}; asked for with
 *	          smfi_setsymlist).
 *	  RCPT    mpol_rcpt(): 550 5.1.1, 5.2.1, 5.7.1 or 451 4.3.0 for
 *	          this recipient only, or accepted.
 *	  header  which fields to remove (strip.h), whether it calls
 *	          itself an auto-reply, and, when the spam check is on, a
 *	          copy of the message as it will be passed on.
 *	  EOM     the auto-reply and spam checks (550 5.7.1 for the whole
 *	          message); then the changes: forged trust fields removed,
 *	          BATV-tagged recipients replaced by their plain address,
 *	          the envelope sender of the submission path signed.
 *
 *	The MTA is asked not to send what is not used (connect, HELO,
 *	DATA, unknown commands, end of header, the body unless the spam
 *	check is on) and not to wait for a reply to MAIL or to a header:
 *	one round trip per RCPT and one for the end of the message, besides
 *	the option negotiation of each connection.
 *
 *	The process is a supervisor and one worker that runs libmilter
 *	(milter-supervisor.c); a crash costs the transactions in flight
 *	the MTA's milter_default_action, nothing more.
 * DIAGNOSTICS
 *	deputy-milter -t checks the configuration and the key files: exit
 *	0, or 2 with the reason on stderr. At start, a bad configuration
 *	or a socket that cannot be opened is exit 1 with one line on
 *	stderr; afterwards everything goes to the log (deputy.conf log
 *	section), one line per refusal with its reason code. A fault of
 *	this host is a 4xx or an accept, never a 5xx: a directory that does
 *	not answer is 451 4.3.0; a message whose forged fields cannot be
 *	removed is 451 4.7.0. When deputy-milter is not running, the MTA
 *	applies milter_default_action (tempfail).
 * SECURITY
 *	Refuses to run as root. The socket is created with
 *	milter.socket_mode; the MTA's user must be able to connect (Postfix:
 *	add postfix to the deputy group). Every value from the SMTP client
 *	is bounded and normalized before use; nothing from it reaches a
 *	reply but addresses, made printable.
 */

#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <libmilter/mfapi.h>

#include "conf.h"
#include "envelope.h"
#include "fail.h"
#include "log.h"
#include "milter-private.h"
#include "policy.h"
#include "spool.h"
#include "strip.h"

#define MILTER_STRIP_MAX	1000	/* fields removed from one message */
#define MILTER_NAMES_MAX	33	/* A-R and up to 32 spam headers */
#define MILTER_RECEIVED \
	"Received: by deputy-milter (end of DATA check)\r\n"

struct mpol *milter_policy;

/* One accepted recipient. */
struct mrcpt {
	char *given;			/* as the MTA sent it (for delrcpt) */
	char *untagged;			/* BATV tag verified: the address */
};

/* One field to remove: NAME's INDEX-th occurrence (1-based). */
struct mstrip {
	char *name;
	int index;
};

/* One SMTP connection; the transaction is reset at MAIL and at EOM. */
struct mconn {
	unsigned long actions;		/* negotiated SMFIF_* */
	unsigned long proto;		/* negotiated SMFIP_* */

	char *sender;			/* normal form */
	char *client;
	struct mpol_envelope env;
	GPtrArray *rcpts;		/* struct mrcpt * */
	size_t nprotected, noutside;

	unsigned int counts[MILTER_NAMES_MAX];	/* occurrences per name */
	GArray *strips;			/* struct mstrip */
	size_t nstrip;			/* wanted, also past the cap */
	int autoreply;

	int spooling;			/* a copy for the spam check */
	int spool_open;
	int eoh_done;
	int spool_over;			/* too big or failed: no check */
	struct spool spool;
};

/* mconn_reset - forget the transaction, keep the connection */
static void
mconn_reset(struct mconn *c)
{
	if (c->rcpts != NULL) {
		for (guint i = 0; i < c->rcpts->len; i++) {
			struct mrcpt *r = g_ptr_array_index(c->rcpts, i);

			g_free(r->given);
			g_free(r->untagged);
			g_free(r);
		}
		g_ptr_array_free(c->rcpts, TRUE);
	}
	c->rcpts = NULL;
	if (c->strips != NULL) {
		for (guint i = 0; i < c->strips->len; i++)
			g_free(g_array_index(c->strips, struct mstrip,
			    i).name);
		g_array_free(c->strips, TRUE);
	}
	c->strips = NULL;
	if (c->spool_open)
		spool_close(&c->spool);
	c->spool_open = 0;
	g_free(c->sender);
	g_free(c->client);
	c->sender = NULL;
	c->client = NULL;
	memset(&c->env, 0, sizeof(c->env));
	memset(c->counts, 0, sizeof(c->counts));
	c->nprotected = c->noutside = c->nstrip = 0;
	c->autoreply = c->spooling = c->eoh_done = c->spool_over = 0;
}

/* mconn_get - the connection's state, made on first use */
static struct mconn *
mconn_get(SMFICTX *ctx)
{
	struct mconn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = g_new0(struct mconn, 1);
		(void)smfi_setpriv(ctx, c);
	}
	return c;
}

/* milter_reply - hand REPLY to the MTA; the sfsistat that goes with it */
static sfsistat
milter_reply(SMFICTX *ctx, const struct mpol_reply *r)
{
	if (r->action == MPOL_CONTINUE)
		return SMFIS_CONTINUE;
	if (smfi_setreply(ctx, (char *)r->code, (char *)r->dsn, r->text)
	    != MI_SUCCESS)
		log_warn("milter: cannot set the reply %s %s", r->code,
		    r->dsn);
	return r->action == MPOL_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/* m_negotiate - ask for what we use, and for as few round trips as can be */
static sfsistat
m_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	    unsigned long f2, unsigned long f3, unsigned long *pf0,
	    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mconn *c = mconn_get(ctx);
	unsigned long want = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN
	    | SMFIP_NODATA | SMFIP_NOEOH | SMFIP_NR_MAIL | SMFIP_NR_HDR
	    | SMFIP_HDR_LEADSPC;

	(void)f2;
	(void)f3;
	want |= mpol_spam_enabled(milter_policy) ? SMFIP_NR_BODY
	    : SMFIP_NOBODY;
	c->actions = f0 & (SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT
	    | SMFIF_CHGFROM | SMFIF_SETSYMLIST);
	c->proto = f1 & want;
	*pf0 = c->actions;
	*pf1 = c->proto;
	*pf2 = 0;
	*pf3 = 0;
	if ((c->actions & SMFIF_SETSYMLIST) != 0
	    && smfi_setsymlist(ctx, SMFIM_ENVFROM,
	    "{auth_authen} {daemon_name} {client_addr}") != MI_SUCCESS)
		log_warn("milter: the MTA refused our macro list");
	return SMFIS_CONTINUE;
}

/* m_envfrom - a new transaction: the sender and the path */
static sfsistat
m_envfrom(SMFICTX *ctx, char **argv)
{
	struct mconn *c = mconn_get(ctx);
	const char *client;

	mconn_reset(c);
	c->sender = envelope_sender(argv != NULL && argv[0] != NULL ? argv[0]
	    : "");
	if (strlen(c->sender) > 320)
		c->sender[320] = '\0';
	client = smfi_getsymval(ctx, "{client_addr}");
	c->client = client != NULL ? g_strndup(client, 64) : NULL;
	c->env.sender = c->sender;
	c->env.client = c->client;
	c->env.submission = mpol_submission(milter_policy,
	    smfi_getsymval(ctx, "{auth_authen}"),
	    smfi_getsymval(ctx, "{daemon_name}"));
	c->rcpts = g_ptr_array_new();
	c->strips = g_array_new(FALSE, FALSE, sizeof(struct mstrip));
	c->spooling = mpol_spam_enabled(milter_policy);
	/* nothing is refused at MAIL: no reply, one round trip less */
	return (c->proto & SMFIP_NR_MAIL) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* m_envrcpt - one recipient: the policy's answer */
static sfsistat
m_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mconn *c = mconn_get(ctx);
	struct mpol_reply reply;
	struct mpol_rcpt_info info;
	struct mrcpt *r;
	sfsistat st;

	if (c->rcpts == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;		/* no MAIL seen: the MTA's */
	c->env.now = time(NULL);
	mpol_rcpt(milter_policy, &c->env, argv[0], &reply, &info);
	st = milter_reply(ctx, &reply);
	if (st == SMFIS_CONTINUE) {
		r = g_new0(struct mrcpt, 1);
		r->given = g_strdup(argv[0]);
		r->untagged = info.untagged;
		info.untagged = NULL;
		g_ptr_array_add(c->rcpts, r);
		c->nprotected += info.batv_untagged ? 1 : 0;
		c->noutside += info.outside ? 1 : 0;
	}
	mpol_rcpt_info_clear(&info);
	mpol_reply_clear(&reply);
	return st;
}

/* milter_spool_text - append LEN bytes, LF made CRLF; stop past the cap */
static void
milter_spool_text(struct mconn *c, const char *s, size_t len)
{
	char   *err = NULL;
	GString *buf;

	if (!c->spooling || c->spool_over)
		return;
	if (!c->spool_open) {
		if (spool_open(NULL, &c->spool, &err) < 0) {
			log_warn("milter: no spam check: %s", err);
			g_free(err);
			c->spool_over = 1;
			return;
		}
		c->spool_open = 1;
		if (spool_write(&c->spool, MILTER_RECEIVED,
		    strlen(MILTER_RECEIVED), &err) < 0)
			goto fail;
	}
	buf = g_string_sized_new(len + 16);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			g_string_append_c(buf, '\r');
		g_string_append_c(buf, s[i]);
	}
	if (c->spool.size + (off_t)buf->len > (off_t)1 << 30
	    || spool_write(&c->spool, buf->str, buf->len, &err) < 0) {
		g_string_free(buf, TRUE);
		goto fail;
	}
	g_string_free(buf, TRUE);
	return;
fail:
	if (err != NULL)
		log_warn("milter: no spam check: %s", err);
	g_free(err);
	c->spool_over = 1;
}

/* m_header - one field: strip it?, an auto-reply?, spool it */
static sfsistat
m_header(SMFICTX *ctx, char *name, char *value)
{
	struct mconn *c = mconn_get(ctx);
	const struct strip_settings *set = mpol_strip(milter_policy);
	sfsistat ok = (c->proto & SMFIP_NR_HDR) ? SMFIS_NOREPLY
	    : SMFIS_CONTINUE;
	enum strip_what what = STRIP_KEEP;
	int	slot = -1;

	if (c->rcpts == NULL || name == NULL || value == NULL)
		return ok;
	if (mpol_autoreply_header(name, value))
		c->autoreply = 1;
	if (set != NULL) {
		/* chgheader counts occurrences of a name in any case */
		if (strip_name_is(name, "Authentication-Results"))
			slot = 0;
		for (int i = 0; slot < 0 && set->headers != NULL
		     && set->headers[i] != NULL && i + 1 < MILTER_NAMES_MAX;
		     i++)
			if (strip_name_is(name, set->headers[i]))
				slot = i + 1;
		if (slot >= 0) {
			c->counts[slot]++;
			what = strip_decide(set, name, value);
		}
	}
	if (what != STRIP_KEEP) {
		c->nstrip++;
		if (c->strips->len < MILTER_STRIP_MAX) {
			struct mstrip s;

			s.name = g_strdup(name);
			g_strchomp(s.name);
			s.index = (int)c->counts[slot];
			g_array_append_val(c->strips, s);
		}
		return ok;			/* not passed on: not spooled */
	}
	if (c->spooling) {
		char   *line = g_strdup_printf("%s:%s\n", name, value);

		milter_spool_text(c, line, strlen(line));
		g_free(line);
	}
	return ok;
}

/* milter_eoh - the blank line after the header block, once */
static void
milter_eoh(struct mconn *c)
{
	if (c->spooling && !c->eoh_done)
		milter_spool_text(c, "\r\n", 2);
	c->eoh_done = 1;
}

/* m_body - a piece of the body, for the spam check */
static sfsistat
m_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct mconn *c = mconn_get(ctx);

	if (c->rcpts != NULL && c->spooling) {
		milter_eoh(c);
		milter_spool_text(c, (const char *)chunk, len);
	}
	return (c->proto & SMFIP_NR_BODY) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* milter_apply - the changes at the end of the message; 0 or -1 */
static int
milter_apply(SMFICTX *ctx, struct mconn *c)
{
	char   *tagged;
	guint	i, untagged = 0;

	if (c->strips->len > 0 && !(c->actions & SMFIF_CHGHDRS)) {
		log_warn("milter: the MTA does not let us remove header "
		    "fields; %u forged trust fields cannot go",
		    c->strips->len);
		return -1;
	}
	/* last to first: an index counts the occurrences before it */
	for (i = c->strips->len; i > 0; i--) {
		struct mstrip *s = &g_array_index(c->strips, struct mstrip,
		    i - 1);

		if (smfi_chgheader(ctx, s->name, s->index, NULL)
		    != MI_SUCCESS) {
			log_warn("milter: cannot remove %s #%d", s->name,
			    s->index);
			return -1;
		}
	}
	for (i = 0; i < c->rcpts->len; i++) {
		struct mrcpt *r = g_ptr_array_index(c->rcpts, i);
		char   *bracketed;

		if (r->untagged == NULL)
			continue;
		if (!(c->actions & SMFIF_ADDRCPT)
		    || !(c->actions & SMFIF_DELRCPT)) {
			log_warn("milter: the MTA does not let us change "
			    "recipients; %s keeps its BATV tag", r->given);
			continue;
		}
		bracketed = g_strdup_printf("<%s>", r->untagged);
		if (smfi_addrcpt(ctx, bracketed) != MI_SUCCESS
		    || smfi_delrcpt(ctx, r->given) != MI_SUCCESS) {
			log_warn("milter: cannot replace %s by %s", r->given,
			    bracketed);
			g_free(bracketed);
			return -1;
		}
		g_free(bracketed);
		untagged++;
	}
	tagged = mpol_sign(milter_policy, &c->env, c->noutside > 0);
	if (tagged != NULL) {
		char   *bracketed = g_strdup_printf("<%s>", tagged);

		if (!(c->actions & SMFIF_CHGFROM)
		    || smfi_chgfrom(ctx, bracketed, NULL) != MI_SUCCESS)
			log_warn("milter: from=<%s>: cannot sign the envelope "
			    "sender; sent unsigned", c->sender);
		g_free(bracketed);
	}
	if (c->strips->len > 0 || untagged > 0 || tagged != NULL)
		log_info("milter: from=<%s> client=%s: removed=%u "
		    "untagged=%u signed=%s", c->sender,
		    c->client != NULL ? c->client : "-", c->strips->len,
		    untagged, tagged != NULL ? "yes" : "no");
	g_free(tagged);
	return 0;
}

/* m_eom - the end of the message: refuse it, or change it and go on */
static sfsistat
m_eom(SMFICTX *ctx)
{
	struct mconn *c = mconn_get(ctx);
	struct mpol_reply reply;
	sfsistat st = SMFIS_CONTINUE;
	char   *err = NULL;

	if (c->rcpts == NULL)
		return SMFIS_CONTINUE;
	memset(&reply, 0, sizeof(reply));
	c->env.now = time(NULL);
	if (c->nstrip > MILTER_STRIP_MAX) {
		mpol_reply_set(&reply, MPOL_REJECT, "550", "5.7.1",
		    "trust-fields", "more than %d header fields claim our "
		    "authentication results or spam verdict",
		    MILTER_STRIP_MAX);
		log_info("milter: reject from=<%s>: %s %s %s (%s)",
		    c->sender, reply.code, reply.dsn, reply.reason,
		    reply.text);
		goto out;
	}
	mpol_autoreply(milter_policy, &c->env, c->autoreply, c->rcpts->len,
	    c->nprotected, &reply);
	if (reply.action != MPOL_CONTINUE)
		goto out;
	if (c->spooling && !c->spool_over) {
		milter_eoh(c);
		if (c->spool_open && !c->spool_over
		    && spool_finish(&c->spool, &err) == 0) {
			const char *first = c->rcpts->len > 0 ?
			    ((struct mrcpt *)g_ptr_array_index(c->rcpts,
			    0))->given : NULL;

			mpol_spam(milter_policy, &c->env, c->spool.fd,
			    c->spool.size, first, &reply);
			if (reply.action != MPOL_CONTINUE)
				goto out;
		} else if (err != NULL) {
			log_warn("milter: no spam check: %s", err);
			g_free(err);
		}
	}
	if (milter_apply(ctx, c) < 0)
		mpol_reply_set(&reply, MPOL_TEMPFAIL, "451", "4.7.0",
		    "milter-edit", "the message could not be cleaned of "
		    "forged header fields; try again later");
out:
	st = milter_reply(ctx, &reply);
	mpol_reply_clear(&reply);
	mconn_reset(c);
	return st;
}

/* m_abort - the transaction ended without a message */
static sfsistat
m_abort(SMFICTX *ctx)
{
	struct mconn *c = smfi_getpriv(ctx);

	if (c != NULL)
		mconn_reset(c);
	return SMFIS_CONTINUE;
}

/* m_close - the connection ended */
static sfsistat
m_close(SMFICTX *ctx)
{
	struct mconn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		mconn_reset(c);
		g_free(c);
		(void)smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* milter_describe - the filter for smfi_register(): our callbacks */
void
milter_describe(struct smfiDesc *desc)
{
	memset(desc, 0, sizeof(*desc));
	desc->xxfi_name = (char *)MILTER_NAME;
	desc->xxfi_version = SMFI_VERSION;
	desc->xxfi_flags = SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT
	    | SMFIF_CHGFROM | SMFIF_SETSYMLIST;
	desc->xxfi_envfrom = m_envfrom;
	desc->xxfi_envrcpt = m_envrcpt;
	desc->xxfi_header = m_header;
	desc->xxfi_body = m_body;
	desc->xxfi_eom = m_eom;
	desc->xxfi_abort = m_abort;
	desc->xxfi_close = m_close;
	desc->xxfi_negotiate = m_negotiate;
}

/* usage - the synopsis on stderr; exit 2 */
static void __attribute__((noreturn))
usage(const char *why)
{
	fprintf(stderr, "deputy-milter: %s\nusage: deputy-milter "
	    "[-c deputy.conf] [-t]\n", why);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct deputy_conf *conf = NULL;
	const char *config = NULL, *path;
	char   *err = NULL, *socket_path;
	int	ch, test = 0, rc;

	fail_oom_install(MILTER_NAME);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:tfhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 't': test = 1; break;
		case 'f': break;	/* always in the foreground */
		case 'h':
			printf("usage: deputy-milter [-c deputy.conf] [-t]\n");
			return 0;
		case 'V':
			printf("deputy-milter %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage("unexpected argument");
	if (!test && (getuid() == 0 || geteuid() == 0)) {
		fprintf(stderr, "deputy-milter: refusing to run as root; run "
		    "as the deputy user (systemd: User=deputy)\n");
		return 1;
	}
	if (conf_load(config, &conf, &err) != 0) {
		fprintf(stderr, "deputy-milter: %s\n", err);
		return test ? 2 : 1;
	}
	if (mpol_open(conf, &milter_policy, &err) != 0) {
		fprintf(stderr, "deputy-milter: %s\n", err);
		conf_free(&conf);
		return test ? 2 : 1;
	}
	mpol_close(&milter_policy);
	if (test) {
		conf_free(&conf);
		return 0;
	}
	log_open(conf->log_ident, conf->log_facility, conf->log_file);
	path = milter_socket_path(conf->milter_socket);
	socket_path = path != NULL ? g_strdup(path) : NULL;
	conf_free(&conf);
	rc = supervisor_main(config);
	if (socket_path != NULL)
		(void)unlink(socket_path);
	g_free(socket_path);
	log_info("deputy-milter: stopped");
	log_close();
	return rc;
}
