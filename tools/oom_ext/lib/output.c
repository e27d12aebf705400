// SPDX-License-Identifier: GPL-2.0
/*
 * Output from fields: a record described once by its fields is printed as
 * one JSON object or as one line of text from a template. See oom_ext.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <oom_ext/oom_ext.h>
#include "lib.h"

bool oom_ext_json;
static bool json_comma;

static void json_key(const char *key)
{
	if (json_comma)
		putchar(',');
	if (key)
		printf("\"%s\":", key);
	json_comma = true;
}

void oom_ext_json_str(const char *key, const char *v)
{
	json_key(key);
	putchar('"');
	for (; *v; v++) {
		unsigned char c = *v;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void oom_ext_json_int(const char *key, long long v)
{
	json_key(key);
	printf("%lld", v);
}

void oom_ext_json_num(const char *key, double v)
{
	json_key(key);
	printf("%.1f", v);
}

void oom_ext_json_open(const char *key, char bracket)
{
	json_key(key);
	putchar(bracket);
	json_comma = false;
}

void oom_ext_json_close(char bracket)
{
	putchar(bracket);
	json_comma = true;
}

double oom_ext_mib(__u64 pages)
{
	return (double)pages * sysconf(_SC_PAGESIZE) / (1 << 20);
}

/* A field's value, as a number (for the set test too) or a string. */
struct value {
	bool is_str, is_int;
	long long i;
	double d;
	const char *s;
	char buf[512];
};

static void value_of(const struct oom_ext_field *f, const void *rec, struct value *v)
{
	const void *p = (const char *)rec + f->off;

	memset(v, 0, sizeof(*v));
	v->is_int = true;
	switch (f->type) {
	case OOM_EXT_F_U64:
		v->i = *(const __u64 *)p;
		break;
	case OOM_EXT_F_U32:
		v->i = *(const __u32 *)p;
		break;
	case OOM_EXT_F_S32:
		v->i = *(const __s32 *)p;
		break;
	case OOM_EXT_F_BOOL:
		v->i = *(const bool *)p;
		break;
	case OOM_EXT_F_STR:
		v->is_str = true;
		v->s = p;
		break;
	case OOM_EXT_F_STRP:
		v->is_str = true;
		v->s = *(const char *const *)p ?: "";
		break;
	case OOM_EXT_F_CGROUP:
		v->is_str = true;
		v->s = oom_ext_cgroup_path(*(const __u64 *)p, v->buf, sizeof(v->buf));
		break;
	case OOM_EXT_F_ERRNO:
		v->is_str = true;
		v->i = *(const __s32 *)p;
		v->s = v->i < 0 ? strerror(-v->i) : "";	/* > 0 is no error */
		break;
	case OOM_EXT_F_MIB:
		v->is_int = false;
		v->d = oom_ext_mib(*(const __u64 *)p);
		break;
	case OOM_EXT_F_MS_US:
		v->is_int = false;
		v->d = *(const __u32 *)p / 1000.0;
		break;
	case OOM_EXT_F_MS_US64:
		v->is_int = false;
		v->d = *(const __u64 *)p / 1000.0;
		break;
	case OOM_EXT_F_MS_NS:
		v->is_int = false;
		v->d = *(const __u64 *)p / 1e6;
		break;
	case OOM_EXT_F_SECS_NS:
		v->i = *(const __u64 *)p / 1000000000ULL;
		break;
	case OOM_EXT_F_PCT:
		v->is_int = false;
		v->d = *(const __u32 *)p / 10.0;
		break;
	case OOM_EXT_F_CUSTOM:
		break;
	}
}

long long oom_ext_field_int(const struct oom_ext_field *f, const void *rec)
{
	struct value v;

	value_of(f, rec, &v);
	return v.is_int ? v.i : (long long)v.d;
}

static bool value_set(const struct value *v)
{
	if (v->is_str)
		return v->s && v->s[0];
	return v->is_int ? v->i != 0 : v->d != 0;
}

static const struct oom_ext_field *field(const struct oom_ext_format *fmt,
					 const char *name, size_t len)
{
	const struct oom_ext_field *f;

	for (f = fmt->fields; f->name; f++)
		if (strlen(f->name) == len && !strncmp(f->name, name, len))
			return f;
	return NULL;
}

