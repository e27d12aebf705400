/* SPDX-License-Identifier: GPL-2.0 */
/* Between the files of the oom_ext library; loaders use oom_ext.h only. */
#ifndef __OOM_EXT_LIB_H
#define __OOM_EXT_LIB_H

#include <stdarg.h>
#include <stdbool.h>

/* oom_ext_err() with a va_list. */
void oom_ext_verr(const char *fmt, va_list ap);

/* -v: libbpf's debug output too (its warnings are always printed). */
void oom_ext_libbpf_debug(bool on);

#endif /* __OOM_EXT_LIB_H */
