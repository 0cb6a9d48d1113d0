/*
 * NAME
 *	deputy-plugin - sieve_deputy, a Pigeonhole plugin that hands the
 *	Sieve "vacation" action to deputy-lda
 * SYNOPSIS
 *	plugin {
 *	  sieve_plugins = sieve_deputy
 *	  sieve_deputy_lda = /usr/libexec/deputy/deputy-lda	# optional
 *	  sieve_deputy_config = /etc/deputy/deputy.conf	# optional
 *	  sieve_deputy_timeout = 60s				# optional
 *	}
 * DESCRIPTION
 *	The plugin replaces the "vacation" extension by name, in the same
 *	registry slot, so a user's existing script (RFC 5230 vacation,
 *	with RFC 6131 :seconds) compiles unchanged. The compiled command
 *	adds one action. When the result is committed, that action runs
 *	deputy-lda once in its --sieve-vacation mode with the message on
 *	stdin: deputy's notice gate decides whether the sender gets a
 *	notice, and deputy forwards the message to the user's delegates.
 *	Pigeonhole itself never sends a vacation reply. The implicit keep
 *	is untouched: Dovecot stores the message as usual.
 *
 *	"vacation-seconds" is replaced too (left disabled, as Pigeonhole
 *	ships it): its built-in loader requires the built-in vacation
 *	definition and would assert on ours. Ours only loads "vacation",
 *	whose command accepts :seconds on its own.
 * DIAGNOSTICS
 *	One info line per run of deputy-lda. A failure of deputy-lda (any
 *	exit but 0, a signal, the timeout, a failed exec) is logged as an
 *	error with its last stderr line, and the commit still succeeds: the
 *	message is kept, and no delivery ever fails because of deputy.
 * SECURITY
 *	execve only, with a fixed PATH as the whole environment, stdin and
 *	stderr pipes, stdout /dev/null and every other descriptor closed
 *	(lib/child.c). Script values travel as single argv words behind
 *	the option that takes them, the recipient behind "--"; argument
 *	sizes are bounded.
 * BUGS
 *	The plugin compiles its own bytecode; a binary compiled by the
 *	built-in vacation (or by an older plugin) is recompiled because
 *	the extension versions differ (DEPUTY_EXT_VERSION).
 *
 *	Never include the project's config.h here: Dovecot's lib.h finds
 *	Dovecot's own config.h (quote include, lib.h's directory first).
 */

#include "deputy-plugin-private.h"

const char *sieve_deputy_plugin_version = PIGEONHOLE_ABI_VERSION;

static bool deputy_ext_load(const struct sieve_extension *ext, void **context);
static void deputy_ext_unload(const struct sieve_extension *ext);
static bool deputy_validator_load(const struct sieve_extension *ext,
				  struct sieve_validator *valdtr);
static bool deputy_seconds_validator_load(const struct sieve_extension *ext,
					  struct sieve_validator *valdtr);
static bool deputy_cmd_registered(struct sieve_validator *valdtr,
				  const struct sieve_extension *ext,
				  struct sieve_command_registration *cmd_reg);
static bool deputy_cmd_validate(struct sieve_validator *valdtr,
				struct sieve_command *cmd);
static bool deputy_cmd_generate(const struct sieve_codegen_env *cgenv,
				struct sieve_command *cmd);
static bool deputy_tag_param_validate(struct sieve_validator *valdtr,
				      struct sieve_ast_argument **arg,
				      struct sieve_command *cmd);
static bool deputy_tag_flag_validate(struct sieve_validator *valdtr,
				     struct sieve_ast_argument **arg,
				     struct sieve_command *cmd);
static bool deputy_op_dump(const struct sieve_dumptime_env *denv,
			   sieve_size_t *address);
static int deputy_op_execute(const struct sieve_runtime_env *renv,
			     sieve_size_t *address);
static int deputy_act_check_duplicate(const struct sieve_runtime_env *renv,
				      const struct sieve_action *act,
				      const struct sieve_action *act_other);
static int deputy_act_check_conflict(const struct sieve_runtime_env *renv,
				     const struct sieve_action *act,
				     const struct sieve_action *act_other);
