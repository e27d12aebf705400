// SPDX-License-Identifier: GPL-2.0
/*
 * Options from a table: getopt's tables, --help and the checks of every
 * kind of value, built from the loader's struct oom_ext_option entries and
 * the ones every loader takes. See oom_ext.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <oom_ext/oom_ext.h>
#include "lib.h"

/* --help's first column: "  -c PATH" padded to this, then the text. */
#define HELP_COLUMN	23
#define MAX_SECS	86400
#define MAX_WINDOW_US	10000000U
/* getopt values of options without a short letter: this plus their index */
#define LONG_ONLY	0x100

static struct oom_ext_opts common;

static const struct oom_ext_option common_options[] = {
	{ .key = 'i', .arg = "SECS", .kind = OOM_EXT_OPT_SECS, .dest = &common.interval,
	  .help = "print the counters every SECS seconds (default 10;\n0: only at exit)" },
	{ .name = "oom-score-adj", .arg = "N", .kind = OOM_EXT_OPT_INT,
	  .dest = &common.oom_score_adj, .min = -1000, .max = 1000,
	  .help = "this process's own oom_score_adj (default -1000: never\n"
		  "killed, by the kernel or by its own policy)" },
	{ .name = "json", .kind = OOM_EXT_OPT_FLAG, .dest = &common.json,
	  .help = "print JSON, one object per line (see README)" },
	{ .name = "exec-after", .arg = "CMD", .kind = OOM_EXT_OPT_COMMAND,
	  .dest = &common.exec_after,
	  .help = "run CMD after each kill, with OOM_EXT_PID and the rest\n"
		  "in its environment (see README)" },
	{ .name = "metrics", .arg = "FILE", .kind = OOM_EXT_OPT_OUTFILE,
	  .dest = &common.metrics,
	  .help = "write Prometheus metrics to FILE every -i seconds and\n"
		  "after each kill (node_exporter's textfile collector)" },
	{ .name = "no-oomd-xattrs", .kind = OOM_EXT_OPT_FLAG, .dest = &common.no_oomd_xattrs,
	  .help = "do not count kills in the cgroup's user.oomd_ooms and\n"
		  "user.oomd_kill, which systemd reads" },
	{ .key = 'v', .kind = OOM_EXT_OPT_FLAG, .dest = &common.verbose,
	  .help = "also print libbpf's debug output" },
	{ .name = "version", .key = 'V', .help = "print the version and exit" },
	{ .name = "help", .key = 'h', .help = "print this help and exit" },
	{}
};

/* "-c" or "--children": how the option is named in messages. */
static const char *opt_name(const struct oom_ext_option *o)
{
	static char buf[64];

	if (o->name)
		snprintf(buf, sizeof(buf), "--%s", o->name);
	else
		snprintf(buf, sizeof(buf), "-%c", o->key);
	return buf;
}

static __printf(1, 2) void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	oom_ext_verr(fmt, ap);
	va_end(ap);
	exit(OOM_EXT_EXIT_USAGE);
}

struct oom_ext_path *oom_ext_paths_add(struct oom_ext_paths *paths, const char *opt,
				       const char *path, __u32 tag)
{
	struct oom_ext_path *p;

	if (paths->n == paths->max)
		usage_error("%s: at most %u cgroups", opt, paths->max);
	p = &paths->v[paths->n++];
	p->path = path;
	p->tag = tag;
	p->cgid = 0;
	return p;
}

/* "100ms", "1s", "250000us" (bare numbers are microseconds) */
static int parse_us(const char *s, const char **end, __u32 *us)
{
	unsigned long long v, mult = 1;
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno)
		return -1;
	if (!strncmp(e, "us", 2)) {
		e += 2;
	} else if (!strncmp(e, "ms", 2)) {
		mult = 1000;
		e += 2;
	} else if (*e == 's') {
		mult = 1000000;
		e++;
	}
	if (v > 0xffffffffULL / mult)
		return -1;
	*us = v * mult;
	*end = e;
	return 0;
}

/* T/W with 0 < T <= W <= 10s, as the kernel checks a PSI trigger. */
static void parse_stall(const struct oom_ext_option *o, const char *arg)
{
	__u32 *t = o->dest, *w = o->dest2;
	const char *e;

	if (o->kind == OOM_EXT_OPT_STALL_OFF && !strcmp(arg, "off")) {
		*t = 0;
		*w = 0;
		return;
	}
	if (parse_us(arg, &e, t) || *e != '/' || parse_us(e + 1, &e, w) || *e)
		usage_error("%s %s: expected STALL/WINDOW such as 100ms/1s", opt_name(o), arg);
	if (!*w || *w > MAX_WINDOW_US)
		usage_error("%s %s: the window must be more than 0 and at most 10s",
			    opt_name(o), arg);
	if (!*t || *t > *w)
		usage_error("%s %s: the stall time must be more than 0 and at most the window",
			    opt_name(o), arg);
}

