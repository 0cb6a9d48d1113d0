/*
 * NAME
 *	standin-milter - a stand-in for OpenDKIM/OpenDMARC in milter.sh
 * SYNOPSIS
 *	standin-milter unix:/path/to/socket AUTHSERV-ID
 * DESCRIPTION
 *	The milter that runs after deputy-milter in tests/integration/
 *	milter.sh, the way an authenticating filter runs after it in
 *	production (smtpd_milters = deputy-milter first). For a message
 *	whose envelope sender's local part starts with "auth-", it puts on
 *	top of the header (index 0, where Postfix's own Received field is
 *	too, as real filters do)
 *
 *		Authentication-Results: AUTHSERV-ID; spf=pass
 *		    smtp.mailfrom=SENDER
 *		X-Spam-Score: 0.0
 *
 *	so that deputy-lda finds the sender authenticated and clean. It
 *	checks nothing: it only shows that what a later milter adds is
 *	kept while deputy-milter has removed the sender's forgeries.
 * DIAGNOSTICS
 *	Exit 1 when the socket cannot be opened.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

static char *standin_id;

/* standin_envfrom - remember whether this sender gets the fields */
static sfsistat
standin_envfrom(SMFICTX *ctx, char **argv)
{
	char	*s = argv[0], *copy;
	size_t	n;

	if (*s == '<')
		s++;
	n = strcspn(s, ">");
	copy = NULL;
	if (strncasecmp(s, "auth-", 5) == 0 && n < 300) {
		copy = malloc(n + 1);
		if (copy != NULL) {
			memcpy(copy, s, n);
			copy[n] = '\0';
		}
	}
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, copy);
	return SMFIS_CONTINUE;
}

/* standin_eom - the two fields on top */
static sfsistat
standin_eom(SMFICTX *ctx)
{
	char	*sender = smfi_getpriv(ctx), ar[512];

	if (sender != NULL) {
		snprintf(ar, sizeof(ar), "%s; spf=pass smtp.mailfrom=%s",
		    standin_id, sender);
		smfi_insheader(ctx, 0, "X-Spam-Score", (char *)"0.0");
		smfi_insheader(ctx, 0, "Authentication-Results", ar);
	}
	return SMFIS_CONTINUE;
}

/* standin_close - forget the sender */
static sfsistat
standin_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc d;

	if (argc != 3) {
		fprintf(stderr, "usage: standin-milter SOCKET AUTHSERV-ID\n");
		return 2;
	}
	standin_id = argv[2];
	memset(&d, 0, sizeof(d));
	d.xxfi_name = (char *)"standin";
	d.xxfi_version = SMFI_VERSION;
	d.xxfi_flags = SMFIF_ADDHDRS;
	d.xxfi_envfrom = standin_envfrom;
	d.xxfi_eom = standin_eom;
	d.xxfi_close = standin_close;
	if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(d)
	    != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "standin-milter: cannot listen on %s\n",
		    argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