static void deputy_act_print(const struct sieve_action *action,
			     const struct sieve_result_print_env *rpenv,
			     bool *keep);

/*
 * Definitions: extension, command, tags, operation, action
 */

static const struct sieve_extension_def deputy_vacation_extension;

static const struct sieve_operation_def deputy_vacation_operation = {
	.mnemonic = "DEPUTY_VACATION",
	.ext_def = &deputy_vacation_extension,
	.code = 0,
	.dump = deputy_op_dump,
	.execute = deputy_op_execute,
};

static const struct sieve_extension_def deputy_vacation_extension = {
	.name = "vacation",
	.version = DEPUTY_EXT_VERSION,
	.load = deputy_ext_load,
	.unload = deputy_ext_unload,
	.validator_load = deputy_validator_load,
	SIEVE_EXT_DEFINE_OPERATION(deputy_vacation_operation),
};

static const struct sieve_extension_def deputy_seconds_extension = {
	.name = "vacation-seconds",
	.version = DEPUTY_SECONDS_VERSION,
	.validator_load = deputy_seconds_validator_load,
};

static const struct sieve_command_def deputy_vacation_command = {
	.identifier = "vacation",
	.type = SCT_COMMAND,
	.positional_args = 1,		/* reason */
	.subtests = 0,
	.block_allowed = FALSE,
	.block_required = FALSE,
	.registered = deputy_cmd_registered,
	.validate = deputy_cmd_validate,
	.generate = deputy_cmd_generate,
};

static const struct sieve_argument_def deputy_tag_days = {
	.identifier = "days", .validate = deputy_tag_param_validate
};
static const struct sieve_argument_def deputy_tag_seconds = {
	.identifier = "seconds", .validate = deputy_tag_param_validate
};
static const struct sieve_argument_def deputy_tag_subject = {
	.identifier = "subject", .validate = deputy_tag_param_validate
};
static const struct sieve_argument_def deputy_tag_from = {
	.identifier = "from", .validate = deputy_tag_param_validate
};
static const struct sieve_argument_def deputy_tag_addresses = {
	.identifier = "addresses", .validate = deputy_tag_param_validate
};
static const struct sieve_argument_def deputy_tag_handle = {
	.identifier = "handle", .validate = deputy_tag_param_validate
};
static const struct sieve_argument_def deputy_tag_mime = {
	.identifier = "mime", .validate = deputy_tag_flag_validate
};

static const struct sieve_action_def deputy_vacation_action = {
	.name = "vacation",
	/* Marks it as a response, so reject/ereject conflict with it. */
	.flags = SIEVE_ACTFLAG_SENDS_RESPONSE,
	.check_duplicate = deputy_act_check_duplicate,
	.check_conflict = deputy_act_check_conflict,
	.print = deputy_act_print,
	.commit = deputy_act_commit,
};

/*
 * Extension load: settings
 */

/* deputy_ext_load - read this instance's settings into the context */
static bool
deputy_ext_load(const struct sieve_extension *ext, void **context)
{
	struct sieve_instance *svinst = ext->svinst;
	struct deputy_config *config;
	const char *value;
	sieve_number_t timeout;

	if (*context != NULL)
		deputy_ext_unload(ext);
	config = i_new(struct deputy_config, 1);
	value = sieve_setting_get(svinst, "sieve_deputy_lda");
	config->lda_path = i_strdup(value != NULL && *value != '\0' ?
				    value : DEPUTY_LDA_PATH);
	value = sieve_setting_get(svinst, "sieve_deputy_config");
	config->conf_path = value != NULL && *value != '\0' ?
		i_strdup(value) : NULL;
	config->timeout = DEPUTY_TIMEOUT_DEFAULT;
	if (sieve_setting_get_duration_value(svinst, "sieve_deputy_timeout",
					     &timeout) && timeout > 0)
		config->timeout = timeout > 3600 ? 3600 : (unsigned int)timeout;
	if (config->lda_path[0] != '/') {
		e_error(svinst->event, "sieve_deputy: sieve_deputy_lda=%s "
			"is not an absolute path; vacation actions will fail "
			"(and be logged) until it is", config->lda_path);
	}
	*context = config;
	return TRUE;
}

