/* SPDX-License-Identifier: GPL-2.0 */
/* Between the files of the oom_ext library; loaders use oom_ext.h only. */
#ifndef __OOM_EXT_LIB_H
#define __OOM_EXT_LIB_H

#include <stdbool.h>

/* -v: libbpf's debug output too (its warnings are always printed). */
void oom_ext_libbpf_debug(bool on);

#endif /* __OOM_EXT_LIB_H */
