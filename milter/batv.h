#ifndef DEPUTY_BATV_H
#define DEPUTY_BATV_H

/*
 * NAME
 *	batv - Bounce Address Tag Validation, prvs (draft-levine-smtp-batv)
 * SUMMARY
 *	Mail our users send through the submission path leaves with a
 *	signed envelope sender:
 *
 *		prvs=KDDDSSSSSS=user@domain
 *
 *	K is the key's number (0-9), DDD the day the tag expires (days
 *	since the epoch, mod 1000: BATV_VALID_DAYS after signing), and
 *	SSSSSS the first three bytes, in hex, of HMAC-SHA256 under key K
 *	of "KDDD" followed by the address in lower case (MTAs change the
 *	case of local parts). A real bounce comes back to that address; a
 *	bounce to an untagged address, or to a tag that does not verify,
 *	answers mail we never sent (backscatter) and deputy-milter refuses
 *	it at RCPT.
 *
 *	The key file holds one key a line, "K SECRET" (a digit, white
 *	space, 16 to 1024 bytes of secret); '#' comments and blank lines
 *	are skipped. The first key signs, every key verifies: to rotate,
 *	put a new number on top, and drop the old line after
 *	BATV_VALID_DAYS.
 * DIAGNOSTICS
 *	batv_keys_load() fails (-1, *error_r) on a file that is missing,
 *	not a regular file, not ours, readable by others, has no key, a
 *	line that is no key, or a number twice. batv_check() never fails:
 *	it says what the address is.
 * SECURITY
 *	Addresses come from the SMTP client: they are bounded
 *	(BATV_ADDRESS_MAX) and only read. Tags compare in constant time.
 *	Key material is wiped when freed.
 */

#include <stddef.h>
#include <time.h>

#define BATV_VALID_DAYS		7
#define BATV_SKEW_DAYS		1	/* a verifier's clock a day behind */
#define BATV_ADDRESS_MAX	320
#define BATV_LOCAL_MAX		48	/* longer local parts are not signed:
					 * the tagged one must fit in 64 */
#define BATV_KEY_MIN		16
#define BATV_KEY_MAX		1024

struct batv_keys;

enum batv_status {
	BATV_UNTAGGED = 0,	/* no "prvs=" local part */
	BATV_VALID,		/* tagged by us, in time */
	BATV_EXPIRED,		/* tagged by us, too old (or from the future) */
	BATV_BAD,		/* a prvs form that is not ours or is broken */
};

/* batv_keys_load - keys from PATH (owned by us, 0600); -1 with *error_r */
int batv_keys_load(const char *path, struct batv_keys **keys_r,
		   char **error_r);

/* batv_keys_parse - keys from TEXT[0..LEN) (tests, fuzzing); as above */
int batv_keys_parse(const char *text, size_t len, struct batv_keys **keys_r,
		    char **error_r);

/* batv_keys_free - wipe and release; sets *keys to NULL */
void batv_keys_free(struct batv_keys **keys);

/*
 * batv_sign - the tagged form of ADDRESS (local@domain) at NOW, signed
 * with the first key; -1 with *error_r for an address that cannot be
 * tagged (no '@', a local part over BATV_LOCAL_MAX, already tagged)
 */
int batv_sign(const struct batv_keys *keys, const char *address, time_t now,
	      char **tagged_r, char **error_r);

/*
 * batv_check - what ADDRESS is; for BATV_VALID and BATV_EXPIRED
 * *orig_r (if not NULL) gets the address without its tag (g_free)
 */
enum batv_status batv_check(const struct batv_keys *keys, const char *address,
			    time_t now, char **orig_r);

/*
 * batv_untag - ADDRESS without a syntactically valid prvs tag, unchecked
 * (another site's tagged sender compared with a refused one); NULL when
 * ADDRESS carries none. g_free()
 */
char *batv_untag(const char *address);

/* batv_status_name - "untagged", "valid", "expired", "bad" */
const char *batv_status_name(enum batv_status s);

#endif
