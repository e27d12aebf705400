/* SPDX-License-Identifier: GPL-2.0 */
/* Between the files of the oom_ext library; loaders use oom_ext.h only. */
#ifndef __OOM_EXT_LIB_H
#define __OOM_EXT_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* oom_ext_err() with a va_list. */
void oom_ext_verr(const char *fmt, va_list ap);

/* -v: libbpf's debug output too (its warnings are always printed). */
void oom_ext_libbpf_debug(bool on);

struct oom_ext_opts;
struct oom_ext_field;

/* notify.c: --exec-after, --metrics and --no-oomd-xattrs, once parsed. */
void oom_ext_notify_setup(const struct oom_ext_opts *opts);

/* output.c: a field's value as an integer (for --metrics). */
long long oom_ext_field_int(const struct oom_ext_field *f, const void *rec);

/* /proc/@pid/@file, up to @len bytes; NULs and newlines become spaces. */
void oom_ext_proc_read(unsigned int pid, const char *file, char *buf, size_t len);

#endif /* __OOM_EXT_LIB_H */
