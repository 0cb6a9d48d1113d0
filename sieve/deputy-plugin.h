#ifndef DEPUTY_PLUGIN_H
#define DEPUTY_PLUGIN_H

/*
 * NAME
 *	deputy-plugin - the symbols Pigeonhole looks up in sieve_deputy
 * SUMMARY
 *	Pigeonhole loads lib90_sieve_deputy_plugin.so when a configuration
 *	names "sieve_deputy" in sieve_plugins, checks the version string
 *	against its own ABI, calls _init once per process and _load once
 *	per Sieve instance (after the built-in extensions are registered,
 *	before sieve_extensions is applied); _unload and _deinit undo them,
 *	_unload before the module is unmapped. Only these five symbols are
 *	exported; everything else in the object is hidden.
 */

struct module;
struct sieve_instance;

#define DEPUTY_PLUGIN_EXPORT __attribute__((visibility("default")))

extern DEPUTY_PLUGIN_EXPORT const char *sieve_deputy_plugin_version;

DEPUTY_PLUGIN_EXPORT void sieve_deputy_plugin_init(struct module *module);
DEPUTY_PLUGIN_EXPORT void sieve_deputy_plugin_deinit(void);
DEPUTY_PLUGIN_EXPORT void
sieve_deputy_plugin_load(struct sieve_instance *svinst, void **context);
DEPUTY_PLUGIN_EXPORT void
sieve_deputy_plugin_unload(struct sieve_instance *svinst, void *context);

#endif
