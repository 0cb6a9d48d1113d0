/*
 * NAME
 *	deputyctl - the helpdesk's tool for absences and delegation
 * SYNOPSIS
 *	deputyctl [-c deputy.conf] [--json] [--dry-run] [--bind-dn DN
 *		--password-file FILE | --sasl-external] COMMAND ARGS...
 * DESCRIPTION
 *	Commands: away, back, show, list, check, explain, import,
 *	refuse, unrefuse; see
 *	deputyctl(8). This file parses the command line, checks which
 *	options each command takes, opens the configuration and the
 *	directory (with the operator's identity when one is given) and
 *	runs the command.
 * DIAGNOSTICS
 *	Exit status 0: done; 1: check found problems; 2: a usage or
 *	configuration error, or the directory refused a change; 3: the
 *	directory cannot be reached or failed. Every error is one line on
 *	stderr that names the argument it is about.
 * SECURITY
 *	deputyctl may run as any user: it changes only what the
 *	directory lets the operator's identity change (LDAP ACLs) or what
 *	the operator may write (an LDIF file). It never reads a password
 *	from the command line.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Option bits: which command takes which option. */
enum {
	O_JSON = 1 << 0, O_DRYRUN = 1 << 1, O_FROM = 1 << 2,
	O_UNTIL = 1 << 3, O_EVERY = 1 << 4, O_TZ = 1 << 5,
	O_DELEGATE = 1 << 6, O_NOTICE = 1 << 7, O_TEMPLATE = 1 << 8,
	O_SUMMARY = 1 << 9, O_ALL = 1 << 10, O_ID = 1 << 11, O_ON = 1 << 12,
	O_CLIENT = 1 << 13, O_FILTER = 1 << 14,
	O_NODIR = 1 << 15,		/* the command needs no directory */
};

static const struct ctl_command {
	const char *name;
	int	(*run)(struct ctl *c);
	int	npos;			/* positional arguments */
	const char *usage;
	unsigned int options;
} ctl_commands[] = {
	{ "away", ctl_cmd_away, 1, "away USER --from DATE --until DATE "
	  "[--every RULE] [--tz ZONE] [--delegate WHO]... [--notice "
	  "none|authenticated|internal] [--template NAME] [--summary TEXT]",
	  O_DRYRUN | O_FROM | O_UNTIL | O_EVERY | O_TZ | O_DELEGATE
	  | O_NOTICE | O_TEMPLATE | O_SUMMARY },
	{ "back", ctl_cmd_back, 1, "back USER [--all | --id UID]",
	  O_DRYRUN | O_ALL | O_ID },
	{ "show", ctl_cmd_show, 1, "show USER [--tz ZONE]", O_JSON | O_TZ },
	{ "list", ctl_cmd_list, 0, "list [--on DATE] [--delegate WHO] "
	  "[--tz ZONE]", O_JSON | O_ON | O_DELEGATE | O_TZ },
	{ "check", ctl_cmd_check, 0, "check", O_JSON | O_TZ },
	{ "explain", ctl_cmd_explain, 1, "explain USER [--from SENDER] "
	  "[--client IP] < MESSAGE", O_JSON | O_FROM | O_CLIENT },
	{ "import", ctl_cmd_import, 2, "import FILE.ics USER [--filter "
	  "oof|busy|all]", O_DRYRUN | O_FILTER },
	{ "refuse", ctl_cmd_refuse, 2, "refuse USER SENDER [--until DATE]",
	  O_DRYRUN | O_UNTIL },
	{ "unrefuse", ctl_cmd_unrefuse, 2, "unrefuse USER SENDER", O_DRYRUN },
	{ "stats", ctl_cmd_stats, 0, "stats", O_JSON | O_TZ | O_NODIR },
};

enum {
	OPT_JSON = 256, OPT_DRYRUN, OPT_BINDDN, OPT_PWFILE, OPT_EXTERNAL,
	OPT_FROM, OPT_UNTIL, OPT_EVERY, OPT_TZ, OPT_DELEGATE, OPT_NOTICE,
	OPT_TEMPLATE, OPT_SUMMARY, OPT_ALL, OPT_ID, OPT_ON, OPT_CLIENT,
	OPT_FILTER, OPT_NOW, OPT_VERSION,
};