/* Does @f exist in @rec: its global condition and its guard field hold? */
static bool present(const struct oom_ext_format *fmt, const struct oom_ext_field *f,
		    const void *rec)
{
	const struct oom_ext_field *guard;
	struct value v;

	if (f->when && !*f->when)
		return false;
	if (!f->if_set)
		return true;
	guard = field(fmt, f->if_set, strlen(f->if_set));
	if (!guard)
		return false;
	value_of(guard, rec, &v);
	return value_set(&v);
}

static void print_json(const struct oom_ext_format *fmt, const void *rec)
{
	const struct oom_ext_field *f;
	struct timespec ts;
	struct value v;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("{\"time\":%lld.%03ld,\"tool\":\"%s\",\"event\":\"%s\"",
	       (long long)ts.tv_sec, ts.tv_nsec / 1000000, program_invocation_short_name,
	       fmt->event);
	json_comma = true;
	for (f = fmt->fields; f->name; f++) {
		if (f->text_only || !present(fmt, f, rec))
			continue;
		if (f->type == OOM_EXT_F_CUSTOM) {
			json_key(f->name);
			json_comma = false;
			f->json(rec);
			json_comma = true;
			continue;
		}
		value_of(f, rec, &v);
		if (f->type == OOM_EXT_F_BOOL) {
			json_key(f->name);
			printf("%s", v.i ? "true" : "false");
		} else if (v.is_str) {
			oom_ext_json_str(f->name, v.s);
		} else if (v.is_int) {
			oom_ext_json_int(f->name, v.i);
		} else {
			oom_ext_json_num(f->name, v.d);
		}
	}
	printf("}\n");
}

static void print_value(const struct oom_ext_field *f, const void *rec)
{
	struct value v;

	if (f->type == OOM_EXT_F_CUSTOM) {
		f->text(rec);
		return;
	}
	value_of(f, rec, &v);
	if (v.is_str)
		fputs(v.s, stdout);
	else if (v.is_int)
		printf("%lld", v.i);
	else if (f->type == OOM_EXT_F_MS_US || f->type == OOM_EXT_F_MS_US64)
		printf("%.0f", v.d);
	else
		printf("%.1f", v.d);
}

/* The end of the {...} that starts at @s, nested braces included. */
static const char *closing(const char *s)
{
	int depth = 0;

	for (; *s; s++) {
		if (*s == '{')
			depth++;
		else if (*s == '}' && !--depth)
			return s;
	}
	return s;
}

/* Write @t up to @end: {name}, {?name TEXT}, {!name TEXT}. */
static void print_template(const struct oom_ext_format *fmt, const void *rec,
			   const char *t, const char *end)
{
	const struct oom_ext_field *f;
	const char *close, *name;
	struct value v;
	size_t len;
	bool cond;

	while (t < end) {
		if (*t != '{') {
			putchar(*t++);
			continue;
		}
		close = closing(t);
		cond = t[1] == '?' || t[1] == '!';
		name = t + 1 + cond;
		len = strcspn(name, " }");
		f = field(fmt, name, len);
		if (!f) {	/* a bug in a template: show it */
			printf("{?%.*s}", (int)len, name);
		} else if (!cond) {
			print_value(f, rec);
		} else {
			value_of(f, rec, &v);
			if (present(fmt, f, rec) && value_set(&v) == (t[1] == '?'))
				print_template(fmt, rec, name + len + 1, close);
		}
		t = close + 1;
	}
}

void oom_ext_print(const struct oom_ext_format *fmt, const void *rec)
{
	const struct oom_ext_field *f;
	const char *sep = "";

	if (oom_ext_json) {
		print_json(fmt, rec);
	} else if (fmt->text) {
		printf("%s: ", program_invocation_short_name);
		print_template(fmt, rec, fmt->text, fmt->text + strlen(fmt->text));
		putchar('\n');
	} else {
		/* Counters: "name value, ..." with the JSON names' words. */
		printf("%s: ", program_invocation_short_name);
		for (f = fmt->fields; f->name; f++) {
			const char *c;

			if (f->text_only || !present(fmt, f, rec))
				continue;
			fputs(sep, stdout);
			for (c = f->name; *c; c++)
				putchar(*c == '_' ? ' ' : *c);
			putchar(' ');
			print_value(f, rec);
			sep = ", ";
		}
		putchar('\n');
	}
	fflush(stdout);
}
