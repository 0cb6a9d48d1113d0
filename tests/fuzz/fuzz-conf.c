/*
 * fuzz-conf - libFuzzer target: deputy.conf bytes -> conf_load()
 *
 * The file is the administrator's, but a bad one must be refused with
 * an error, never crash: deputy-lda must still exit 75.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "conf.h"
#include "directory.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deputy_conf *conf = NULL;
	struct dir_settings set;
	char *error = NULL;
	const char *path = fuzz_file("conf", data, size);

	if (conf_load(path, &conf, &error) != 0) {
		if (error == NULL || conf != NULL)
			abort();
		g_free(error);
		return 0;
	}
	if (conf == NULL || conf->maildir == NULL || conf->spool_dir == NULL)
		abort();
	memset(&set, 0, sizeof(set));
	conf_dir_settings(conf, &set);
	conf_free(&conf);
	if (conf != NULL)
		abort();
	return 0;
}
