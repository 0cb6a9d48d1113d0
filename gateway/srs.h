#ifndef DEPUTY_SRS_H
#define DEPUTY_SRS_H

/*
 * NAME
 *	srs - Sender Rewriting Scheme (SRS0) for forwards to outside delegates
 * SUMMARY
 *	A forward to a delegate outside our domains keeps SPF working by
 *	leaving with an envelope sender in our domain:
 *
 *		SRS0=HHHH=TT=orig-domain=orig-local@srs-domain
 *
 *	TT is the day (days since the epoch, mod 1024) in two base32
 *	characters; HHHH is the first four characters of the base64
 *	HMAC-SHA256, under a secret key, of "TT=orig-domain=orig-local"
 *	(TT upper case, domain and local part lower case: MTAs may change
 *	the case of a local part, Postfix's pipe flag u does). A bounce
 *	that comes back to such an address is reversed to the original
 *	sender only if the hash verifies and the day is at most
 *	SRS_MAX_AGE_DAYS old, so the address cannot be used to relay.
 * DIAGNOSTICS
 *	Functions return 0 or -1 with *error_r (the caller frees it with
 *	g_free()). srs_reverse() fails for an address that is not SRS0, is
 *	malformed, has a bad hash or is too old; the caller must then treat
 *	it as an ordinary (unknown) recipient.
 * SECURITY
 *	The key file must be a regular file owned by the running user,
 *	mode 0600 or stricter. Every line is a key: the first signs, all
 *	verify (so a key can be rotated without breaking bounces in
 *	flight). Hashes compare case-insensitively, which leaves about 20
 *	of the 24 bits; with the day in the hash that is enough to stop
 *	guessing, and it is what every SRS implementation does.
 *	Addresses are bounded (SRS_ADDRESS_MAX) and must be plain ASCII
 *	dot-atom local parts and domain names: no CR, LF, NUL, space,
 *	quotes or brackets ever reach an envelope.
 */

#include <stddef.h>
#include <time.h>

#define SRS_ADDRESS_MAX		254	/* RFC 5321 path, without <> */
#define SRS_MAX_AGE_DAYS	21
#define SRS_KEY_MIN		16	/* bytes of one key */
#define SRS_KEY_MAX		1024
#define SRS_KEYS_MAX		8	/* lines in the key file */

struct srs_key;

/* srs_key_load - keys from PATH (0600, owned by us); -1 with *error_r */
int srs_key_load(const char *path, struct srs_key **key_r, char **error_r);

/* srs_key_new - one key from memory (tests); NULL if LEN is out of range */
struct srs_key *srs_key_new(const void *secret, size_t len);

/* srs_key_free - wipe and release; sets *key to NULL */
void srs_key_free(struct srs_key **key);

/*
 * srs_forward - the SRS0 form of SENDER in SRS_DOMAIN at NOW
 *
 * *out_r is a new string (g_free). The null sender ("") stays null. A
 * sender that is already an SRS0 address of SRS_DOMAIN is encoded again
 * (a second hop through us); a bounce then unwraps one layer at a time.
 */
int srs_forward(const struct srs_key *key, const char *srs_domain,
		const char *sender, time_t now, char **out_r, char **error_r);

/* srs_reverse - the original sender of an SRS0 ADDRESS; -1 if not valid */
int srs_reverse(const struct srs_key *key, const char *address, time_t now,
		char **out_r, char **error_r);

/* srs_is_srs0 - whether ADDRESS's local part starts with "SRS0=" */
int srs_is_srs0(const char *address);

#endif