/* deputy_ext_unload - free the settings */
static void
deputy_ext_unload(const struct sieve_extension *ext)
{
	struct deputy_config *config = ext->context;

	if (config == NULL)
		return;
	i_free(config->lda_path);
	i_free(config->conf_path);
	i_free(config);
}

/*
 * Validation
 */

/* deputy_validator_load - make the "vacation" command known */
static bool
deputy_validator_load(const struct sieve_extension *ext,
		      struct sieve_validator *valdtr)
{
	sieve_validator_register_command(valdtr, ext,
					 &deputy_vacation_command);
	return TRUE;
}

/* deputy_seconds_validator_load - "vacation-seconds" only implies
 * "vacation": our command takes :seconds already */
static bool
deputy_seconds_validator_load(const struct sieve_extension *ext ATTR_UNUSED,
			      struct sieve_validator *valdtr)
{
	return sieve_validator_extension_load_implicit(
		valdtr, deputy_vacation_extension.name) != NULL;
}

/* deputy_cmd_registered - the tags and their operand codes; :days and
 * :seconds share one code, so the validator refuses both together */
static bool
deputy_cmd_registered(struct sieve_validator *valdtr,
		      const struct sieve_extension *ext,
		      struct sieve_command_registration *cmd_reg)
{
	static const struct {
		const struct sieve_argument_def *tag;
		enum deputy_opt code;
	} tags[] = {
		{ &deputy_tag_days, DEPUTY_OPT_PERIOD },
		{ &deputy_tag_seconds, DEPUTY_OPT_PERIOD },
		{ &deputy_tag_subject, DEPUTY_OPT_SUBJECT },
		{ &deputy_tag_from, DEPUTY_OPT_FROM },
		{ &deputy_tag_addresses, DEPUTY_OPT_ADDRESSES },
		{ &deputy_tag_mime, DEPUTY_OPT_MIME },
		{ &deputy_tag_handle, DEPUTY_OPT_HANDLE },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(tags); i++) {
		sieve_validator_register_tag(valdtr, cmd_reg, ext,
					     tags[i].tag, (int)tags[i].code);
	}
	return TRUE;
}

/* deputy_period_validate - :days N becomes seconds; both are capped at
 * what deputy-lda accepts (a larger --seconds is a usage error there,
 * which would leave the vacation unhandled) */
static void
deputy_period_validate(struct sieve_validator *valdtr,
		       struct sieve_ast_argument *tag,
		       struct sieve_ast_argument *param)
{
	sieve_number_t n = sieve_ast_argument_number(param);
	sieve_number_t unit = sieve_argument_is(tag, deputy_tag_days) ?
		86400 : 1;
	sieve_number_t secs;

	if (n > DEPUTY_PERIOD_MAX / unit) {
		secs = DEPUTY_PERIOD_MAX;
		sieve_argument_validate_warning(valdtr, param,
			"the :%s value is too large; %llu seconds are used",
			sieve_argument_identifier(tag),
			(unsigned long long)secs);
	} else {
		secs = n * unit;
	}
	sieve_ast_argument_number_set(param, secs);
}

/* deputy_tag_param_validate - a tag with a parameter: check its type,
 * keep the parameter as the optional operand */
static bool
deputy_tag_param_validate(struct sieve_validator *valdtr,
			  struct sieve_ast_argument **arg,
			  struct sieve_command *cmd)
{
	struct sieve_ast_argument *tag = *arg, *param;
	enum sieve_ast_argument_type type = SAAT_STRING;

	if (sieve_argument_is(tag, deputy_tag_days) ||
	    sieve_argument_is(tag, deputy_tag_seconds))
		type = SAAT_NUMBER;
	else if (sieve_argument_is(tag, deputy_tag_addresses))
		type = SAAT_STRING_LIST;

	/* The tag itself is not emitted: its parameter carries its code. */
	param = sieve_ast_arguments_detach(tag, 1);
	*arg = param;
	if (!sieve_validate_tag_parameter(valdtr, cmd, tag, param, NULL, 0,
					  type, FALSE))
		return FALSE;