static const struct option ctl_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dry-run", no_argument, NULL, OPT_DRYRUN },
	{ "bind-dn", required_argument, NULL, OPT_BINDDN },
	{ "password-file", required_argument, NULL, OPT_PWFILE },
	{ "sasl-external", no_argument, NULL, OPT_EXTERNAL },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "delegate", required_argument, NULL, OPT_DELEGATE },
	{ "notice", required_argument, NULL, OPT_NOTICE },
	{ "template", required_argument, NULL, OPT_TEMPLATE },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "id", required_argument, NULL, OPT_ID },
	{ "on", required_argument, NULL, OPT_ON },
	{ "client", required_argument, NULL, OPT_CLIENT },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* ctl_print_usage - the synopsis of every command */
static void
ctl_print_usage(FILE *out)
{
	size_t	i;

	fprintf(out, "usage: deputyctl [-c deputy.conf] [--bind-dn DN "
		"--password-file FILE | --sasl-external] COMMAND ...\n");
	for (i = 0; i < G_N_ELEMENTS(ctl_commands); i++)
		fprintf(out, "  deputyctl %s%s\n", ctl_commands[i].usage,
			ctl_commands[i].options & O_JSON ? " [--json]"
			: " [--dry-run]");
}

/* ctl_option_bit - the bit of a command option, 0 for global ones */
static unsigned int
ctl_option_bit(int ch)
{
	switch (ch) {
	case OPT_JSON: return O_JSON;
	case OPT_DRYRUN: return O_DRYRUN;
	case OPT_FROM: return O_FROM;
	case OPT_UNTIL: return O_UNTIL;
	case OPT_EVERY: return O_EVERY;
	case OPT_TZ: return O_TZ;
	case OPT_DELEGATE: return O_DELEGATE;
	case OPT_NOTICE: return O_NOTICE;
	case OPT_TEMPLATE: return O_TEMPLATE;
	case OPT_SUMMARY: return O_SUMMARY;
	case OPT_ALL: return O_ALL;
	case OPT_ID: return O_ID;
	case OPT_ON: return O_ON;
	case OPT_CLIENT: return O_CLIENT;
	case OPT_FILTER: return O_FILTER;
	default: return 0;
	}
}

/* ctl_opt_name - "--until" of "--until=x" (static buffer) */
static const char *
ctl_opt_name(const char *arg)
{
	static char name[64];
	size_t	n;

	n = strcspn(arg, "=");
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, arg, n);
	name[n] = '\0';
	return name;
}