/* "5s", "500ms", "250000us"; a bare number is seconds. At most an hour. */
static void parse_duration(const struct oom_ext_option *o, const char *arg)
{
	unsigned long long v, mult = 1000000000ULL;
	char *e;

	errno = 0;
	v = strtoull(arg, &e, 10);
	if (!strcmp(e, "ms")) {
		mult = 1000000ULL;
		e += 2;
	} else if (!strcmp(e, "us")) {
		mult = 1000ULL;
		e += 2;
	} else if (!strcmp(e, "s")) {
		e++;
	}
	if (errno || e == arg || *e || arg[0] < '0' || arg[0] > '9' ||
	    v > 3600ULL * 1000000000ULL / mult)
		usage_error("%s %s: expected a duration such as 5s or 500ms (at most 1h)",
			    opt_name(o), arg);
	*(__u64 *)o->dest = v * mult;
}

/* A signal by name, with or without "SIG", or by number; "none" is 0. */
static void parse_signal(const struct oom_ext_option *o, const char *arg)
{
	const char *name = strncasecmp(arg, "SIG", 3) ? arg : arg + 3;
	char *e;
	long v;
	int sig;

	if (!strcasecmp(arg, "none")) {
		*(int *)o->dest = 0;
		return;
	}
	v = strtol(arg, &e, 10);
	if (e != arg && !*e && v > 0 && v < NSIG) {
		*(int *)o->dest = v;
		return;
	}
	for (sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && !strcasecmp(name, abbrev)) {
			*(int *)o->dest = sig;
			return;
		}
	}
	usage_error("%s %s: not a signal (a name such as TERM or INT, a number, or none)",
		    opt_name(o), arg);
}

/* The first word of a /bin/sh command must be an executable file. */
static void check_command(const struct oom_ext_option *o, const char *arg)
{
	char word[PATH_MAX], path[PATH_MAX * 2];
	const char *dirs = getenv("PATH") ?: "/usr/bin:/bin", *end;
	size_t n = strcspn(arg, " \t\n;&|<>()");
	struct stat st;

	if (!n || n >= sizeof(word))
		usage_error("%s '%s': expected a command", opt_name(o), arg);
	memcpy(word, arg, n);
	word[n] = '\0';
	if (strchr(word, '/')) {
		if (!stat(word, &st) && S_ISREG(st.st_mode) && !access(word, X_OK))
			return;
		usage_error("%s %s: %s is not an executable file", opt_name(o), arg, word);
	}
	for (; *dirs; dirs = *end ? end + 1 : end) {
		end = strchrnul(dirs, ':');
		snprintf(path, sizeof(path), "%.*s/%s", (int)(end - dirs), dirs, word);
		if (!stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK))
			return;
	}
	usage_error("%s %s: %s is not a command in PATH", opt_name(o), arg, word);
}

/* A file this process can create or replace: its directory must be writable. */
static void check_outfile(const struct oom_ext_option *o, const char *arg)
{
	char *copy = strdup(arg);
	const char *dir = copy ? dirname(copy) : ".";
	struct stat st;

	if (!arg[0] || arg[strlen(arg) - 1] == '/')
		usage_error("%s '%s': expected a file name", opt_name(o), arg);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		usage_error("%s %s: the directory %s does not exist", opt_name(o), arg, dir);
	if (access(dir, W_OK | X_OK))
		usage_error("%s %s: cannot write in %s: %s", opt_name(o), arg, dir,
			    strerror(errno));
	if (!stat(arg, &st) && !S_ISREG(st.st_mode))
		usage_error("%s %s: not a regular file", opt_name(o), arg);
	free(copy);
}