	if (type == SAAT_NUMBER)
		deputy_period_validate(valdtr, tag, param);
	if (sieve_argument_is(tag, deputy_tag_from) &&
	    sieve_argument_is_string_literal(param)) {
		const char *error;

		if (!sieve_address_validate_str(sieve_ast_argument_str(param),
						&error)) {
			sieve_argument_validate_error(valdtr, param,
				"the :from address of vacation is not valid: "
				"%s", error);
			return FALSE;
		}
	}
	*arg = sieve_ast_argument_next(param);
	return TRUE;
}

/* deputy_tag_flag_validate - :mime has no parameter: the tag stays and
 * is emitted as a bare operand code */
static bool
deputy_tag_flag_validate(struct sieve_validator *valdtr ATTR_UNUSED,
			 struct sieve_ast_argument **arg,
			 struct sieve_command *cmd ATTR_UNUSED)
{
	*arg = sieve_ast_argument_next(*arg);
	return TRUE;
}

/* deputy_cmd_validate - the reason: one string, variables allowed */
static bool
deputy_cmd_validate(struct sieve_validator *valdtr, struct sieve_command *cmd)
{
	struct sieve_ast_argument *arg = cmd->first_positional;

	if (!sieve_validate_positional_argument(valdtr, cmd, arg, "reason",
						1, SAAT_STRING))
		return FALSE;
	return sieve_validator_argument_activate(valdtr, cmd, arg, FALSE);
}

/*
 * Code generation and dump
 */

/* deputy_cmd_generate - the operation, then optionals, then the reason */
static bool
deputy_cmd_generate(const struct sieve_codegen_env *cgenv,
		    struct sieve_command *cmd)
{
	(void)sieve_operation_emit(cgenv->sblock, cmd->ext,
				   &deputy_vacation_operation);
	return sieve_generate_arguments(cgenv, cmd, NULL);
}

/* deputy_op_dump - sieve-dump's view of one operation */
static bool
deputy_op_dump(const struct sieve_dumptime_env *denv, sieve_size_t *address)
{
	int code = 0, ret;
	bool ok = TRUE;

	sieve_code_dumpf(denv, "DEPUTY_VACATION");
	sieve_code_descend(denv);
	while (ok && (ret = sieve_opr_optional_dump(denv, address,
						    &code)) != 0) {
		if (ret < 0)
			return FALSE;
		switch (code) {
		case DEPUTY_OPT_PERIOD:
			ok = sieve_opr_number_dump(denv, address, "seconds");
			break;
		case DEPUTY_OPT_SUBJECT:
			ok = sieve_opr_string_dump(denv, address, "subject");
			break;
		case DEPUTY_OPT_FROM:
			ok = sieve_opr_string_dump(denv, address, "from");
			break;
		case DEPUTY_OPT_ADDRESSES:
			ok = sieve_opr_stringlist_dump(denv, address,
						       "addresses");
			break;
		case DEPUTY_OPT_MIME:
			sieve_code_dumpf(denv, "mime");
			break;
		case DEPUTY_OPT_HANDLE:
			ok = sieve_opr_string_dump(denv, address, "handle");
			break;
		default:
			return FALSE;
		}
	}
	return ok && sieve_opr_string_dump(denv, address, "reason");
}

/*
 * Execution: the operation adds the action
 */

/* deputy_read_addresses - :addresses into a NULL-terminated array */
static int
deputy_read_addresses(const struct sieve_runtime_env *renv, pool_t pool,
		      struct sieve_stringlist *list,
		      const char *const **addresses_r)
{
	ARRAY_TYPE(const_string) addrs;
	string_t *item = NULL;
	const char *value;
	int ret;

	p_array_init(&addrs, pool, 4);
	sieve_stringlist_reset(list);
	while ((ret = sieve_stringlist_next_item(list, &item)) > 0) {
		if (array_count(&addrs) >= DEPUTY_ADDRESSES_MAX) {
			sieve_runtime_warning(renv, NULL, "vacation: more "
				"than %u :addresses; the rest are ignored",
				DEPUTY_ADDRESSES_MAX);
			break;
		}
		if (str_len(item) == 0 || str_len(item) > DEPUTY_FIELD_MAX)
			continue;
		value = p_strdup(pool, str_c(item));
		array_push_back(&addrs, &value);
	}
	if (ret < 0)
		return SIEVE_EXEC_BIN_CORRUPT;
	array_append_zero(&addrs);
	*addresses_r = array_front(&addrs);
	return SIEVE_EXEC_OK;
}