/* ctl_parse - the command line into ARGS; CTL_OK or an exit status */
static int
ctl_parse(int argc, char **argv, struct ctl_args *args,
	  const struct ctl_command **cmd_r, int *exit_r)
{
	const struct ctl_command *cmd = NULL;
	unsigned int seen = 0;
	int	ch, i, idx;
	const char *seen_name[32];

	memset(seen_name, 0, sizeof(seen_name));
	*exit_r = -1;
	opterr = 0;
	while ((idx = -1, ch = getopt_long(argc, argv, ":c:h", ctl_longopts,
				 &idx)) != -1) {
		const char *where = argv[optind - 1];
		char	oname[64];
		unsigned int bit;

		if (ch == '?')
			return ctl_usage(ctl_opt_name(where), "unknown option");
		if (ch == ':')
			return ctl_usage(ctl_opt_name(where), "needs a value");
		if (idx >= 0)
			g_snprintf(oname, sizeof(oname), "--%s",
				   ctl_longopts[idx].name);
		else
			g_snprintf(oname, sizeof(oname), "-%c", ch);
		if (optarg != NULL && strlen(optarg) > CTL_ARG_MAX)
			return ctl_usage(oname, "value longer than %d bytes",
			    CTL_ARG_MAX);
		bit = ctl_option_bit(ch);
		if (bit != 0) {
			if ((seen & bit) && ch != OPT_DELEGATE)
				return ctl_usage(oname, "given twice");
			seen |= bit;
			for (i = 0; ctl_longopts[i].name != NULL; i++)
				if (ctl_longopts[i].val == ch)
					seen_name[__builtin_ctz(bit)] =
					    ctl_longopts[i].name;
		}
		switch (ch) {
		case 'c': args->config = optarg; break;
		case 'h':
			ctl_print_usage(stdout);
			*exit_r = CTL_OK;
			return CTL_OK;
		case OPT_VERSION:
			printf("deputyctl %s\n", PACKAGE_VERSION);
			*exit_r = CTL_OK;
			return CTL_OK;
		case OPT_JSON: args->json = 1; break;
		case OPT_DRYRUN: args->dry_run = 1; break;
		case OPT_BINDDN: args->bind_dn = optarg; break;
		case OPT_PWFILE: args->password_file = optarg; break;
		case OPT_EXTERNAL: args->sasl_external = 1; break;
		case OPT_FROM: args->from = optarg; break;
		case OPT_UNTIL: args->until = optarg; break;
		case OPT_EVERY: args->every = optarg; break;
		case OPT_TZ: args->tz = optarg; break;
		case OPT_DELEGATE:
			g_ptr_array_add(args->delegates, optarg);
			break;
		case OPT_NOTICE: args->notice = optarg; break;
		case OPT_TEMPLATE: args->template_name = optarg; break;
		case OPT_SUMMARY: args->summary = optarg; break;
		case OPT_ALL: args->all = 1; break;
		case OPT_ID: args->id = optarg; break;
		case OPT_ON: args->on = optarg; break;
		case OPT_CLIENT: args->client = optarg; break;
		case OPT_FILTER: args->filter = optarg; break;
		case OPT_NOW: args->now = optarg; break;
		default:
			return ctl_usage(oname, "unknown option");
		}
	}
	if (optind >= argc) {
		ctl_print_usage(stderr);
		return CTL_USAGE;
	}
	args->command = argv[optind++];
	for (i = 0; i < (int)G_N_ELEMENTS(ctl_commands); i++)
		if (strcmp(ctl_commands[i].name, args->command) == 0)
			cmd = &ctl_commands[i];
	if (cmd == NULL)
		return ctl_usage(args->command, "unknown command (away, back, "
		    "show, list, check, explain, import, refuse, unrefuse)");
	for (i = 0; i < 32; i++) {
		char	name[80];

		if (!(seen & (1u << i)) || (cmd->options & (1u << i)))
			continue;
		g_snprintf(name, sizeof(name), "--%s", seen_name[i]);
		return ctl_usage(name, "not an option of %s; usage: "
		    "deputyctl %s", cmd->name, cmd->usage);
	}
	args->pos = (const char *const *)&argv[optind];
	args->npos = argc - optind;
	for (i = 0; i < args->npos; i++)
		if (strlen(args->pos[i]) > CTL_ARG_MAX)
			return ctl_usage(cmd->name, "argument longer than %d "
			    "bytes", CTL_ARG_MAX);
	if (args->npos > cmd->npos)
		return ctl_usage(args->pos[cmd->npos], "extra argument; "
		    "usage: deputyctl %s", cmd->usage);
	if (args->npos < cmd->npos)
		return ctl_usage(cmd->name, "missing argument; usage: "
		    "deputyctl %s", cmd->usage);
	if (args->bind_dn != NULL && args->sasl_external)
		return ctl_usage("--bind-dn", "use either --bind-dn or "
		    "--sasl-external");
	if (args->bind_dn != NULL && args->password_file == NULL)
		return ctl_usage("--bind-dn", "needs --password-file (a "
		    "password is never taken on the command line)");
	if (args->password_file != NULL && args->bind_dn == NULL)
		return ctl_usage("--password-file", "needs --bind-dn");
	*cmd_r = cmd;
	return CTL_OK;
}