static void parse_value(const struct oom_ext_option *o, const char *arg)
{
	unsigned long long secs;
	char *end;
	double pct;
	long v;

	switch (o->kind) {
	case OOM_EXT_OPT_FLAG:
		*(bool *)o->dest = true;
		break;
	case OOM_EXT_OPT_SECS:
		errno = 0;
		secs = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || secs > MAX_SECS)
			usage_error("%s: '%s' is not a number of seconds (0-%d)", opt_name(o),
				    arg, MAX_SECS);
		*(__u64 *)o->dest = secs * (o->scale ?: 1);
		break;
	case OOM_EXT_OPT_INT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < o->min || v > o->max)
			usage_error("%s: '%s' is not a number from %ld to %ld", opt_name(o), arg,
				    o->min, o->max);
		*(int *)o->dest = v;
		break;
	case OOM_EXT_OPT_PERCENT:
		errno = 0;
		pct = strtod(arg, &end);
		if (errno || end == arg || *end || !(pct >= 0.1 && pct <= 100))
			usage_error("%s %s: expected a percentage from 0.1 to 100",
				    opt_name(o), arg);
		*(__u32 *)o->dest = (__u32)(pct * 10 + 0.5);
		break;
	case OOM_EXT_OPT_STALL:
	case OOM_EXT_OPT_STALL_OFF:
		parse_stall(o, arg);
		break;
	case OOM_EXT_OPT_PATH:
		if (*(const char **)o->dest)
			usage_error("%s given twice: it takes one %s", opt_name(o), o->arg);
		*(const char **)o->dest = arg;
		break;
	case OOM_EXT_OPT_PATHS:
		oom_ext_paths_add(o->dest, opt_name(o), arg, o->tag);
		break;
	case OOM_EXT_OPT_DURATION:
		parse_duration(o, arg);
		break;
	case OOM_EXT_OPT_SIGNAL:
		parse_signal(o, arg);
		break;
	case OOM_EXT_OPT_COMMAND:
	case OOM_EXT_OPT_OUTFILE:
		if (*(const char **)o->dest)
			usage_error("%s given twice: it takes one %s", opt_name(o), o->arg);
		if (o->kind == OOM_EXT_OPT_COMMAND)
			check_command(o, arg);
		else
			check_outfile(o, arg);
		*(const char **)o->dest = arg;
		break;
	case OOM_EXT_OPT_CUSTOM:
		o->parse(o, arg);
		break;
	}
}

static void help_options(const struct oom_ext_option *o)
{
	char left[64];
	const char *line, *nl;

	for (; o->name || o->key; o++) {
		if (o->key && o->name)
			snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name);
		else
			snprintf(left, sizeof(left), "%s", opt_name(o));
		if (o->arg)
			snprintf(left + strlen(left), sizeof(left) - strlen(left), " %s", o->arg);
		printf("  %-*s", HELP_COLUMN - 3, left);
		if (strlen(left) > HELP_COLUMN - 3)
			printf("\n%*s", HELP_COLUMN - 2, "");
		for (line = o->help; line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			printf("%s %.*s\n", line == o->help ? "" : "                      ",
			       nl ? (int)(nl - line) : (int)strlen(line), line);
		}
	}
}

static void help(const struct oom_ext_tool *tool)
{
	const char *name = program_invocation_short_name;

	printf("%s - %s\n\nUsage: %s [options]\n\n", name, tool->summary, name);
	help_options(tool->options);
	if (tool->footer)
		printf("%s", tool->footer);
	help_options(common_options);
}

static unsigned int count(const struct oom_ext_option *o)
{
	unsigned int n = 0;

	while (o[n].name || o[n].key)
		n++;
	return n;
}

/* Entry @i of the tool's table followed by the common one. */
static const struct oom_ext_option *nth(const struct oom_ext_tool *tool, unsigned int i)
{
	unsigned int n = count(tool->options);

	return i < n ? &tool->options[i] : &common_options[i - n];
}

void oom_ext_parse(int argc, char **argv, const struct oom_ext_tool *tool,
		   struct oom_ext_opts *opts)
{
	unsigned int i, n = count(tool->options) + count(common_options);
	struct option *longopts = calloc(n + 1, sizeof(*longopts));
	char *shortopts = calloc(2 * n + 2, 1);
	const struct oom_ext_option *o;
	int opt, nl = 0;

	if (!longopts || !shortopts)
		usage_error("out of memory");
	shortopts[0] = ':';
	for (i = 0; i < n; i++) {
		o = nth(tool, i);
		if (o->key) {
			shortopts[strlen(shortopts)] = o->key;
			if (o->arg)
				strcat(shortopts, ":");
		}
		if (o->name)
			longopts[nl++] = (struct option){ o->name,
				o->arg ? required_argument : no_argument, NULL,
				o->key ?: LONG_ONLY + (int)i };
	}
	common = (struct oom_ext_opts){ .interval = 10, .oom_score_adj = -1000 };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == ':')
			usage_error("option '%s' needs an argument (see -h)", argv[optind - 1]);
		if (opt == '?' && optopt)
			usage_error("unknown option '-%c' (see -h)", optopt);
		if (opt == '?')
			usage_error("unknown option '%s' (see -h)", argv[optind - 1]);
		if (opt == 'V') {
			printf("%s (oom_ext) %s\n", program_invocation_short_name, OOM_EXT_VERSION);
			exit(0);
		}
		if (opt == 'h') {
			help(tool);
			exit(0);
		}
		for (i = 0; i < n; i++) {
			o = nth(tool, i);
			if (opt == (o->key ?: LONG_ONLY + (int)i)) {
				parse_value(o, optarg);
				break;
			}
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s' (see -h)", argv[optind]);
	free(longopts);
	free(shortopts);
	*opts = common;
	oom_ext_json = opts->json;
	oom_ext_libbpf_debug(opts->verbose);
	oom_ext_notify_setup(opts);
}