/* deputy_read_optionals - the optional operands into VAC */
static int
deputy_read_optionals(const struct sieve_runtime_env *renv,
		      sieve_size_t *address, pool_t pool,
		      struct deputy_vacation *vac)
{
	struct sieve_stringlist *addresses;
	string_t *str;
	int code = 0, opt, ret;

	while ((opt = sieve_opr_optional_read(renv, address, &code)) != 0) {
		if (opt < 0)
			return SIEVE_EXEC_BIN_CORRUPT;
		str = NULL;
		switch (code) {
		case DEPUTY_OPT_PERIOD:
			ret = sieve_opr_number_read(renv, address, "seconds",
						    &vac->period);
			vac->have_period = TRUE;
			break;
		case DEPUTY_OPT_SUBJECT:
			ret = sieve_opr_string_read(renv, address, "subject",
						    &str);
			if (ret > 0)
				vac->subject = p_strdup(pool, str_c(str));
			break;
		case DEPUTY_OPT_FROM:
			ret = sieve_opr_string_read(renv, address, "from",
						    &str);
			if (ret > 0)
				vac->from = p_strdup(pool, str_c(str));
			break;
		case DEPUTY_OPT_ADDRESSES:
			ret = sieve_opr_stringlist_read(renv, address,
							"addresses",
							&addresses);
			if (ret > 0)
				ret = deputy_read_addresses(renv, pool,
					addresses, &vac->addresses);
			break;
		case DEPUTY_OPT_MIME:
			vac->mime = TRUE;
			ret = SIEVE_EXEC_OK;
			break;
		case DEPUTY_OPT_HANDLE:
			ret = sieve_opr_string_read(renv, address, "handle",
						    &str);
			if (ret > 0)
				vac->handle = p_strdup(pool, str_c(str));
			break;
		default:
			sieve_runtime_trace_error(renv,
				"unknown optional operand %d", code);
			return SIEVE_EXEC_BIN_CORRUPT;
		}
		if (ret <= 0)
			return ret;
	}
	return SIEVE_EXEC_OK;
}

/* deputy_op_execute - read the operands, add one vacation action */
static int
deputy_op_execute(const struct sieve_runtime_env *renv, sieve_size_t *address)
{
	pool_t pool = sieve_result_pool(renv->result);
	struct deputy_vacation *vac = p_new(pool, struct deputy_vacation, 1);
	string_t *reason;
	int ret;

	if ((ret = deputy_read_optionals(renv, address, pool, vac)) <= 0)
		return ret;
	if ((ret = sieve_opr_string_read(renv, address, "reason",
					 &reason)) <= 0)
		return ret;
	vac->reason = p_strdup(pool, str_c(reason));

	/* A :from from variables is only known now; a bad one is dropped
	 * (deputy then uses the user's own address) rather than failing
	 * the script. */
	if (vac->from != NULL) {
		string_t *from = t_str_new(128);
		const char *error;

		str_append(from, vac->from);
		if (!sieve_address_validate_str(from, &error)) {
			sieve_runtime_warning(renv, NULL, "vacation: the :from "
				"address is not valid (%s); it is ignored",
				error);
			vac->from = NULL;
		}
	}
	if (sieve_runtime_trace_active(renv, SIEVE_TRLVL_ACTIONS))
		sieve_runtime_trace(renv, 0, "vacation action (deputy)");

	if (sieve_result_add_action(renv, renv->oprtn->ext, "vacation",
				    &deputy_vacation_action, NULL, vac, 0,
				    FALSE) < 0)
		return SIEVE_EXEC_FAILURE;
	return SIEVE_EXEC_OK;
}

/*
 * The action
 */

/* deputy_act_check_duplicate - one vacation per message: a later one
 * is merged into the first (logged), never an error that would fail
 * the script */