/* ctl_settings - directory settings: the configuration's, the operator's identity */
void
ctl_settings(const struct ctl *c, struct dir_settings *set)
{
	const struct ctl_args *a = c->args;

	conf_dir_settings(c->conf, set);
	if (a->bind_dn != NULL) {
		set->bind_dn = a->bind_dn;
		set->bind_password_file = a->password_file;
		set->sasl_mech = NULL;
	} else if (a->sasl_external) {
		set->bind_dn = NULL;
		set->bind_password_file = NULL;
		set->sasl_mech = "EXTERNAL";
	}
}

/* ctl_open - configuration, clock, zone and (unless NODIR) directory */
static int
ctl_open(struct ctl *c, int nodir)
{
	const struct ctl_args *a = c->args;
	struct dir_settings set;
	char   *error = NULL;
	int	rc;

	if (conf_load(a->config, &c->conf, &error) != 0) {
		rc = ctl_usage(a->config != NULL ? a->config
		    : conf_default_path(), "%s", error);
		g_free(error);
		return rc;
	}
	if ((a->bind_dn != NULL || a->sasl_external)
	    && g_ascii_strcasecmp(c->conf->dir_backend, "ldap") != 0)
		return ctl_usage(a->bind_dn != NULL ? "--bind-dn"
		    : "--sasl-external", "the directory is an LDIF file "
		    "(backend \"%s\"): there is nothing to bind to",
		    c->conf->dir_backend);
	c->now = time(NULL);
	if (a->now != NULL) {
		struct icaltimetype tt;

		if (ctl_parse_date(a->now, &tt) < 0
		    || ctl_time_at(&tt, "UTC", &c->now) < 0)
			return ctl_usage2("--now", a->now, "not a date (UTC, "
			    "YYYY-MM-DD or YYYY-MM-DDTHH:MM)");
	}
	c->zone = c->conf->template_timezone != NULL
	    ? c->conf->template_timezone : "UTC";
	if (a->tz != NULL) {
		if (!ctl_zone_ok(a->tz))
			return ctl_usage2("--tz", a->tz, "not a time zone "
			    "(an IANA name such as Europe/Berlin, or UTC)");
		c->zone = a->tz;
	}
	if (nodir)
		return CTL_OK;
	ctl_settings(c, &set);
	if (dir_open(&set, &c->dir, &error) < 0
	    || (rc = dir_admin_open(&set, &c->admin, &error)) < 0) {
		rc = ctl_usage(a->config != NULL ? a->config
		    : conf_default_path(), "%s", error);
		g_free(error);
		return rc;
	}
	/* the operator's identity: fail early, and name it */
	if ((a->bind_dn != NULL || a->sasl_external)
	    && (rc = dir_admin_connect(c->admin, &error)) < 0) {
		const char *who = a->bind_dn != NULL ? a->bind_dn
		    : "SASL EXTERNAL";
		char   *named = g_strdup_printf("%s %s", a->bind_dn != NULL
		    ? "--bind-dn" : "--sasl-external", a->bind_dn != NULL
		    ? who : "");

		g_strchomp(named);
		rc = rc == -2 ? ctl_usage(named, "%s", error)
		    : ctl_unreachable(named, error);
		g_free(named);
		g_free(error);
		return rc;
	}
	return CTL_OK;
}

int
main(int argc, char **argv)
{
	const struct ctl_command *cmd = NULL;
	struct ctl_args args;
	struct ctl c;
	int	rc, early;

	icalerror_set_errors_are_fatal(0);
	memset(&args, 0, sizeof(args));
	args.delegates = g_ptr_array_new();
	memset(&c, 0, sizeof(c));
	c.args = &args;
	c.out = stdout;

	rc = ctl_parse(argc, argv, &args, &cmd, &early);
	if (early >= 0)
		rc = early;
	else if (rc == CTL_OK && (rc = ctl_open(&c,
	    (cmd->options & O_NODIR) != 0)) == CTL_OK)
		rc = cmd->run(&c);

	dir_admin_close(&c.admin);
	dir_close(&c.dir);
	conf_free(&c.conf);
	g_ptr_array_free(args.delegates, TRUE);
	ctl_esc_release();
	if (fflush(stdout) != 0 && rc == CTL_OK)
		rc = ctl_usage(NULL, "cannot write to standard output");
	return rc;
}