static int
deputy_act_check_duplicate(const struct sieve_runtime_env *renv,
			   const struct sieve_action *act,
			   const struct sieve_action *act_other)
{
	if (!sieve_action_is_executed(act_other, renv->result)) {
		sieve_runtime_warning(renv, act->location,
			"vacation: only the first vacation action of a message "
			"counts (it is at %s); this one is ignored",
			act_other->location);
	}
	return 1;
}

/* deputy_act_check_conflict - no vacation together with another
 * response to the sender (reject, ereject), per RFC 5230 section 4.7 */
static int
deputy_act_check_conflict(const struct sieve_runtime_env *renv,
			  const struct sieve_action *act,
			  const struct sieve_action *act_other)
{
	if ((act_other->def->flags & SIEVE_ACTFLAG_SENDS_RESPONSE) == 0)
		return 0;
	if (sieve_action_is_executed(act_other, renv->result))
		return 1;
	sieve_runtime_error(renv, act->location,
		"vacation cannot be combined with %s (%s), which also "
		"responds to the sender", act_other->def->name,
		act_other->location);
	return -1;
}

/* deputy_act_print - what sieve-test shows */
static void
deputy_act_print(const struct sieve_action *action,
		 const struct sieve_result_print_env *rpenv,
		 bool *keep ATTR_UNUSED)
{
	const struct deputy_vacation *vac = action->context;

	sieve_result_action_printf(rpenv,
		"hand the vacation action to deputy-lda:");
	if (vac->have_period)
		sieve_result_printf(rpenv, "    => seconds : %llu\n",
				    (unsigned long long)vac->period);
	if (vac->subject != NULL)
		sieve_result_printf(rpenv, "    => subject : %s\n",
				    vac->subject);
	if (vac->from != NULL)
		sieve_result_printf(rpenv, "    => from    : %s\n", vac->from);
	if (vac->handle != NULL)
		sieve_result_printf(rpenv, "    => handle  : %s\n",
				    vac->handle);
	sieve_result_printf(rpenv, "    => mime    : %s\n",
			    vac->mime ? "yes" : "no");
	sieve_result_printf(rpenv, "    => reason  : %s\n", vac->reason);
}

/*
 * Plugin entry points
 */

/* sieve_deputy_plugin_init - nothing global to set up */
void
sieve_deputy_plugin_init(struct module *module ATTR_UNUSED)
{
}

/* sieve_deputy_plugin_deinit - nothing global to tear down */
void
sieve_deputy_plugin_deinit(void)
{
}

/* sieve_deputy_plugin_load - take over "vacation" (enabled, as the
 * built-in was) and "vacation-seconds" (left disabled unless
 * sieve_extensions enables it later) in this instance */
void
sieve_deputy_plugin_load(struct sieve_instance *svinst, void **context)
{
	struct deputy_plugin *plugin = i_new(struct deputy_plugin, 1);

	plugin->seconds = sieve_extension_replace(
		svinst, &deputy_seconds_extension, FALSE);
	plugin->vacation = sieve_extension_replace(
		svinst, &deputy_vacation_extension, TRUE);
	if (plugin->vacation == NULL) {
		e_error(svinst->event, "sieve_deputy: could not replace the "
			"vacation extension");
	} else {
		e_debug(svinst->event, "sieve_deputy: plugin loaded; "
			"vacation replaced (id=%d), deputy-lda=%s",
			plugin->vacation->id,
			((const struct deputy_config *)
			 plugin->vacation->context)->lda_path);
	}
	*context = plugin;
}

/* sieve_deputy_plugin_unload - give the registry slots back before the
 * module is unmapped: sieve_extensions_deinit() runs after the unload
 * and would otherwise follow our definitions into freed memory */
void
sieve_deputy_plugin_unload(struct sieve_instance *svinst ATTR_UNUSED,
			   void *context)
{
	struct deputy_plugin *plugin = context;

	if (plugin == NULL)
		return;
	if (plugin->vacation != NULL)
		sieve_extension_unregister(plugin->vacation);
	if (plugin->seconds != NULL)
		sieve_extension_unregister(plugin->seconds);
	i_free(plugin);
}
